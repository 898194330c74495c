import type { Queryable } from '../db/pool.js';
import type { QueueTable } from './tables.js';

/**
 * Claims, leases, heartbeats, retries and deferrals of the SQL-owned queues (see tables.ts), as
 * visible, parameterised SQL. A claim is a lease, not a held lock: `FOR UPDATE SKIP LOCKED` lets
 * any number of workers in any number of processes claim at once without waiting on each other,
 * and a worker that dies loses its rows when the lease runs out. Every later statement about a row
 * is fenced by `lease_owner`, so a worker whose lease was taken over changes nothing.
 */

/** Settings of the one back-off formula. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * The one back-off formula of the queues: base × 2^(attempt − 1), capped at max, with ±20 %
 * jitter so rows that failed together do not come back together. PostgreSQL computes it from the
 * row's own attempt count (counted at claim), so every worker agrees.
 */
const retryAt = (q: QueueTable, baseParam: string, maxParam: string): string =>
  `now() + make_interval(secs => least(${maxParam}::float8, ${baseParam}::float8 * power(2, least(greatest(${q.attempts} - 1, 0), 30)))
     / 1000.0 * (0.8 + random() * 0.4))`;

const leaseEnd = (param: string): string => `now() + make_interval(secs => ${param}::float8 / 1000)`;

/**
 * Leases up to `limit` ready rows to `owner` for `leaseMs`, counting one attempt on each. The
 * rows come back with that count: a row whose count is past the queue's maximum was claimed that
 * often without ever reaching an outcome (its worker crashed each time) and must be given up.
 * `readyParams` fill the table's `ready` condition from `$4` on.
 */
export async function claim<R>(db: Queryable, q: QueueTable, options: { owner: string; leaseMs: number; limit: number; readyParams?: unknown[] }): Promise<R[]> {
  const { rows } = await db.query(
    `UPDATE ${q.table} SET ${q.leaseUntil} = ${leaseEnd('$1')}, ${q.leaseOwner} = $2, ${q.attempts} = ${q.attempts} + 1 ${q.onClaim}
     WHERE id IN (
       SELECT c.id FROM ${q.table} c
       WHERE c.${q.availableAt} <= now() AND (c.${q.leaseUntil} IS NULL OR c.${q.leaseUntil} < now()) AND ${q.ready}
       ORDER BY ${q.orderBy} LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING ${q.returning}`,
    [options.leaseMs, options.owner, options.limit, ...(options.readyParams ?? [])],
  );
  return rows as R[];
}

/** The heartbeat of a worker still busy with its rows: their leases run for another `leaseMs`. */
export async function extendLeases(db: Queryable, q: QueueTable, ids: readonly string[], owner: string, leaseMs: number): Promise<void> {
  await db.query(`UPDATE ${q.table} SET ${q.leaseUntil} = ${leaseEnd('$3')} WHERE id = ANY($1::bigint[]) AND ${q.leaseOwner} = $2`, [[...ids], owner, leaseMs]);
}

/** A failed attempt: records `error` and releases the row until its back-off has passed. */
export async function retryLater(db: Queryable, q: QueueTable, id: string, owner: string, error: string, backoff: Backoff): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE ${q.table} SET ${q.recordError('$3')}, ${q.leaseUntil} = NULL, ${q.leaseOwner} = NULL,
       ${q.availableAt} = ${retryAt(q, '$4', '$5')} ${q.onRetry}
     WHERE id = $1 AND ${q.leaseOwner} = $2`,
    [id, owner, error, backoff.baseMs, backoff.maxMs],
  );
  return (rowCount ?? 0) > 0;
}

/** Not an error (the row cannot be handled yet): look again after `delayMs`, giving the attempt back. */
export async function defer(db: Queryable, q: QueueTable, ids: readonly string[], owner: string, delayMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE ${q.table} SET ${q.leaseUntil} = NULL, ${q.leaseOwner} = NULL, ${q.attempts} = greatest(${q.attempts} - 1, 0),
       ${q.availableAt} = ${leaseEnd('$3')} ${q.onRetry}
     WHERE id = ANY($1::bigint[]) AND ${q.leaseOwner} = $2`,
    [[...ids], owner, delayMs],
  );
}

/**
 * Keeps the leases of `ids` alive while `work` runs (a slow send waiting for the HubSpot budget
 * must not lose its rows to another worker), renewing them three times per lease period.
 */
export async function withHeartbeat<T>(
  db: Queryable,
  q: QueueTable,
  held: { ids: readonly string[]; owner: string; leaseMs: number; onError: (error: unknown) => void },
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    extendLeases(db, q, held.ids, held.owner, held.leaseMs).catch(held.onError);
  }, Math.max(50, Math.floor(held.leaseMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
