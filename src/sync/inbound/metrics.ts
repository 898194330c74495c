import { Counter, Gauge, type Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import { inboxStats } from '../../store/inbox.js';

export interface InboundMetrics {
  /** One webhook event finished: its outcome (`applied`, `stale`, `echo`, `conflict`, …, or `failed`). */
  eventDone(outcome: string): void;
}

/**
 * Inbound sync metrics: events by outcome, and the inbox's depth, lag and failed count, read from
 * the database when Prometheus scrapes (so every instance reports the shared inbox, not its own).
 */
export function createInboundMetrics(registry: Registry, pool: Pool): InboundMetrics {
  const events = new Counter({
    name: 'warp_hubspot_inbound_events_total',
    help: 'Webhook events processed by this instance, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // The three gauges come from one query; prom-client collects each gauge in turn during a scrape,
  // so the first collect reads and the others reuse that read.
  let snapshot: Promise<Awaited<ReturnType<typeof inboxStats>> | undefined> | undefined;
  const read = () => {
    snapshot ??= inboxStats(pool)
      .catch(() => undefined) // a scrape during a database outage keeps the last values
      .finally(() => setTimeout(() => (snapshot = undefined), 100));
    return snapshot;
  };
  new Gauge({
    name: 'warp_hubspot_inbox_depth',
    help: 'Webhook events waiting to be applied',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats) this.set(stats.pending);
    },
  });
  new Gauge({
    name: 'warp_hubspot_inbox_failed',
    help: 'Webhook events that failed every attempt',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats) this.set(stats.failed);
    },
  });
  new Gauge({
    name: 'warp_hubspot_inbox_lag_seconds',
    help: 'Age of the oldest webhook event not yet applied',
    registers: [registry],
    async collect() {
      const stats = await read();
      if (stats) this.set(stats.oldestPendingReceivedAt ? Math.max(0, (Date.now() - stats.oldestPendingReceivedAt.getTime()) / 1000) : 0);
    },
  });
  return { eventDone: (outcome) => events.inc({ outcome }) };
}
