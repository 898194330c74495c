import type { Pool } from '../db/pool.js';
import { dropPartitionsBefore } from '../store/usage-partitions.js';
import { retentionCutoffDay } from './days.js';

/**
 * Drops the raw partitions older than the retention (`USAGE_RAW_RETENTION_DAYS`): whole days, so
 * no row-by-row delete and no bloat. Roll-ups are kept forever. A schedule entry will call this
 * daily; `npm run cli -- usage prune` does it on demand.
 */
export async function pruneRawUsage(pool: Pool, retentionDays: number, nowMs = Date.now()) {
  const cutoffDay = retentionCutoffDay(nowMs, retentionDays);
  return { cutoffDay, ...(await dropPartitionsBefore(pool, cutoffDay)) };
}
