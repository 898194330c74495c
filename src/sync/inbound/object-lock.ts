import { lockForTransaction } from '../../db/locks.js';
import type { Queryable } from '../../db/pool.js';

/**
 * Serialises all changes to one HubSpot object across workers and processes for the rest of the
 * transaction, so per-object ordering holds even when its events were claimed by different workers.
 */
export async function lockObject(tx: Queryable, objectType: string, objectId: string): Promise<void> {
  await lockForTransaction(tx, `hubspot:${objectType}:${objectId}`);
}
