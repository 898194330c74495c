import { Counter, Histogram, type Registry } from 'prom-client';

export interface UsagePushMetrics {
  /** A company write was queued because its month roll-up changed at `changedAt`. */
  queued(changedAt: Date | null, nowMs: number): void;
  /** HubSpot writes queued by the usage schedules, by what they carry. */
  writes(kind: 'company' | 'trunk' | 'summary_note' | 'event', count: number): void;
}

/**
 * Usage sync lag: from the moment a customer's month roll-up last changed (a usage batch
 * committed) until the usage schedule queued that figure for HubSpot. The outbox's own metrics
 * (warp_hubspot_outbox_*) cover the rest of the way to HubSpot.
 */
export function createUsagePushMetrics(registry: Registry | undefined): UsagePushMetrics {
  const registers = registry ? [registry] : [];
  const lag = new Histogram({
    name: 'warp_hubspot_usage_sync_lag_seconds',
    help: 'Time from a usage roll-up change until the usage schedule queued it for HubSpot',
    buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 86_400],
    registers,
  });
  const writes = new Counter({
    name: 'warp_hubspot_usage_sync_writes_total',
    help: 'HubSpot writes queued by the usage schedules, by kind (company, trunk, summary_note, event)',
    labelNames: ['kind'],
    registers,
  });
  return {
    queued(changedAt, nowMs) {
      if (changedAt) lag.observe(Math.max(0, (nowMs - changedAt.getTime()) / 1000));
    },
    writes(kind, count) {
      if (count > 0) writes.inc({ kind }, count);
    },
  };
}
