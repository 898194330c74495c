import { type CrmProperty, propertiesOf } from '../../domain/crm-catalogue.js';
import { CRM_OBJECTS } from '../../domain/hubspot-objects.js';
import { CACHED_TICKET_PROPERTIES } from '../../store/ticket-cache.js';

/**
 * What reconcile walks, one entry per HubSpot object type. `cache` entries are HubSpot's master
 * data, compared with the cache and repaired through the inbound apply path (ownership rules,
 * conflicts, write-backs); `tickets` are compared with the ticket cache (HubSpot's values, no
 * ownership: store/ticket-cache.ts); `warp` entries are WARP's own records (trunks, numbers),
 * compared with WARP's tables and repaired by writing WARP's values back. Association pairs are
 * listed with the object whose side owns the link.
 */

export const RECONCILE_OBJECT_TYPES = ['company', 'contact', 'deal', 'ticket', 'trunk', 'number'] as const;
export type ReconcileObjectType = (typeof RECONCILE_OBJECT_TYPES)[number];
export type CacheObjectType = 'company' | 'contact' | 'deal';
export type WarpObjectType = 'trunk' | 'number';

interface EntryBase {
  /** The API's name for it (`--objects companies,trunks`). */
  plural: string;
  /** HubSpot's path segment. */
  path: string;
  /** The property search sorts and filters incremental windows on (contacts name it differently). */
  lastModifiedProperty: string;
  /** The catalogue rows compared (tickets: their cache's columns, `ticketProperties`). */
  properties: readonly CrmProperty[];
}
export type ReconcileEntry =
  | (EntryBase & { objectType: CacheObjectType; side: 'cache' })
  | (EntryBase & { objectType: 'ticket'; side: 'tickets' })
  | (EntryBase & { objectType: WarpObjectType; side: 'warp' });

const cacheRows = (objectType: CacheObjectType): readonly CrmProperty[] => propertiesOf(objectType).filter((p) => p.column !== null);
const outgoingRows = (objectType: WarpObjectType): readonly CrmProperty[] => propertiesOf(objectType).filter((p) => p.owner === 'warp' && p.out !== null);

/** Companies first, so contacts and deals find their customer; trunks before the numbers routed to them. */
export const RECONCILE_CATALOGUE: readonly ReconcileEntry[] = [
  { objectType: 'company', side: 'cache', plural: 'companies', path: CRM_OBJECTS.company.path, lastModifiedProperty: 'hs_lastmodifieddate', properties: cacheRows('company') },
  { objectType: 'contact', side: 'cache', plural: 'contacts', path: CRM_OBJECTS.contact.path, lastModifiedProperty: 'lastmodifieddate', properties: cacheRows('contact') },
  { objectType: 'deal', side: 'cache', plural: 'deals', path: CRM_OBJECTS.deal.path, lastModifiedProperty: 'hs_lastmodifieddate', properties: cacheRows('deal') },
  { objectType: 'ticket', side: 'tickets', plural: 'tickets', path: CRM_OBJECTS.ticket.path, lastModifiedProperty: 'hs_lastmodifieddate', properties: [] },
  { objectType: 'trunk', side: 'warp', plural: 'trunks', path: CRM_OBJECTS.trunk.path, lastModifiedProperty: 'hs_lastmodifieddate', properties: outgoingRows('trunk') },
  { objectType: 'number', side: 'warp', plural: 'numbers', path: CRM_OBJECTS.number.path, lastModifiedProperty: 'hs_lastmodifieddate', properties: outgoingRows('number') },
];

/**
 * The associations reconcile compares, read from the `from` side in batches. `hubspot`: the cache
 * follows HubSpot (contact and deal companies are sales data); `warp`: WARP made the link and
 * writes it again when HubSpot lost it.
 */
export interface AssociationPair {
  name: string;
  from: ReconcileObjectType;
  to: ReconcileObjectType;
  owner: 'hubspot' | 'warp';
}
export const ASSOCIATION_PAIRS: readonly AssociationPair[] = [
  { name: 'contact→company', from: 'contact', to: 'company', owner: 'hubspot' },
  { name: 'deal→company', from: 'deal', to: 'company', owner: 'hubspot' },
  { name: 'ticket→company', from: 'ticket', to: 'company', owner: 'hubspot' },
  { name: 'trunk→company', from: 'trunk', to: 'company', owner: 'warp' },
  { name: 'number→company', from: 'number', to: 'company', owner: 'warp' },
  { name: 'number→trunk', from: 'number', to: 'trunk', owner: 'warp' },
];

/** The entry for a type; throws on a type reconcile does not walk (a programming error). */
export function reconcileEntry(objectType: ReconcileObjectType): ReconcileEntry {
  const entry = RECONCILE_CATALOGUE.find((e) => e.objectType === objectType);
  if (!entry) throw new Error(`no reconcile entry for ${objectType}`);
  return entry;
}

/** `companies,trunks` (plural or singular names) → object types in catalogue order; unknown names are returned apart. */
export function parseObjectList(names: readonly string[]): { objects: ReconcileObjectType[]; unknown: string[] } {
  const wanted = new Set<ReconcileObjectType>();
  const unknown: string[] = [];
  for (const raw of names.map((n) => n.trim().toLowerCase()).filter(Boolean)) {
    const entry = RECONCILE_CATALOGUE.find((e) => e.plural === raw || e.objectType === raw);
    if (entry) wanted.add(entry.objectType);
    else unknown.push(raw);
  }
  return { objects: RECONCILE_CATALOGUE.map((e) => e.objectType).filter((t) => wanted.has(t)), unknown };
}

/** The HubSpot properties a page read asks for: the compared ones, plus what merges are detected by. */
export function readProperties(entry: ReconcileEntry): string[] {
  if (entry.side === 'tickets') return [...CACHED_TICKET_PROPERTIES, 'hs_merged_object_ids'];
  const names = entry.properties.map((p) => p.name);
  return entry.side === 'cache' ? [...names, 'hs_merged_object_ids'] : names;
}
