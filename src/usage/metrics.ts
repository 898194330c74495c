import { Counter, Histogram, type Registry } from 'prom-client';

import type { IngestResult, UsageKind } from './ingest.js';

export interface UsageMetrics {
  /** One request committed: its outcomes, when it arrived and committed, and when its records ended. */
  recorded(kind: UsageKind, result: IngestResult, times: { receivedMs: number; committedMs: number; recordEndsMs: readonly number[] }): void;
}

/**
 * Usage ingest metrics: records by kind and outcome; ingest lag (how long after a record ended it
 * was accepted: the switches' delivery delay, late records included); roll-up lag (from the
 * request's arrival until its roll-ups are committed, which happens in the same transaction).
 */
export function createUsageMetrics(registry: Registry): UsageMetrics {
  const records = new Counter({
    name: 'warp_hubspot_usage_records_total',
    help: 'Usage records received, by kind (calls, messages, samples) and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const ingestLag = new Histogram({
    name: 'warp_hubspot_usage_ingest_lag_seconds',
    help: 'Time from the end of a usage record (call end, message sent, sample taken) to its commit',
    labelNames: ['kind'],
    buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86_400, 7 * 86_400, 35 * 86_400],
    registers: [registry],
  });
  const rollupLag = new Histogram({
    name: 'warp_hubspot_usage_rollup_lag_seconds',
    help: 'Time from the arrival of a usage request until its roll-ups are committed',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    recorded(kind, result, times) {
      const counts: Record<string, number> = {
        accepted: result.accepted,
        duplicate: result.duplicates,
        corrected: result.corrected,
        stale: result.stale,
        rejected: result.rejected.length,
      };
      for (const [outcome, n] of Object.entries(counts)) if (n > 0) records.inc({ kind, outcome }, n);
      for (const endMs of times.recordEndsMs) ingestLag.observe({ kind }, Math.max(0, (times.committedMs - endMs) / 1000));
      rollupLag.observe({ kind }, (times.committedMs - times.receivedMs) / 1000);
    },
  };
}
