import { type Pool, withTransaction } from '../db/pool.js';
import { lockRetentionShared, prunedThrough } from '../store/usage-partitions.js';
import { lockForRecompute, recomputeDay } from '../store/usage-recompute.js';
import { daysBetween } from './days.js';

export type DayRecompute =
  | { day: string; status: 'recomputed'; records: number; changedRows: number }
  /** The raw records of the day were dropped by retention: its roll-ups are kept as they are. */
  | { day: string; status: 'raw_dropped' };

/**
 * Rebuilds the roll-ups of every day of `from`…`to` from the raw records (e.g. after a bug fix in
 * the roll-up rules), one transaction per day, so ingest waits at most one day's recompute. Days
 * whose raw records retention has dropped cannot be rebuilt: they are skipped and reported, and
 * their roll-ups (kept forever) stay as the incremental path left them.
 */
export async function recomputeRange(pool: Pool, from: string, to: string, nowMs = Date.now()): Promise<DayRecompute[]> {
  const results: DayRecompute[] = [];
  for (const day of daysBetween(from, to)) {
    results.push(
      await withTransaction(pool, async (tx): Promise<DayRecompute> => {
        await lockRetentionShared(tx);
        const watermark = await prunedThrough(tx);
        if (watermark !== null && day <= watermark) return { day, status: 'raw_dropped' };
        await lockForRecompute(tx);
        return { day, status: 'recomputed', ...(await recomputeDay(tx, day, new Date(nowMs).toISOString())) };
      }),
    );
  }
  return results;
}
