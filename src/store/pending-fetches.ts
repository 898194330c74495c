import type { Queryable } from '../db/pool.js';
import type { InboundObjectType } from '../domain/hubspot-objects.js';

/**
 * Records whose full state must be read from HubSpot (migration 0061): queued in the transaction
 * that applies the event asking for it, claimed by any inbox worker, deleted once applied. A
 * claim is a lease (`available_at` moves forward), so a worker that dies mid-read loses nothing.
 */

export interface PendingFetch {
  objectType: InboundObjectType;
  hubspotId: string;
  attempts: number;
}

export async function queueFetch(tx: Queryable, objectType: InboundObjectType, hubspotId: string): Promise<void> {
  await tx.query(
    `INSERT INTO pending_fetches (object_type, hubspot_id) VALUES ($1, $2)
     ON CONFLICT (object_type, hubspot_id) DO UPDATE SET available_at = LEAST(pending_fetches.available_at, now())`,
    [objectType, hubspotId],
  );
}

/** Claims up to `limit` due fetches for `leaseMs` (FOR UPDATE SKIP LOCKED: workers never share one). */
export async function claimFetches(db: Queryable, limit: number, leaseMs: number): Promise<PendingFetch[]> {
  const { rows } = await db.query<{ object_type: InboundObjectType; hubspot_id: string; attempts: number }>(
    `UPDATE pending_fetches SET attempts = attempts + 1, available_at = now() + make_interval(secs => $2 / 1000.0)
     WHERE (object_type, hubspot_id) IN (
       SELECT object_type, hubspot_id FROM pending_fetches WHERE available_at <= now()
       ORDER BY available_at LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING object_type, hubspot_id, attempts`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({ objectType: r.object_type, hubspotId: r.hubspot_id, attempts: r.attempts }));
}

export async function finishFetches(db: Queryable, objectType: InboundObjectType, hubspotIds: readonly string[]): Promise<void> {
  await db.query('DELETE FROM pending_fetches WHERE object_type = $1 AND hubspot_id = ANY($2)', [objectType, [...hubspotIds]]);
}

/** A failed read: tried again after `delayMs` (the caller's back-off), its error kept for operators. */
export async function retryFetches(db: Queryable, objectType: InboundObjectType, hubspotIds: readonly string[], delayMs: number, error: string): Promise<void> {
  await db.query(
    `UPDATE pending_fetches SET available_at = now() + make_interval(secs => $3 / 1000.0), last_error = left($4, 1000)
     WHERE object_type = $1 AND hubspot_id = ANY($2)`,
    [objectType, [...hubspotIds], delayMs, error],
  );
}
