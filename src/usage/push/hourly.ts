import { withTransaction } from '../../db/pool.js';
import { enqueue } from '../../store/outbox.js';
import { refreshTrunkPeaks } from '../../store/usage-sync.js';
import type { UsagePushDeps } from './deps.js';

const HOUR_MS = 3_600_000;
/**
 * Trunks per transaction: the first run (no figures yet) and an hour after a busy one change
 * every trunk; in pages the process holds one page of them, not every trunk.
 */
const TRUNK_PAGE = 1_000;

/**
 * The hourly usage run (docs/usage-sync.md "Hourly"): the hour before the slot is final for the
 * trunk figures, so each live trunk's `peak_concurrent_calls` and `utilization_pct` become that
 * hour's (0 when it had no samples), and the trunks whose values changed are queued for HubSpot.
 * A backfilled slot writes its own hour; the serial queue runs slots in order, so the latest wins.
 */
export async function pushTrunkHour(deps: UsagePushDeps, slotAt: Date): Promise<Record<string, number>> {
  const hour = new Date(Math.floor(slotAt.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS);
  let trunks = 0;
  let afterId: string | null = '0';
  while (afterId !== null) {
    const page = { afterId, limit: TRUNK_PAGE };
    const changed = await withTransaction(deps.pool, async (tx) => {
      const refreshed = await refreshTrunkPeaks(tx, hour.toISOString(), page);
      await enqueue(tx, refreshed.trunkIds.map((trunkId) => ({ objectType: 'trunk', recordKey: trunkId })));
      return refreshed;
    });
    deps.metrics.writes('trunk', changed.trunkIds.length);
    trunks += changed.trunkIds.length;
    afterId = changed.lastId;
  }
  return { trunkWrites: trunks };
}
