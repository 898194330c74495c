import type { Queryable } from '../db/pool.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';
import type { AttemptError, OutboxObjectType } from './outbox.js';

/**
 * Records the outbound sync gave up on (every attempt failed, or the record was refused), with
 * what we tried to send, every attempt's error and HubSpot's correlation id. Retrying one puts it
 * back in the outbox; discarding closes it.
 */

export const DEAD_LETTER_STATUSES = ['open', 'retried', 'discarded'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

export interface DeadLetter {
  id: string;
  objectType: OutboxObjectType;
  recordKey: string;
  payload: unknown;
  errors: AttemptError[];
  correlationId: string | null;
  status: DeadLetterStatus;
  /** Dead-lettered for a passing cause (a 5xx, 429, timeout that outlasted the retry budget). */
  transient: boolean;
  createdAt: Date;
  resolvedAt: Date | null;
}

interface DeadLetterRow {
  id: string;
  object_type: OutboxObjectType;
  record_key: string;
  payload: unknown;
  errors: AttemptError[];
  correlation_id: string | null;
  status: DeadLetterStatus;
  transient: boolean;
  created_at: Date;
  resolved_at: Date | null;
}

const COLUMNS = 'id, object_type, record_key, payload, errors, correlation_id, status, transient, created_at, resolved_at';

const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
  id: String(row.id),
  objectType: row.object_type,
  recordKey: row.record_key,
  payload: row.payload,
  errors: row.errors,
  correlationId: row.correlation_id,
  status: row.status,
  transient: row.transient,
  createdAt: row.created_at,
  resolvedAt: row.resolved_at,
});

export interface NewDeadLetter {
  objectType: OutboxObjectType;
  recordKey: string;
  payload: unknown;
  errors: readonly AttemptError[];
  /** A passing cause (retried automatically once HubSpot answers again); default: no. */
  transient?: boolean | undefined;
}

export async function countOpenDeadLetters(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE status = 'open'`);
  return rows[0]?.n ?? 0;
}

export async function insertDeadLetter(db: Queryable, letter: NewDeadLetter): Promise<DeadLetter> {
  // The last attempt's correlation id is the one HubSpot support can look up.
  const correlationId = [...letter.errors].reverse().find((e) => e.correlationId)?.correlationId ?? null;
  const { rows } = await db.query<DeadLetterRow>(
    `INSERT INTO dead_letters (object_type, record_key, payload, errors, correlation_id, transient) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [letter.objectType, letter.recordKey, JSON.stringify(letter.payload ?? null), JSON.stringify(letter.errors), correlationId, letter.transient ?? false],
  );
  return toDeadLetter(rows[0]!);
}

/** Oldest first. */
export async function listDeadLetters(db: Queryable, filter: { status?: DeadLetterStatus | undefined }, page: PageRequest): Promise<Page<DeadLetter>> {
  const { rows } = await db.query<DeadLetterRow>(
    `SELECT ${COLUMNS} FROM dead_letters WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [filter.status ?? null, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toDeadLetter), page, (d) => d.id);
}

/** Closes an open dead letter (retried or discarded); null when it is not open. */
export async function resolveDeadLetter(db: Queryable, id: string, status: Exclude<DeadLetterStatus, 'open'>): Promise<DeadLetter | null> {
  const { rows } = await db.query<DeadLetterRow>(
    `UPDATE dead_letters SET status = $2, resolved_at = now() WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
    [id, status],
  );
  return rows[0] ? toDeadLetter(rows[0]) : null;
}

export async function findDeadLetter(db: Queryable, id: string): Promise<DeadLetter | null> {
  const { rows } = await db.query<DeadLetterRow>(`SELECT ${COLUMNS} FROM dead_letters WHERE id = $1`, [id]);
  return rows[0] ? toDeadLetter(rows[0]) : null;
}

/** Open dead letters of passing causes. */
export async function countOpenTransientDeadLetters(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE status = 'open' AND transient`);
  return rows[0]?.n ?? 0;
}

/**
 * Closes up to `limit` open dead letters of passing causes as retried automatically, and returns
 * them (the caller queues each record again in the same transaction). A record already retried
 * automatically `maxPerRecord` times within `perRecordWindowMs` is left open, for a person.
 */
export async function takeTransientDeadLetters(db: Queryable, options: { maxPerRecord: number; perRecordWindowMs: number; limit: number }): Promise<DeadLetter[]> {
  const { rows } = await db.query<DeadLetterRow>(
    `WITH picked AS (
       SELECT d.id FROM dead_letters d
       WHERE d.status = 'open' AND d.transient
         AND (SELECT count(*) FROM dead_letters p
              WHERE p.retried_automatically AND p.object_type = d.object_type AND p.record_key = d.record_key
                AND p.resolved_at > now() - $2 * interval '1 millisecond') < $1
       ORDER BY d.id LIMIT $3 FOR UPDATE SKIP LOCKED
     )
     UPDATE dead_letters d SET status = 'retried', resolved_at = now(), retried_automatically = true
     FROM picked WHERE d.id = picked.id RETURNING ${COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}`,
    [options.maxPerRecord, options.perRecordWindowMs, options.limit],
  );
  return rows.map(toDeadLetter);
}
