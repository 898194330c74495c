import { Counter, type Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import { ageSeconds, registerSnapshotGauges } from '../../lib/metrics.js';
import { inboxStats } from '../../store/inbox.js';

export interface InboundMetrics {
  /** One webhook event finished: its outcome (`applied`, `stale`, `echo`, `conflict`, …, or `failed`). */
  eventDone(outcome: string): void;
}

/** Inbound sync metrics: events by outcome, and the shared inbox's depth, lag and failed count. */
export function createInboundMetrics(registry: Registry, pool: Pool): InboundMetrics {
  const events = new Counter({
    name: 'warp_hubspot_inbound_events_total',
    help: 'Webhook events processed by this instance, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  registerSnapshotGauges(registry, () => inboxStats(pool), [
    { name: 'warp_hubspot_inbox_depth', help: 'Webhook events waiting to be applied', value: (s) => s.pending },
    { name: 'warp_hubspot_inbox_failed', help: 'Webhook events that failed every attempt', value: (s) => s.failed },
    { name: 'warp_hubspot_inbox_lag_seconds', help: 'Age of the oldest webhook event not yet applied', value: (s) => ageSeconds(s.oldestPendingReceivedAt) },
    { name: 'warp_hubspot_inbox_unexpanded_age_seconds', help: 'Age of the oldest stored webhook batch not yet expanded into events', value: (s) => ageSeconds(s.oldestUnexpandedReceivedAt) },
    { name: 'warp_hubspot_inbox_quarantined_batches', help: 'Stored webhook batches set aside because they could not be expanded', value: (s) => s.quarantinedBatches },
  ]);
  return { eventDone: (outcome) => events.inc({ outcome }) };
}
