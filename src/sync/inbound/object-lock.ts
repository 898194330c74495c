import type { Queryable } from '../../db/pool.js';

/**
 * Serialises all changes to one HubSpot object across workers and processes for the rest of the
 * transaction, so per-object ordering holds even when its events were claimed by different workers.
 */
export async function lockObject(tx: Queryable, objectType: string, objectId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`hubspot:${objectType}:${objectId}`]);
}
