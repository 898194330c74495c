import { type Pool, type PoolClient, type Queryable, withTransaction } from '../db/pool.js';
import { findCustomerIdByBan } from '../store/accounts.js';
import { type Failure, fail, type Result } from './result.js';

/**
 * How a command reaches the database. With the pool it opens its own transaction; a caller that
 * must make the command part of a larger unit passes its transaction instead (the inbox applying a
 * HubSpot change with its dependent updates, an onboarding step with its "done" mark).
 */
export type WarpDeps = { pool: Pool } | { tx: PoolClient };

/** Where a read runs: the caller's transaction if it has one, else any pooled connection. */
export const reader = (deps: WarpDeps): Queryable => ('tx' in deps ? deps.tx : deps.pool);

class Refused extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/**
 * Runs `work` in one transaction and keeps its writes only when it succeeds: a refusal (a failure
 * result) rolls back whatever the command wrote before it decided, so nothing is half-written. In
 * the caller's transaction that is a savepoint, which leaves the caller's own writes alone.
 */
export async function inTransaction<T>(deps: WarpDeps, work: (tx: PoolClient) => Promise<Result<T>>): Promise<Result<T>> {
  if ('pool' in deps) {
    try {
      return await withTransaction(deps.pool, async (tx) => {
        const result = await work(tx);
        if (!result.ok) throw new Refused(result);
        return result;
      });
    } catch (error) {
      if (error instanceof Refused) return error.failure;
      throw error;
    }
  }
  // An exception aborts the caller's transaction anyway; only a refusal needs the savepoint.
  await deps.tx.query('SAVEPOINT warp_command');
  const result = await work(deps.tx);
  await deps.tx.query(result.ok ? 'RELEASE SAVEPOINT warp_command' : 'ROLLBACK TO SAVEPOINT warp_command');
  return result;
}

export const customerNotFound = (ban: string): Failure => fail('not_found', `No customer with BAN ${ban}`);

/** A command on the customer a BAN names: `not_found` when there is none, else `work` in one transaction. */
export function customerCommand<T>(deps: WarpDeps, ban: string, work: (tx: PoolClient, customerId: string) => Promise<Result<T>>): Promise<Result<T>> {
  return inTransaction(deps, async (tx) => {
    const customerId = await findCustomerIdByBan(tx, ban);
    return customerId ? work(tx, customerId) : customerNotFound(ban);
  });
}

/** A read on the customer a BAN names (no transaction needed). */
export async function customerQuery<T>(deps: WarpDeps, ban: string, read: (db: Queryable, customerId: string) => Promise<Result<T>>): Promise<Result<T>> {
  const db = reader(deps);
  const customerId = await findCustomerIdByBan(db, ban);
  return customerId ? read(db, customerId) : customerNotFound(ban);
}
