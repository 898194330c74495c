import type { Queryable } from '../db/pool.js';

/**
 * The transactional outbox (migration 0005). Writers call `enqueue` in the same transaction as the
 * WARP change; workers `claim` leases with FOR UPDATE SKIP LOCKED, send, then `complete` or `fail`.
 * There is one row per record: a change to a record that is already pending is coalesced into it.
 */

export const OUTBOX_OBJECT_TYPES = ['company', 'contact', 'trunk', 'number', 'event'] as const;
export type OutboxObjectType = (typeof OUTBOX_OBJECT_TYPES)[number];

/** Wakes idle workers (LISTEN outbox); delivered only when the enqueuing transaction commits. */
export const OUTBOX_CHANNEL = 'outbox';

export interface AttemptError {
  at: string;
  message: string;
  status?: number | undefined;
  correlationId?: string | undefined;
}

export interface OutboxEntry {
  id: string;
  objectType: OutboxObjectType;
  recordKey: string;
  fields: string[];
  seq: string;
  changes: number;
  attempts: number;
  errors: AttemptError[];
}

interface OutboxRow {
  id: string;
  object_type: OutboxObjectType;
  record_key: string;
  fields: string[];
  seq: string;
  changes: number;
  attempts: number;
  errors: AttemptError[];
}

const toEntry = (row: OutboxRow): OutboxEntry => ({
  id: String(row.id),
  objectType: row.object_type,
  recordKey: row.record_key,
  fields: row.fields,
  seq: String(row.seq),
  changes: row.changes,
  attempts: row.attempts,
  errors: row.errors,
});

export interface OutboxChange {
  objectType: OutboxObjectType;
  recordKey: string;
  /** Company rows: the WARP-owned properties to send (none: all of them). */
  fields?: readonly string[] | undefined;
}

/**
 * Marks records as needing a HubSpot write, in one statement (API calls enqueue several records:
 * the trunk, its company's roll-ups, the timeline event). A pending row for the same record absorbs
 * the change (new `seq`, `changes + 1`, union of `fields`); a row in back-off keeps its schedule
 * so a failing record is not hammered. Runs in the caller's transaction; idle workers are woken
 * by one NOTIFY, delivered at commit.
 */
/** Outbox backlog for metrics: entries waiting (incl. in flight) and the oldest one's age. */
export async function outboxStats(db: Queryable): Promise<{ pending: number; oldestCreatedAt: Date | null }> {
  const { rows } = await db.query<{ pending: number; oldest: Date | null }>('SELECT count(*)::int AS pending, min(created_at) AS oldest FROM outbox');
  return { pending: rows[0]?.pending ?? 0, oldestCreatedAt: rows[0]?.oldest ?? null };
}

export async function enqueue(tx: Queryable, changes: readonly OutboxChange[]): Promise<void> {
  // One row per record: ON CONFLICT may not touch the same row twice in one statement.
  const merged = new Map<string, { objectType: OutboxObjectType; recordKey: string; fields: Set<string> }>();
  for (const change of changes) {
    const key = `${change.objectType}\u0000${change.recordKey}`;
    const row = merged.get(key) ?? { objectType: change.objectType, recordKey: change.recordKey, fields: new Set<string>() };
    for (const field of change.fields ?? []) row.fields.add(field);
    merged.set(key, row);
  }
  if (merged.size === 0) return;
  const rows = [...merged.values()];
  await tx.query(
    `WITH queued AS (
       INSERT INTO outbox (object_type, record_key, fields)
       SELECT c.object_type, c.record_key, ARRAY(SELECT json_array_elements_text(c.fields))
       FROM json_to_recordset($1::json) AS c(object_type text, record_key text, fields json)
       ON CONFLICT (object_type, record_key) DO UPDATE SET
         seq = nextval('outbox_seq'),
         changes = outbox.changes + 1,
         fields = ARRAY(SELECT DISTINCT unnest(outbox.fields || excluded.fields) ORDER BY 1)
       RETURNING 1)
     SELECT pg_notify($2, '') FROM (SELECT count(*) FROM queued) AS done`,
    [JSON.stringify(rows.map((r) => ({ object_type: r.objectType, record_key: r.recordKey, fields: [...r.fields] }))), OUTBOX_CHANNEL],
  );
}

