import type { Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import { ageSeconds, registerSnapshotGauges } from '../../lib/metrics.js';
import { countOpenDeadLetters } from '../../store/dead-letters.js';
import { outboxStats } from '../../store/outbox.js';

/** Outbound sync metrics: the shared outbox backlog and open dead letters, read at scrape time. */
export function registerOutboundMetrics(registry: Registry, pool: Pool): void {
  const read = async () => ({ ...(await outboxStats(pool)), deadLetters: await countOpenDeadLetters(pool) });
  registerSnapshotGauges(registry, read, [
    { name: 'warp_hubspot_outbox_depth', help: 'Records with WARP changes not yet written to HubSpot', value: (s) => s.pending },
    { name: 'warp_hubspot_outbox_lag_seconds', help: 'Age of the oldest change not yet written to HubSpot', value: (s) => ageSeconds(s.oldestCreatedAt) },
    { name: 'warp_hubspot_dead_letters_open', help: 'Changes HubSpot did not take, waiting for a person (retry or discard)', value: (s) => s.deadLetters },
  ]);
}
