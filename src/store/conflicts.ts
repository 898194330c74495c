import type { Queryable } from '../db/pool.js';
import type { SyncSide } from '../domain/crm-catalogue.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

/** Changes from the side that does not own a field: kept for review (docs/product-rules.md "Field ownership"). */

export interface NewConflict {
  objectType: string;
  objectId: string;
  property: string;
  owner: SyncSide;
  hubspotValue: string | null;
  warpValue: string | null;
  /** HubSpot's `changeSource`/`sourceId` of the refused change. */
  hubspotSource: string | null;
  changedAt: Date;
  /** What was done about it, e.g. `owner_value_written_back`. */
  resolution: string;
  inboxId?: string | null;
}

export interface Conflict extends Required<NewConflict> {
  id: string;
  detectedAt: Date;
}

export interface ConflictRow {
  id: string;
  detected_at: Date;
  object_type: string;
  object_id: string;
  property: string;
  owner: SyncSide;
  hubspot_value: string | null;
  warp_value: string | null;
  hubspot_source: string | null;
  changed_at: Date;
  resolution: string;
  inbox_id: string | null;
}

export const toConflict = (r: ConflictRow): Conflict => ({
  id: String(r.id),
  detectedAt: r.detected_at,
  objectType: r.object_type,
  objectId: r.object_id,
  property: r.property,
  owner: r.owner,
  hubspotValue: r.hubspot_value,
  warpValue: r.warp_value,
  hubspotSource: r.hubspot_source,
  changedAt: r.changed_at,
  resolution: r.resolution,
  inboxId: r.inbox_id === null ? null : String(r.inbox_id),
});

export async function recordConflict(db: Queryable, c: NewConflict): Promise<void> {
  await db.query(
    `INSERT INTO sync_conflicts (object_type, object_id, property, owner, hubspot_value, warp_value, hubspot_source, changed_at, resolution, inbox_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [c.objectType, c.objectId, c.property, c.owner, c.hubspotValue, c.warpValue, c.hubspotSource, c.changedAt, c.resolution, c.inboxId ?? null],
  );
}

/** Newest first: each page continues with older conflicts. */
export async function listConflicts(
  db: Queryable,
  filter: { objectType?: string | undefined; objectId?: string | undefined },
  page: PageRequest,
): Promise<Page<Conflict>> {
  const { rows } = await db.query<ConflictRow>(
    `SELECT id, detected_at, object_type, object_id, property, owner, hubspot_value, warp_value, hubspot_source, changed_at, resolution, inbox_id
     FROM sync_conflicts
     WHERE ($1::text IS NULL OR object_type = $1) AND ($2::text IS NULL OR object_id = $2) AND ($3::bigint IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4`,
    [filter.objectType ?? null, filter.objectId ?? null, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toConflict), page, (c) => c.id);
}
