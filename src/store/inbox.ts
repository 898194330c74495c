import type { Queryable } from '../db/pool.js';
import { type PublicError, storedPublicError } from '../lib/errors.js';

/**
 * The webhook inbox: verified events are committed here before HubSpot gets its 2xx, then
 * processed by any number of workers. Claims, leases and retries are the queue mechanics shared
 * with the outbox (src/queue/, INBOX_QUEUE); completing and failing an event are fenced by the
 * worker's lease, so a worker whose lease was taken over changes nothing.
 */

export interface NewInboxEvent {
  dedupeKey: string;
  subscriptionType: string;
  objectId: string | null;
  occurredAtMs: number;
  event: unknown;
  /** An event decided without applying it: stored finished (`ignored` with this outcome), never claimed. */
  ignored?: string | undefined;
}

/**
 * Stores a verified request body in one statement (one round trip, atomic), only if none of its
 * replay keys was seen before (a v3 signature, a body hash); returns false for a replay (the body
 * is not stored).
 */
export async function acceptWebhookBatch(db: Queryable, replayKeys: readonly string[], body: string, eventCount: number): Promise<boolean> {
  const { rows } = await db.query<{ fresh: boolean }>(
    `WITH guard AS (
       INSERT INTO webhook_replay_guard (signature) SELECT DISTINCT unnest($1::text[])
       ON CONFLICT DO NOTHING RETURNING 1
     ), allowed AS (
       SELECT (SELECT count(*) FROM guard) = cardinality(ARRAY(SELECT DISTINCT unnest($1::text[]))) AS ok
     ), stored AS (
       INSERT INTO webhook_batches (body, event_count) SELECT $2, $3 WHERE (SELECT ok FROM allowed) RETURNING 1
     )
     SELECT (SELECT ok FROM allowed) AS fresh, (SELECT count(*) FROM stored) AS stored`,
    [[...replayKeys], body, eventCount],
  );
  return rows[0]!.fresh;
}

/**
 * Locks up to `limit` stored request bodies not yet expanded into events (oldest first); batches
 * set aside (quarantined) are skipped, so one that cannot be expanded never blocks the others.
 */
export async function claimWebhookBatches(db: Queryable, limit: number): Promise<Array<{ id: string; body: string }>> {
  const { rows } = await db.query<{ id: string; body: string }>(
    `SELECT id, body FROM webhook_batches WHERE expanded_at IS NULL AND quarantined_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return rows.map((r) => ({ id: String(r.id), body: r.body }));
}

/** When the oldest batch still waiting for expansion arrived (null: none waits). */
export async function oldestUnexpandedBatch(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ oldest: Date | null }>(
    `SELECT (SELECT received_at FROM webhook_batches WHERE expanded_at IS NULL AND quarantined_at IS NULL ORDER BY id LIMIT 1) AS oldest`,
  );
  return rows[0]?.oldest ?? null;
}

/** The batches are now inbox events: their bodies (personal data included) are no longer needed. */
export async function markWebhookBatchesExpanded(db: Queryable, ids: readonly string[]): Promise<void> {
  await db.query(`UPDATE webhook_batches SET expanded_at = now(), body = NULL WHERE id = ANY($1::bigint[])`, [[...ids]]);
}

/** Sets a batch that cannot be expanded aside, with why, for a person to look at; its body is kept. */
export async function quarantineWebhookBatch(db: Queryable, id: string, error: string): Promise<void> {
  await db.query(`UPDATE webhook_batches SET quarantined_at = now(), error = left($2, 1000) WHERE id = $1`, [id, error]);
}

/** Adds events to the inbox; events already there (retries, duplicates) are skipped. Returns how many were new. */
export async function insertInboxEvents(db: Queryable, events: NewInboxEvent[]): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO webhook_inbox (dedupe_key, subscription_type, object_id, occurred_at, event, status, outcome, processed_at)
     SELECT e.key, e.type, e.object_id, to_timestamp(e.occurred_ms / 1000.0), e.event,
            CASE WHEN e.ignored IS NULL THEN 'pending' ELSE 'ignored' END, e.ignored, CASE WHEN e.ignored IS NOT NULL THEN now() END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::jsonb[], $6::text[]) AS e(key, type, object_id, occurred_ms, event, ignored)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      events.map((e) => e.dedupeKey),
      events.map((e) => e.subscriptionType),
      events.map((e) => e.objectId),
      events.map((e) => e.occurredAtMs),
      events.map((e) => JSON.stringify(e.event)),
      events.map((e) => e.ignored ?? null),
    ],
  );
  return rowCount ?? 0;
}

/** Prefix of replay-guard keys that are a body hash (v1/v2 requests, which carry no timestamp). */
export const BODY_HASH_REPLAY_PREFIX = 'body-sha256:';

/**
 * Forgets v3 signatures once the timestamp window has passed (older requests are refused as stale
 * anyway), and body hashes of unsigned-in-time (v1) requests after their longer retention.
 */
export async function pruneReplayGuard(db: Queryable, keep: { signedMs: number; bodyHashMs: number }): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_replay_guard
     WHERE seen_at < now() - make_interval(secs => LEAST($1::float8, $2::float8) / 1000.0)
       AND seen_at < now() - make_interval(secs => (CASE WHEN starts_with(signature, $3) THEN $2::float8 ELSE $1::float8 END) / 1000.0)`,
    [keep.signedMs, keep.bodyHashMs, BODY_HASH_REPLAY_PREFIX],
  );
  return rowCount ?? 0;
}

/**
 * Retention: deletes up to `limit` finished events (applied, ignored or failed) processed more than
 * `olderThanMs` ago. Bounded, so a large backlog is deleted in short transactions.
 */
