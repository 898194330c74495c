import type { Pool, Queryable } from './pool.js';

/**
 * Holds a transaction-scoped advisory lock on `key` until the transaction ends: serialises work on
 * one thing (a HubSpot object, an email address) across connections and processes, including
 * checks for the absence of a row, which row locks cannot cover.
 */
export async function lockForTransaction(tx: Queryable, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}

/**
 * Runs `work` while holding a session advisory lock on `key`, on a connection of its own: one
 * process at a time across every instance (e.g. HubSpot provisioning at start). The others wait
 * for it; a process that dies releases the lock with its connection.
 */
export async function withSessionLock<T>(pool: Pool, key: string, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((error: unknown) => {
        broken = error instanceof Error ? error : new Error(String(error));
      });
    }
  } finally {
    // A connection whose unlock failed is destroyed, which releases the lock in PostgreSQL.
    client.release(broken);
  }
}
