import type { Pool } from '../db/pool.js';
import { ensureDayPartitions } from '../store/usage-partitions.js';

/**
 * Creates raw partitions ahead of the records that need them, once per day and process: a day
 * seen before costs nothing; a new one costs one short transaction (outside the ingest
 * transaction, which holds the retention lock shared and so must not wait for it exclusively).
 */
export interface PartitionKeeper {
  /** Makes sure these days have partitions; returns the ones already pruned (too old). */
  ensure(days: Iterable<string>): Promise<Set<string>>;
}

export function createPartitionKeeper(pool: Pool): PartitionKeeper {
  const ready = new Set<string>();
  return {
    async ensure(days) {
      const missing = [...new Set(days)].filter((day) => !ready.has(day));
      if (missing.length === 0) return new Set();
      const result = await ensureDayPartitions(pool, missing);
      for (const day of result.ready) ready.add(day);
      return new Set(result.pruned);
    },
  };
}
