/**
 * Object type identities. HubSpot addresses an object type by plural name (`contacts`), singular
 * (`contact`), objectTypeId (`0-1`), and for custom objects by `2-NNNN`, fullyQualifiedName
 * (`p{portalId}_{name}`) or name. Everything internal is keyed by objectTypeId.
 */

export interface ObjectTypeInfo {
  objectTypeId: string;
  /** Plural API name, e.g. `contacts`; for custom objects the schema name. */
  name: string;
  singular: string;
  /** Legacy webhook prefix (`contact.creation`), undefined when only generic `object.*` applies. */
  webhookPrefix?: string;
  /** Property that carries the last-modified timestamp. */
  lastModifiedProperty: 'lastmodifieddate' | 'hs_lastmodifieddate';
  /** Upper-case name used in associationChange `associationType` (CONTACT_TO_COMPANY). */
  associationName: string;
  custom: boolean;
  fullyQualifiedName?: string;
}

export const STANDARD_OBJECT_TYPES: readonly ObjectTypeInfo[] = [
  { objectTypeId: '0-1', name: 'contacts', singular: 'contact', webhookPrefix: 'contact', lastModifiedProperty: 'lastmodifieddate', associationName: 'CONTACT', custom: false },
  { objectTypeId: '0-2', name: 'companies', singular: 'company', webhookPrefix: 'company', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'COMPANY', custom: false },
  { objectTypeId: '0-3', name: 'deals', singular: 'deal', webhookPrefix: 'deal', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'DEAL', custom: false },
  { objectTypeId: '0-5', name: 'tickets', singular: 'ticket', webhookPrefix: 'ticket', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'TICKET', custom: false },
  { objectTypeId: '0-7', name: 'products', singular: 'product', webhookPrefix: 'product', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'PRODUCT', custom: false },
  { objectTypeId: '0-8', name: 'line_items', singular: 'line_item', webhookPrefix: 'line_item', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'LINE_ITEM', custom: false },
  { objectTypeId: '0-53', name: 'invoices', singular: 'invoice', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'INVOICE', custom: false },
  { objectTypeId: '0-46', name: 'notes', singular: 'note', lastModifiedProperty: 'hs_lastmodifieddate', associationName: 'NOTE', custom: false },
];

/** Required properties on create for standard objects (docs/hubspot-facts.md "Notes, timeline, tickets" and using-object-apis). */
export const STANDARD_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  '0-3': ['dealname', 'dealstage'],
  '0-5': ['subject', 'hs_pipeline_stage'],
  '0-46': ['hs_timestamp'],
  // "The only property required for creating a draft invoice is hs_currency" (invoices guide).
  '0-53': ['hs_currency'],
};

export const INVOICE_TYPE_ID = '0-53';
export const LINE_ITEM_TYPE_ID = '0-8';

/** Default pipeline applied when a record omits it (tickets guide: "the default pipeline will be used"). */
export const PIPELINE_PROPS: Readonly<Record<string, { pipeline: string; stage: string; objectType: 'deals' | 'tickets' }>> = {
  '0-3': { pipeline: 'pipeline', stage: 'dealstage', objectType: 'deals' },
  '0-5': { pipeline: 'hs_pipeline', stage: 'hs_pipeline_stage', objectType: 'tickets' },
};
