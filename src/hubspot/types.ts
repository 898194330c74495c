import type { HubSpotErrorDetail, HubSpotObject } from './schemas.js';

/**
 * Priority classes of HubSpot calls. When the burst window or the daily quota is contended,
 * real-time work (webhook follow-ups, user actions) goes first, then scheduled jobs, then
 * backfills and reconciliation; when the daily quota runs low the lower classes pause first.
 */
export const PRIORITIES = ['realtime', 'scheduled', 'backfill', 'reconcile'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Lower rank is served first. backfill and reconcile are the same class. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { realtime: 0, scheduled: 1, backfill: 2, reconcile: 2 };

export interface CallOptions {
  /** Default: the gateway's `defaultPriority` (`scheduled`). */
  priority?: Priority;
  signal?: AbortSignal;
}

/** Property values to write. Numbers and booleans are sent as HubSpot expects (strings). */
export type PropertyValues = Record<string, string | number | boolean | null>;

/** An association given at creation time (object create, batch create, notes). */
export interface AssociationSpec {
  toObjectId: string;
  /** HubSpot-defined type id, e.g. 190 note→company, 279 contact→company (docs/hubspot-facts.md "Objects and associations"). */
  associationTypeId: number;
  associationCategory?: AssociationCategory;
}
export type AssociationCategory = 'HUBSPOT_DEFINED' | 'USER_DEFINED' | 'INTEGRATOR_DEFINED';

export interface ReadOptions extends CallOptions {
  properties?: string[];
  associations?: string[];
  archived?: boolean;
  /** Look the record up by this unique property instead of its id. */
  idProperty?: string;
}

export interface ListOptions extends CallOptions {
  /** Page size, at most 100 (the documented maximum). */
  limit?: number;
  after?: string;
  properties?: string[];
  associations?: string[];
  archived?: boolean;
}

export interface Page<T> {
  results: T[];
  /** Cursor for the next page; absent on the last page. */
  after?: string;
}

export interface BatchCreateInput {
  properties: PropertyValues;
  associations?: Array<AssociationSpec>;
}
export interface BatchUpdateInput {
  id: string;
  properties: PropertyValues;
  /** Address the record by this unique property (then `id` is its value). */
  idProperty?: string;
}
export interface BatchUpsertInput {
  /** The value of `idProperty` identifying the record. */
  id: string;
  idProperty: string;
  properties: PropertyValues;
}

/** One input that HubSpot refused inside an otherwise accepted batch (207), or a refused chunk. */
export interface BatchFailure<I> {
  /** Position of the input in the array the caller passed (across chunks). */
  index: number;
  input: I;
  /** HubSpot category, e.g. VALIDATION_ERROR, OBJECT_NOT_FOUND; or the gateway error kind. */
  category: string;
  message: string;
  /** The trace id we sent with the input (batch writes), so logs match HubSpot's. */
  objectWriteTraceId?: string;
  details: HubSpotErrorDetail[];
  /** HTTP status of the response that carried the failure (207, or the status of a failed chunk). */
  status: number;
  /** True when the input itself was fine but its chunk failed for a passing reason (5xx, 429). */
  retryable: boolean;
}

export interface BatchResult<I> {
  /** Records written or read, in no guaranteed order; each with `inputIndex` into the caller's array. */
  results: Array<HubSpotObject & { inputIndex: number | undefined }>;
  /** Only the inputs that failed, each with its own reason. Empty when everything succeeded. */
  failures: Array<BatchFailure<I>>;
}

export type SearchOperator =
  | 'EQ' | 'NEQ' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'BETWEEN' | 'IN' | 'NOT_IN'
  | 'HAS_PROPERTY' | 'NOT_HAS_PROPERTY' | 'CONTAINS_TOKEN' | 'NOT_CONTAINS_TOKEN';

export interface SearchFilter {
  propertyName: string;
  operator: SearchOperator;
  value?: string;
  values?: string[];
  highValue?: string;
}

export interface SearchRequest {
  /** Groups are ORed, filters inside a group ANDed; at most 5 groups, 6 filters each, 18 in total. */
  filterGroups?: Array<{ filters: SearchFilter[] }>;
  sorts?: Array<{ propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }>;
  query?: string;
  properties?: string[];
  /** Page size, at most 200. */
  limit?: number;
  after?: string;
}

export interface SearchPage extends Page<HubSpotObject> {
  total: number;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool';
  fieldType: string;
  groupName: string;
  description?: string;
  options?: Array<{ label: string; value: string; displayOrder?: number; hidden?: boolean }>;
  hasUniqueValue?: boolean;
  formField?: boolean;
  /** Currency: `type: number` with `numberDisplayHint: 'currency'` (there is no currency type). */
  numberDisplayHint?: 'unformatted' | 'formatted' | 'currency' | 'percentage' | 'duration' | 'probability';
  showCurrencySymbol?: boolean;
}

export interface SchemaDefinition {
  name: string;
  labels: { singular: string; plural: string };
  primaryDisplayProperty?: string;
  secondaryDisplayProperties?: string[];
  searchableProperties?: string[];
  requiredProperties: string[];
  /** Object type ids, e.g. `0-2` for companies. */
  associatedObjects: string[];
  properties: Array<Omit<PropertyDefinition, 'groupName'> & { groupName?: string }>;
  description?: string;
}

export interface AssociationPair {
  fromId: string;
  toId: string;
}
export interface LabeledAssociationInput extends AssociationPair {
  types: Array<{ associationCategory: AssociationCategory; associationTypeId: number }>;
}

export interface NoteInput {
  body: string;
  /** When the event happened: it sets the note's place on the timeline (`hs_timestamp`). */
  timestamp: Date;
  associations: Array<{ toObjectType: string; toObjectId: string; associationTypeId: number }>;
  /** Extra properties, e.g. `hubspot_owner_id`. */
  properties?: PropertyValues;
}

export interface TimelineEventInput {
  eventTemplateId: string;
  objectId: string;
  /** Our id for the event: HubSpot refuses a second event with the same id, so retries stay single. */
  id?: string;
  timestamp?: Date;
  tokens: Record<string, string | number>;
  extraData?: Record<string, unknown>;
}
