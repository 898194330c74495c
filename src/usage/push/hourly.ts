import { withTransaction } from '../../db/pool.js';
import { enqueue } from '../../store/outbox.js';
import { refreshTrunkPeaks } from '../../store/usage-sync.js';
import type { UsagePushDeps } from './deps.js';

const HOUR_MS = 3_600_000;

/**
 * The hourly usage run (docs/usage-sync.md "Hourly"): the hour before the slot is final for the
 * trunk figures, so each live trunk's `peak_concurrent_calls` and `utilization_pct` become that
 * hour's (0 when it had no samples), and the trunks whose values changed are queued for HubSpot.
 * A backfilled slot writes its own hour; the serial queue runs slots in order, so the latest wins.
 */
export async function pushTrunkHour(deps: UsagePushDeps, slotAt: Date): Promise<Record<string, number>> {
  const hour = new Date(Math.floor(slotAt.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS);
  const trunks = await withTransaction(deps.pool, async (tx) => {
    const changed = await refreshTrunkPeaks(tx, hour.toISOString());
    await enqueue(tx, changed.map((trunkId) => ({ objectType: 'trunk', recordKey: trunkId })));
    return changed.length;
  });
  deps.metrics.writes('trunk', trunks);
  return { trunkWrites: trunks };
}
