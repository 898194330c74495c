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
  created_at: Date;
  resolved_at: Date | null;
}

const COLUMNS = 'id, object_type, record_key, payload, errors, correlation_id, status, created_at, resolved_at';

const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
  id: String(row.id),
  objectType: row.object_type,
  recordKey: row.record_key,
  payload: row.payload,
  errors: row.errors,
  correlationId: row.correlation_id,
  status: row.status,
  createdAt: row.created_at,
  resolvedAt: row.resolved_at,
});

export interface NewDeadLetter {
  objectType: OutboxObjectType;
  recordKey: string;
  payload: unknown;
  errors: readonly AttemptError[];
}

export async function countOpenDeadLetters(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE status = 'open'`);
  return rows[0]?.n ?? 0;
}

export async function insertDeadLetter(db: Queryable, letter: NewDeadLetter): Promise<DeadLetter> {
  // The last attempt's correlation id is the one HubSpot support can look up.
  const correlationId = [...letter.errors].reverse().find((e) => e.correlationId)?.correlationId ?? null;
  const { rows } = await db.query<DeadLetterRow>(
    `INSERT INTO dead_letters (object_type, record_key, payload, errors, correlation_id) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [letter.objectType, letter.recordKey, JSON.stringify(letter.payload ?? null), JSON.stringify(letter.errors), correlationId],
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
