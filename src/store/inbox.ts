import type { Queryable } from '../db/pool.js';

/**
 * The webhook inbox: verified events are committed here before HubSpot gets its 2xx, then
 * processed by any number of workers (`FOR UPDATE SKIP LOCKED` claims with a lease, so a crashed
 * worker's events are claimed again when the lease runs out).
 */

export interface NewInboxEvent {
  dedupeKey: string;
  subscriptionType: string;
  objectId: string | null;
  occurredAtMs: number;
  event: unknown;
}

export interface AcceptResult {
  /** False when this exact signed request was already accepted (a replay): nothing was stored. */
  fresh: boolean;
  /** Events stored; duplicates of already stored events are not counted. */
  inserted: number;
}

/**
 * Stores a verified batch in one statement (one round trip, atomic). With `replaySignature`, the
 * batch is stored only if that signature was not seen before.
 */
export async function acceptWebhookBatch(db: Queryable, replaySignature: string | null, events: NewInboxEvent[]): Promise<AcceptResult> {
  const { rows } = await db.query<{ fresh: boolean; inserted: number }>(
    `WITH guard AS (
       INSERT INTO webhook_replay_guard (signature) SELECT $1::text WHERE $1::text IS NOT NULL
       ON CONFLICT DO NOTHING RETURNING 1
     ), allowed AS (
       SELECT $1::text IS NULL OR EXISTS (SELECT 1 FROM guard) AS ok
     ), stored AS (
       INSERT INTO webhook_inbox (dedupe_key, subscription_type, object_id, occurred_at, event)
       SELECT e.key, e.type, e.object_id, to_timestamp(e.occurred_ms / 1000.0), e.event
       FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::jsonb[]) AS e(key, type, object_id, occurred_ms, event)
       WHERE (SELECT ok FROM allowed)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT ok FROM allowed) AS fresh, (SELECT count(*)::int FROM stored) AS inserted`,
    [
      replaySignature,
      events.map((e) => e.dedupeKey),
      events.map((e) => e.subscriptionType),
      events.map((e) => e.objectId),
      events.map((e) => e.occurredAtMs),
      events.map((e) => JSON.stringify(e.event)),
    ],
  );
  const row = rows[0]!;
  return { fresh: row.fresh, inserted: row.inserted };
}

/** Forgets replay-guard signatures older than the timestamp window: older requests are refused as stale anyway. */
export async function pruneReplayGuard(db: Queryable, olderThanMs: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM webhook_replay_guard WHERE seen_at < now() - make_interval(secs => $1 / 1000.0)`, [olderThanMs]);
  return rowCount ?? 0;
}

export interface InboxRow {
  id: string;
  subscriptionType: string;
  objectId: string | null;
  occurredAt: Date;
  event: unknown;
  attempts: number;
}

interface InboxDbRow {
  id: string;
  subscription_type: string;
  object_id: string | null;
  occurred_at: Date;
  event: unknown;
  attempts: number;
}

/**
 * Claims up to `limit` due events for `leaseMs`. Events of one object can be claimed by different
 * workers; the processor serialises them per object with an advisory lock and per-field versions.
 */
export async function claimInboxEvents(db: Queryable, limit: number, leaseMs: number): Promise<InboxRow[]> {
  const { rows } = await db.query<InboxDbRow>(
    `UPDATE webhook_inbox SET status = 'processing', attempts = attempts + 1,
       locked_until = now() + make_interval(secs => $2 / 1000.0)
     WHERE id IN (
       SELECT id FROM webhook_inbox
       WHERE status IN ('pending', 'processing') AND next_attempt_at <= now()
         AND (locked_until IS NULL OR locked_until < now())
       ORDER BY occurred_at, id
       LIMIT $1
       FOR UPDATE SKIP LOCKED)
     RETURNING id, subscription_type, object_id, occurred_at, event, attempts`,
    [limit, leaseMs],
  );
  return rows
    .map((r) => ({ id: String(r.id), subscriptionType: r.subscription_type, objectId: r.object_id, occurredAt: r.occurred_at, event: r.event, attempts: r.attempts }))
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || Number(a.id) - Number(b.id));
}

export type InboxOutcomeStatus = 'applied' | 'ignored';

/** Marks an event done, in the same transaction as its effect (exactly once in effect). */
export async function completeInboxEvent(db: Queryable, id: string, status: InboxOutcomeStatus, outcome: string): Promise<void> {
  await db.query(
    `UPDATE webhook_inbox SET status = $2, outcome = $3, processed_at = now(), locked_until = NULL, last_error = NULL WHERE id = $1`,
    [id, status, outcome],
  );
}

/** Schedules a retry with back-off, or gives up (`failed`) after `maxAttempts`. */
export async function failInboxEvent(db: Queryable, id: string, error: string, maxAttempts: number, retryInMs: number): Promise<void> {
  await db.query(
    `UPDATE webhook_inbox SET
       status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
       processed_at = CASE WHEN attempts >= $3 THEN now() END,
       last_error = left($2, 1000), locked_until = NULL,
       next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
     WHERE id = $1`,
    [id, error, maxAttempts, retryInMs],
  );
}

export interface InboxStats {
  pending: number;
  failed: number;
  oldestPendingReceivedAt: Date | null;
  lastAppliedAt: Date | null;
  lastErrors: Array<{ id: string; subscriptionType: string; objectId: string | null; error: string; at: Date | null }>;
}

export async function inboxStats(db: Queryable): Promise<InboxStats> {
  const [counts, errors] = await Promise.all([
    db.query<{ pending: number; failed: number; oldest: Date | null; last_applied: Date | null }>(
      `SELECT count(*) FILTER (WHERE status IN ('pending', 'processing'))::int AS pending,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              min(received_at) FILTER (WHERE status IN ('pending', 'processing')) AS oldest,
              max(processed_at) FILTER (WHERE status = 'applied') AS last_applied
       FROM webhook_inbox`,
    ),
    db.query<{ id: string; subscription_type: string; object_id: string | null; last_error: string; processed_at: Date | null }>(
      `SELECT id, subscription_type, object_id, last_error, processed_at FROM webhook_inbox
       WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 10`,
    ),
  ]);
  const c = counts.rows[0]!;
  return {
    pending: c.pending,
    failed: c.failed,
    oldestPendingReceivedAt: c.oldest,
    lastAppliedAt: c.last_applied,
    lastErrors: errors.rows.map((r) => ({ id: String(r.id), subscriptionType: r.subscription_type, objectId: r.object_id, error: r.last_error, at: r.processed_at })),
  };
}
