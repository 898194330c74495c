/**
 * HubSpot's names for the objects WARP syncs: the path segment of the CRM APIs, the object type id
 * (`0-2` is companies in every portal; custom objects get a portal-specific `2-…` id when they are
 * created, so they are addressed by name), the unique property WARP upserts by, and the
 * HubSpot-defined association type ids the code sends. Facts and sources: docs/hubspot-facts.md.
 */

export const CRM_OBJECTS = {
  contact: { path: 'contacts', typeId: '0-1', idProperty: 'warp_user_id' },
  company: { path: 'companies', typeId: '0-2', idProperty: 'warp_ban' },
  deal: { path: 'deals', typeId: '0-3', idProperty: undefined },
  ticket: { path: 'tickets', typeId: '0-5', idProperty: undefined },
  trunk: { path: 'trunks', typeId: undefined, idProperty: 'trunk_id' },
  number: { path: 'numbers', typeId: undefined, idProperty: 'number' },
} as const;
export type CrmObject = keyof typeof CRM_OBJECTS;

/** The objects whose HubSpot changes reach the cache (webhooks, imports, reconcile). */
export const INBOUND_OBJECT_TYPES = ['company', 'contact', 'deal'] as const;
export type InboundObjectType = (typeof INBOUND_OBJECT_TYPES)[number];

/** The objects that carry field ownership (deals are HubSpot's entirely, so they have none). */
export const SYNCED_OBJECT_TYPES = ['company', 'contact', 'trunk', 'number', 'ticket'] as const;
export type SyncedObjectType = (typeof SYNCED_OBJECT_TYPES)[number];

/** The inbound object a generic (`object.*`) webhook's `objectTypeId` names, if we sync it. */
export function inboundObjectByTypeId(typeId: string): InboundObjectType | undefined {
  return INBOUND_OBJECT_TYPES.find((objectType) => CRM_OBJECTS[objectType].typeId === typeId);
}

/** HubSpot-defined association type ids (category `HUBSPOT_DEFINED`). */
export const ASSOCIATION_TYPE_IDS = {
  noteToCompany: 190,
  noteToTicket: 228,
  ticketToPrimaryCompany: 26,
  companyToDeal: 342,
} as const;
