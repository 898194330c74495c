import type { Queryable } from '../db/pool.js';

/**
 * The transactional outbox (migration 0005). Writers call `enqueue` in the same transaction as the
 * WARP change; workers claim leases (src/queue/, the mechanics shared with the inbox), send, then
 * `complete` or retry. There is one row per record: a change to a record that is already pending is
 * coalesced into it.
 */

export const OUTBOX_OBJECT_TYPES = ['company', 'contact', 'trunk', 'number', 'event', 'usage_note'] as const;
export type OutboxObjectType = (typeof OUTBOX_OBJECT_TYPES)[number];

/** Wakes idle workers (the outbox queue's LISTEN channel); delivered only when the enqueuing transaction commits. */
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

/** A row as a claim returns it (src/queue/tables.ts, OUTBOX_QUEUE.returning). */
export interface OutboxRow {
  id: string;
  object_type: OutboxObjectType;
  record_key: string;
  fields: string[];
  seq: string;
  changes: number;
  attempts: number;
  errors: AttemptError[];
}

export const toEntry = (row: OutboxRow): OutboxEntry => ({
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

/** Outbox backlog for metrics: entries waiting (incl. in flight) and the oldest one's age. */
export async function outboxStats(db: Queryable): Promise<{ pending: number; oldestCreatedAt: Date | null }> {
  const { rows } = await db.query<{ pending: number; oldest: Date | null }>('SELECT count(*)::int AS pending, min(created_at) AS oldest FROM outbox');
  return { pending: rows[0]?.pending ?? 0, oldestCreatedAt: rows[0]?.oldest ?? null };
}

/**
 * Marks records as needing a HubSpot write, in one statement (API calls enqueue several records:
 * the trunk, its company's roll-ups, the timeline event). A pending row for the same record absorbs
 * the change (new `seq`, `changes + 1`, union of `fields`); a row in back-off keeps its schedule
 * so a failing record is not hammered. Runs in the caller's transaction; idle workers are woken
 * by one NOTIFY, delivered at commit.
 */
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

/** Removes a row that has been moved to the dead-letter table (same transaction as the insert). */
export async function remove(db: Queryable, entry: OutboxEntry, owner: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM outbox WHERE id = $1 AND lease_owner = $2', [entry.id, owner]);
  return (rowCount ?? 0) > 0;
}
