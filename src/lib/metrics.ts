import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** One registry per process, created by the composition root and handed to whoever records. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'warp_hubspot_' });
  return registry;
}

export interface SnapshotGauge<S> {
  name: string;
  help: string;
  value(snapshot: S): number;
}

/** How long one read serves every scrape: a scraper (or anyone who can reach /metrics) polling fast costs one read per 10 s. */
export const SNAPSHOT_TTL_MS = 10_000;

/**
 * Gauges whose values come from one read at scrape time (e.g. a database query describing shared
 * state, so every instance reports the same backlog). prom-client collects gauges one by one; the
 * first collect reads and the others reuse that read for `SNAPSHOT_TTL_MS`. A failed read keeps
 * the last values rather than failing the whole scrape.
 */
export function registerSnapshotGauges<S>(registry: Registry, read: () => Promise<S>, gauges: ReadonlyArray<SnapshotGauge<S>>): void {
  let snapshot: { readAtMs: number; value: Promise<S | undefined> } | undefined;
  const shared = (): Promise<S | undefined> => {
    if (!snapshot || Date.now() - snapshot.readAtMs >= SNAPSHOT_TTL_MS) snapshot = { readAtMs: Date.now(), value: read().catch(() => undefined) };
    return snapshot.value;
  };
  for (const gauge of gauges) {
    new Gauge({
      name: gauge.name,
      help: gauge.help,
      registers: [registry],
      async collect() {
        const value = await shared();
        if (value !== undefined) this.set(gauge.value(value));
      },
    });
  }
}

/** Seconds since `since`, 0 when there is nothing waiting. */
export const ageSeconds = (since: Date | null, nowMs = Date.now()): number => (since ? Math.max(0, (nowMs - since.getTime()) / 1000) : 0);
