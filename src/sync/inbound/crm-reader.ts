import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * What inbound sync reads from HubSpot. The HubSpot gateway (src/hubspot, branch `gateway`)
 * implements the calls, with the rate budget and retries; the composition root adapts it to this
 * port, so this module never talks HTTP itself.
 */

export interface CrmRecord {
  id: string;
  properties: Record<string, string | null>;
  /** HubSpot's last modification time (ISO), the version of a fetched snapshot. */
  updatedAt: string;
  /** Contacts and deals from list reads: the associated company, primary first (undefined: not read). */
  companyIds?: string[];
}

export interface CrmPage {
  records: CrmRecord[];
  /** Cursor of the next page; undefined on the last page. */
  after: string | undefined;
}

export interface CrmReader {
  /** Batch read (≤ 100 per call inside the gateway); ids HubSpot does not have are left out. */
  readBatch(objectType: InboundObjectType, ids: string[], properties: string[], signal?: AbortSignal): Promise<CrmRecord[]>;
  /** One page of all live records, at most 100. */
  listPage(objectType: InboundObjectType, properties: string[], after: string | undefined, signal?: AbortSignal): Promise<CrmPage>;
}
