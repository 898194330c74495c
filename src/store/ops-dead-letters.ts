import type { Queryable } from '../db/pool.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';
import type { DeadLetter } from './dead-letters.js';
import type { OutboxObjectType } from './outbox.js';

/**
 * The dashboard's search over open dead letters: by object type, kind of the last error, customer
 * and age, newest first, with the count of everything that matches (what a bulk action would touch).
 */

/** Kinds of failure, from the last attempt's status; the same rule as the API's attempt codes. */
export const ERROR_KINDS = [
  'outgoing_guard', 'send_failed', 'hubspot_validation', 'hubspot_auth', 'hubspot_not_found',
  'hubspot_conflict', 'hubspot_rate_limited', 'hubspot_unavailable', 'hubspot_error',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Computed in SQL (migration 0110), where open letters are indexed by it. */
const KIND_SQL = 'dead_letter_error_kind(errors)';

export interface DeadLetterFilter {
  objectType?: OutboxObjectType | undefined;
  errorKind?: ErrorKind | undefined;
  /** A customer's id: its company and the trunks, numbers and users it has. */
  customerId?: string | undefined;
  minAgeHours?: number | undefined;
  maxAgeHours?: number | undefined;
}

function where(filter: DeadLetterFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const clauses = [`status = 'open'`];
  const add = (clause: (p: string) => string, value: unknown): void => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  if (filter.objectType) add((p) => `object_type = ${p}`, filter.objectType);
  if (filter.errorKind) add((p) => `${KIND_SQL} = ${p}`, filter.errorKind);
  if (filter.customerId) {
    // The customer's record keys first (one index lookup each), then its letters by key: never a scan of every letter.
    add(
      (p) => `record_key = ANY(ARRAY(SELECT ${p}::text UNION ALL SELECT trunk_id FROM trunks WHERE customer_id = ${p}::bigint
          UNION ALL SELECT number FROM numbers WHERE customer_id = ${p}::bigint UNION ALL SELECT user_id FROM users WHERE customer_id = ${p}::bigint AND user_id IS NOT NULL))
        AND (CASE object_type
          WHEN 'company' THEN record_key = ${p}::text
          WHEN 'trunk' THEN record_key IN (SELECT trunk_id FROM trunks WHERE customer_id = ${p}::bigint)
          WHEN 'number' THEN record_key IN (SELECT number FROM numbers WHERE customer_id = ${p}::bigint)
          WHEN 'contact' THEN record_key IN (SELECT user_id FROM users WHERE customer_id = ${p}::bigint)
          ELSE false END)`,
      filter.customerId,
    );
  }
  if (filter.minAgeHours !== undefined) add((p) => `created_at <= now() - ${p} * interval '1 hour'`, filter.minAgeHours);
  if (filter.maxAgeHours !== undefined) add((p) => `created_at >= now() - ${p} * interval '1 hour'`, filter.maxAgeHours);
  return { sql: clauses.join(' AND '), params };
}

interface Row {
  id: string;
  object_type: OutboxObjectType;
  record_key: string;
  errors: DeadLetter['errors'];
  correlation_id: string | null;
  created_at: Date;
  kind: ErrorKind;
}

export interface DeadLetterSummary {
  id: string;
  objectType: OutboxObjectType;
  recordKey: string;
  errorKind: ErrorKind;
  lastError: DeadLetter['errors'][number] | null;
  attempts: number;
  correlationId: string | null;
  createdAt: Date;
}

/** One page, newest first (without payloads: they are shown on the detail page only). */
export async function searchOpenDeadLetters(db: Queryable, filter: DeadLetterFilter, page: PageRequest): Promise<Page<DeadLetterSummary>> {
  const w = where(filter);
  const n = w.params.length;
  const { rows } = await db.query<Row>(
    `SELECT id, object_type, record_key, errors, correlation_id, created_at, ${KIND_SQL} AS kind FROM dead_letters
     WHERE ${w.sql} AND ($${n + 1}::bigint IS NULL OR id < $${n + 1}) ORDER BY id DESC LIMIT $${n + 2}`,
    [...w.params, page.cursor ?? null, fetchLimit(page)],
  );
  const items = rows.map((r) => ({
    id: String(r.id),
    objectType: r.object_type,
    recordKey: r.record_key,
    errorKind: r.kind,
    lastError: r.errors.at(-1) ?? null,
    attempts: r.errors.length,
    correlationId: r.correlation_id,
    createdAt: r.created_at,
  }));
  return toPage(items, page, (d) => d.id);
}

/**
 * How many open letters match, counted up to `cap` (the caller shows "more than"): a page never
 * pays for counting a hundred thousand letters it will not show.
 */
export async function countOpenDeadLettersMatching(db: Queryable, filter: DeadLetterFilter, cap: number): Promise<number> {
  const w = where(filter);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM dead_letters WHERE ${w.sql} LIMIT $${w.params.length + 1}) m`, [...w.params, cap]);
  return rows[0]?.n ?? 0;
}

/** Ids of matching open dead letters, oldest first, at most `limit` (a bulk action's batch). */
export async function openDeadLetterIds(db: Queryable, filter: DeadLetterFilter, limit: number): Promise<string[]> {
  const w = where(filter);
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM dead_letters WHERE ${w.sql} ORDER BY id LIMIT $${w.params.length + 1}`, [...w.params, limit]);
  return rows.map((r) => String(r.id));
}
