import type { Queryable } from '../db/pool.js';

/**
 * Per object and property, the HubSpot time of the newest change applied. HubSpot delivers out of
 * order and more than once; applying a change only when it is newer than what was applied makes
 * the final state independent of delivery order. `LIFECYCLE` tracks creation/deletion/restore.
 */
export const LIFECYCLE = '*';

/** Records `occurredAt` as the newest change and returns true, or returns false if a newer (or equal) one was applied. */
export async function advanceFieldVersion(db: Queryable, objectType: string, objectId: string, property: string, occurredAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO sync_field_versions (object_type, object_id, property, occurred_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (object_type, object_id, property) DO UPDATE SET occurred_at = EXCLUDED.occurred_at
     WHERE sync_field_versions.occurred_at < EXCLUDED.occurred_at`,
    [objectType, objectId, property, occurredAt],
  );
  return (rowCount ?? 0) > 0;
}

/** The time of the newest applied change, or null. */
export async function fieldVersion(db: Queryable, objectType: string, objectId: string, property: string): Promise<Date | null> {
  const { rows } = await db.query<{ occurred_at: Date }>(
    `SELECT occurred_at FROM sync_field_versions WHERE object_type = $1 AND object_id = $2 AND property = $3`,
    [objectType, objectId, property],
  );
  return rows[0]?.occurred_at ?? null;
}
