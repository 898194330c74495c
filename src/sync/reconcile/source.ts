import type { HubSpotGateway, HubSpotObject } from '../../hubspot/gateway.js';
import type { UnparsedRecord } from '../../hubspot/objects.js';
import { CRM_OBJECTS } from '../../domain/hubspot-objects.js';
import { SEARCH_MAX_RESULTS } from '../../hubspot/search.js';
import { type ReconcileEntry, type ReconcileObjectType, readProperties } from './catalogue.js';

/**
 * What reconcile reads from HubSpot, through the gateway (rate budget, retries) at `reconcile`
 * priority: list pages of 100 with the associations reconcile compares asked for in the same
 * request, and search pages whose associations are read in one batch per target type for up to
 * five pages (search returns none, and one batch read takes 1,000 ids). Every
 * function says how many requests it made, for the run's count and the benchmark.
 */

const SEARCH_PAGE = 200;
/** Ids per batch read of associations (HubSpot's limit). */
const ASSOCIATION_BATCH = 1_000;

/** A HubSpot record as reconcile compares it. */
export interface ReconcileRecord {
  id: string;
  properties: Record<string, string | null>;
  /** HubSpot's last modification (ISO); the version the cache applies it at. */
  updatedAt: string;
  /** HubSpot ids of associated records, per target object type; the primary (labelled) one first. */
  associated: Partial<Record<ReconcileObjectType, string[]>>;
}

export interface SourcePage {
  records: ReconcileRecord[];
  invalid: UnparsedRecord[];
  requests: number;
}

/** The association targets reconcile reads for each type (from its own side). */
export const ASSOCIATION_TARGETS: Readonly<Record<ReconcileObjectType, readonly ReconcileObjectType[]>> = {
  company: [],
  contact: ['company'],
  deal: ['company'],
  ticket: ['company'],
  trunk: ['company'],
  number: ['company', 'trunk'],
};

/** `associations` keys are the target's path; custom objects may carry a portal prefix (`p123_trunks`). */
function associatedIds(object: HubSpotObject, target: ReconcileObjectType): string[] | undefined {
  const path = CRM_OBJECTS[target].path;
  const entries = Object.entries(object.associations ?? {}).filter(([key]) => key === path || key.endsWith(`_${path}`));
  if (entries.length === 0) return undefined;
  const results = entries.flatMap(([, v]) => v.results);
  // The labelled (primary) association first; unlabelled ones after it.
  const sorted = [...results].sort((a, b) => Number(a.type.includes('unlabeled')) - Number(b.type.includes('unlabeled')));
  return [...new Set(sorted.map((r) => r.id))];
}

const toRecord = (entry: ReconcileEntry, object: HubSpotObject): ReconcileRecord => {
  const associated: ReconcileRecord['associated'] = {};
  // A list page asked for the associations: a target absent from the answer means none.
  for (const target of ASSOCIATION_TARGETS[entry.objectType]) associated[target] = associatedIds(object, target) ?? [];
  return { id: object.id, properties: object.properties, updatedAt: object.updatedAt ?? new Date(0).toISOString(), associated };
};

export interface ReconcileSource {
  listPage(entry: ReconcileEntry, after: string | undefined, signal: AbortSignal): Promise<SourcePage & { after: string | undefined }>;
  /**
   * Search pages (200 each, up to 1,000 records) of records whose last modification is in the
   * filter, sorted ascending, with their associations; `after` is that of the last page read.
   */
  searchPage(entry: ReconcileEntry, query: SearchWindowQuery, signal: AbortSignal): Promise<SourcePage & { after: string | undefined; total: number }>;
}

export interface SearchWindowQuery {
  /** Inclusive lower bound of the last modification, epoch ms (`equal`: exactly this time). */
  fromMs: number;
  /** Exclusive upper bound, epoch ms. */
  toMs: number;
  /** Exactly `fromMs`, split by `hs_object_id` (more than 10,000 records share it). */
  equal: boolean;
  /** With `equal`: only ids greater than this. */
  afterId: string | undefined;
  /** The search paging offset within the query. */
  after: string | undefined;
}

export function reconcileSource(gateway: HubSpotGateway): ReconcileSource {
  const priority = 'reconcile' as const;
  /** Associations of search results (search returns none): one batch read per target, ≤ 1,000 ids each. */
  const withAssociations = async (entry: ReconcileEntry, objects: HubSpotObject[], signal: AbortSignal): Promise<{ records: ReconcileRecord[]; requests: number }> => {
    const records: ReconcileRecord[] = objects.map((o) => ({ ...toRecord(entry, o), associated: {} }));
    let requests = 0;
    if (records.length === 0) return { records, requests };
    for (const target of ASSOCIATION_TARGETS[entry.objectType]) {
      const map = await gateway.batchReadAssociations(entry.path, CRM_OBJECTS[target].path, records.map((r) => r.id), { priority, signal });
      requests += Math.ceil(records.length / ASSOCIATION_BATCH);
      for (const r of records) r.associated[target] = (map.get(r.id) ?? []).map((t) => String(t.toObjectId));
    }
    return { records, requests };
  };
  return {
    listPage: async (entry, after, signal) => {
      const associations = ASSOCIATION_TARGETS[entry.objectType].map((t) => CRM_OBJECTS[t].path);
      const page = await gateway.listObjectsChecked(entry.path, {
        properties: readProperties(entry),
        ...(associations.length > 0 ? { associations } : {}),
        limit: 100,
        priority,
        signal,
        ...(after ? { after } : {}),
      });
      return { records: page.results.map((o) => toRecord(entry, o)), invalid: page.invalid, requests: 1, after: page.after };
    },
    searchPage: async (entry, query, signal) => {
      const property = entry.lastModifiedProperty;
      const filters = query.equal
        ? [
            { propertyName: property, operator: 'EQ' as const, value: String(query.fromMs) },
            ...(query.afterId ? [{ propertyName: 'hs_object_id', operator: 'GT' as const, value: query.afterId }] : []),
          ]
        : [
            { propertyName: property, operator: 'GTE' as const, value: String(query.fromMs) },
            { propertyName: property, operator: 'LT' as const, value: String(query.toMs) },
          ];
      // Search pages of 200 until 1,000 records (one association read per target for all of them),
      // the end of the query or its 10,000-result cap.
      const objects: HubSpotObject[] = [];
      const invalid: UnparsedRecord[] = [];
      let after = query.after;
      let total = 0;
      let searches = 0;
      do {
        const page = await gateway.searchChecked(
          entry.path,
          {
            filterGroups: [{ filters }],
            sorts: [{ propertyName: query.equal ? 'hs_object_id' : property, direction: 'ASCENDING' }],
            properties: [...readProperties(entry), property],
            limit: SEARCH_PAGE,
            ...(after ? { after } : {}),
          },
          { priority, signal },
        );
        searches++;
        objects.push(...page.results);
        invalid.push(...page.invalid);
        after = page.after;
        total = page.total;
      } while (after !== undefined && Number(after) < SEARCH_MAX_RESULTS && objects.length + SEARCH_PAGE <= ASSOCIATION_BATCH);
      const { records, requests } = await withAssociations(entry, objects, signal);
      return { records, invalid, requests: searches + requests, after, total };
    },
  };
}