export async function deleteFinishedInboxEvents(db: Queryable, olderThanMs: number, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_inbox WHERE id IN (
       SELECT id FROM webhook_inbox
       WHERE status IN ('applied', 'ignored', 'failed') AND processed_at < now() - make_interval(secs => $1 / 1000.0)
       LIMIT $2)`,
    [olderThanMs, limit],
  );
  return rowCount ?? 0;
}

/** Retention: deletes up to `limit` expanded or quarantined batches received more than `olderThanMs` ago. */
export async function deleteOldWebhookBatches(db: Queryable, olderThanMs: number, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_batches WHERE id IN (
       SELECT id FROM webhook_batches
       WHERE received_at < now() - make_interval(secs => $1 / 1000.0) AND (expanded_at IS NOT NULL OR quarantined_at IS NOT NULL)
       LIMIT $2)`,
    [olderThanMs, limit],
  );
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

/** An event as a claim returns it (src/queue/tables.ts, INBOX_QUEUE.returning). */
export interface InboxDbRow {
  id: string;
  subscription_type: string;
  object_id: string | null;
  occurred_at: Date;
  event: unknown;
  attempts: number;
}

export const toInboxRow = (r: InboxDbRow): InboxRow => ({
  id: String(r.id),
  subscriptionType: r.subscription_type,
  objectId: r.object_id,
  occurredAt: r.occurred_at,
  event: r.event,
  attempts: r.attempts,
});

export type InboxOutcomeStatus = 'applied' | 'ignored';

/**
 * Marks an event done, in the same transaction as its effect (exactly once in effect). False when
 * `owner` no longer holds the lease: the caller rolls its transaction back.
 */
export async function completeInboxEvent(db: Queryable, id: string, owner: string, status: InboxOutcomeStatus, outcome: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_inbox SET status = $3, outcome = $4, processed_at = now(), locked_until = NULL, lease_owner = NULL, last_error = NULL, last_error_code = NULL
     WHERE id = $1 AND lease_owner = $2`,
    [id, owner, status, outcome],
  );
  return (rowCount ?? 0) > 0;
}

/** Gives up on an event for good (`failed`): its attempts are used up. */
export async function failInboxEvent(db: Queryable, id: string, owner: string, error: PublicError): Promise<void> {
  await db.query(
    `UPDATE webhook_inbox SET status = 'failed', processed_at = now(), last_error = left($3, 1000), last_error_code = $4,
       locked_until = NULL, lease_owner = NULL
     WHERE id = $1 AND lease_owner = $2`,
    [id, owner, error.message, error.code],
  );
}

export interface InboxStats {
  /** Requests stored but not yet expanded into events, and when the oldest of them arrived. */
  unexpandedBatches: number;
  oldestUnexpandedReceivedAt: Date | null;
  /** Requests set aside because they could not be expanded. */
  quarantinedBatches: number;
  pending: number;
  failed: number;
  oldestPendingReceivedAt: Date | null;
  lastAppliedAt: Date | null;
  lastErrors: Array<{ id: string; subscriptionType: string; objectId: string | null; error: PublicError; at: Date | null }>;
}

/**
 * Backlog and health of the inbox. Every figure comes from a partial index (unfinished, failed,
 * applied, erroring rows), so its cost follows the backlog, not the size of the table.
 */
export async function inboxStats(db: Queryable): Promise<InboxStats> {
  const [batches, counts, errors] = await Promise.all([
    db.query<{ n: number; oldest: Date | null; quarantined: number }>(
      `SELECT (SELECT count(*)::int FROM webhook_batches WHERE expanded_at IS NULL AND quarantined_at IS NULL) AS n,
              (SELECT received_at FROM webhook_batches WHERE expanded_at IS NULL AND quarantined_at IS NULL ORDER BY id LIMIT 1) AS oldest,
              (SELECT count(*)::int FROM webhook_batches WHERE quarantined_at IS NOT NULL AND expanded_at IS NULL) AS quarantined`,
    ),
    db.query<{ pending: number; failed: number; oldest: Date | null; last_applied: Date | null }>(
      `SELECT (SELECT count(*)::int FROM webhook_inbox WHERE status IN ('pending', 'processing')) AS pending,
              (SELECT count(*)::int FROM webhook_inbox WHERE status = 'failed') AS failed,
              (SELECT min(received_at) FROM webhook_inbox WHERE status IN ('pending', 'processing')) AS oldest,
              (SELECT max(processed_at) FROM webhook_inbox WHERE status = 'applied') AS last_applied`,
    ),
    db.query<{ id: string; subscription_type: string; object_id: string | null; last_error: string; last_error_code: string | null; processed_at: Date | null }>(
      `SELECT id, subscription_type, object_id, last_error, last_error_code, processed_at FROM webhook_inbox
       WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 10`,
    ),
  ]);
  const c = counts.rows[0]!;
  const b = batches.rows[0]!;
  const oldest = [b.oldest, c.oldest].filter((d): d is Date => d !== null).sort((x, y) => x.getTime() - y.getTime())[0] ?? null;
  return {
    unexpandedBatches: b.n,
    oldestUnexpandedReceivedAt: b.oldest,
    quarantinedBatches: b.quarantined,
    pending: c.pending,
    failed: c.failed,
    oldestPendingReceivedAt: oldest,
    lastAppliedAt: c.last_applied,
    lastErrors: errors.rows.map((r) => ({
      id: String(r.id),
      subscriptionType: r.subscription_type,
      objectId: r.object_id,
      error: storedPublicError(r.last_error_code, r.last_error)!,
      at: r.processed_at,
    })),
  };
}
