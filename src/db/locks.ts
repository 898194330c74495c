import type { Queryable } from './pool.js';

/**
 * Holds a transaction-scoped advisory lock on `key` until the transaction ends: serialises work on
 * one thing (a HubSpot object, an email address) across connections and processes, including
 * checks for the absence of a row, which row locks cannot cover.
 */
export async function lockForTransaction(tx: Queryable, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}