/**
 * Leases up to `limit` ready rows of one object type to `owner` for `leaseMs`. SKIP LOCKED lets any
 * number of workers in any number of processes claim concurrently without waiting on each other;
 * an expired lease (its worker died) makes the row claimable again.
 */
export async function claim(db: Queryable, objectType: OutboxObjectType, limit: number, owner: string, leaseMs: number): Promise<OutboxEntry[]> {
  const { rows } = await db.query<OutboxRow>(
    `UPDATE outbox o SET lease_until = now() + make_interval(secs => $4::double precision / 1000), lease_owner = $3
     WHERE o.id IN (
       SELECT id FROM outbox
       WHERE object_type = $1 AND available_at <= now() AND (lease_until IS NULL OR lease_until < now())
       ORDER BY available_at, id LIMIT $2
       FOR UPDATE SKIP LOCKED)
     RETURNING o.id, o.object_type, o.record_key, o.fields, o.seq, o.changes, o.attempts, o.errors`,
    [objectType, limit, owner, leaseMs],
  );
  return rows.map(toEntry).sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * The write succeeded. Rows whose `seq` is unchanged are done and deleted; a row that received a
 * change while we were sending stays, released and reset, so that change is sent too.
 */
export async function complete(db: Queryable, entries: readonly OutboxEntry[], owner: string): Promise<void> {
  if (entries.length === 0) return;
  const ids = entries.map((e) => e.id);
  const seqs = entries.map((e) => e.seq);
  await db.query(
    `DELETE FROM outbox o USING unnest($1::bigint[], $2::bigint[]) AS done(id, seq)
     WHERE o.id = done.id AND o.seq = done.seq AND o.lease_owner = $3`,
    [ids, seqs, owner],
  );
  await db.query(
    `UPDATE outbox SET lease_until = NULL, lease_owner = NULL, attempts = 0, errors = '[]', available_at = now()
     WHERE id = ANY($1::bigint[]) AND lease_owner = $2`,
    [ids, owner],
  );
}

/** A failed attempt: record the error and schedule the next one after `delayMs`. */
export async function scheduleRetry(db: Queryable, entry: OutboxEntry, owner: string, error: AttemptError, delayMs: number): Promise<void> {
  await db.query(
    `UPDATE outbox SET attempts = attempts + 1, errors = errors || $3::jsonb, lease_until = NULL, lease_owner = NULL,
       available_at = now() + make_interval(secs => $4::double precision / 1000)
     WHERE id = $1 AND lease_owner = $2`,
    [entry.id, owner, JSON.stringify([error]), delayMs],
  );
}

/** Not an error (e.g. the company has no HubSpot id yet): try again later without using an attempt. */
export async function defer(db: Queryable, entries: readonly OutboxEntry[], owner: string, delayMs: number): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `UPDATE outbox SET lease_until = NULL, lease_owner = NULL, available_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = ANY($1::bigint[]) AND lease_owner = $2`,
    [entries.map((e) => e.id), owner, delayMs],
  );
}

/** Removes a row that has been moved to the dead-letter table (same transaction as the insert). */
export async function remove(db: Queryable, entry: OutboxEntry, owner: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM outbox WHERE id = $1 AND lease_owner = $2', [entry.id, owner]);
  return (rowCount ?? 0) > 0;
}

/** The heartbeat of a worker still sending: its lease runs for another `leaseMs`. */
export async function extendLease(db: Queryable, ids: readonly string[], owner: string, leaseMs: number): Promise<void> {
  await db.query(
    `UPDATE outbox SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = ANY($1::bigint[]) AND lease_owner = $2`,
    [[...ids], owner, leaseMs],
  );
}
