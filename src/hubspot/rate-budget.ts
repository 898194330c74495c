import { randomUUID } from 'node:crypto';

import type { Logger } from '../lib/logger.js';
import { HubSpotError, RATE_LIMIT_POLICIES } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { Clock } from './clock.js';
import { PRIORITY_RANK, type Priority } from './types.js';

/**
 * The shared rate budget (migrations/0003_hubspot_rate_budget.sql holds the SQL and explains the
 * sliding-window log). This module adds the process side: callers wait in a local queue ordered by
 * priority, and one pump per bucket asks PostgreSQL for as many tokens as there are waiters, so a
 * burst of 50 concurrent calls costs one round trip, not 50. Each token is a permit the caller
 * releases when the response is back; releases are written in batches, too.
 */

/** One granted request. `release()` once its response (or failure) has come back. */
export interface Permit {
  release(): void;
}

export type Bucket = 'burst' | 'search';

export interface RateLimits {
  /** Requests per rolling burst window per app (HubSpot: 100 Free/Starter, 190 Pro/Enterprise). */
  burstLimit: number;
  burstWindowMs: number;
  /** Requests per day per account (250,000 Free/Starter; see docs/hubspot-facts.md "Rate limits"). */
  dailyLimit: number;
  /** CRM search requests per second per account. */
  searchPerSecond: number;
  searchWindowMs: number;
  /**
   * Added to every window: the longest a request may take from its grant to its arrival at
   * HubSpot. Larger is safer, smaller gets closer to the ceiling (window / (window + margin)).
   */
  safetyMarginMs: number;
  /** Share of the daily quota each class must leave for higher classes (the low classes pause first). */
  dailyReserveFraction: Readonly<Record<Priority, number>>;
  /**
   * How long a request whose response never came back keeps counting (its process died): longer
   * than any request may take.
   */
  inflightTimeoutMs: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  burstLimit: 100,
  burstWindowMs: 10_000,
  dailyLimit: 250_000,
  searchPerSecond: 5,
  searchWindowMs: 1_000,
  safetyMarginMs: 250,
  dailyReserveFraction: { realtime: 0, scheduled: 0.05, backfill: 0.2, reconcile: 0.2 },
  inflightTimeoutMs: 60_000,
};

interface Waiter {
  rank: number;
  priority: Priority;
  seq: number;
  deadlineMs: number;
  resolve: (grantId: string) => void;
  reject: (error: Error) => void;
}

interface AcquireRow {
  /** bigint[]: pg returns the ids as strings. */
  granted_ids: string[];
  wait_ms: number;
  reason: 'window' | 'priority' | 'daily' | null;
  window_used: number;
  daily_remaining: number;
}

/**
 * Where the budget is kept, shared by every process (store/rate-budget.ts implements it over the
 * functions of migrations/0003_hubspot_rate_budget.sql).
 */
export interface RateBudgetStore {
  acquireTokens(request: {
    accountKey: string; bucket: Bucket; waiterId: string; rank: number; wanted: number; limit: number;
    windowMs: number; inflightTimeoutMs: number; dailyLimit: number; dailyReserve: number;
  }): Promise<AcquireRow>;
  observe(report: {
    accountKey: string; bucket: Bucket; windowMs: number; inflightTimeoutMs: number;
    max: number | null; remaining: number | null; dailyLimit: number | null; dailyRemaining: number | null;
  }): Promise<void>;
  settle(grantIds: readonly string[]): Promise<void>;
}

export interface RateBudgetOptions {
  store: RateBudgetStore;
  accountKey: string;
  limits: RateLimits;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Longest a call waits for a token before it fails with `rate_limited` (the caller reschedules). */
  maxWaitMs: number;
}

export class RateBudget {
  private readonly waiters: Record<Bucket, Waiter[]> = { burst: [], search: [] };
  private readonly pumping: Record<Bucket, boolean> = { burst: false, search: false };
  /** Identifies this process's demand in hubspot_rate_waiters. */
  private readonly waiterId = randomUUID();
  private seq = 0;
  private pausedRanks = new Set<Priority>();
  private settleQueue: string[] = [];
  private settling: Promise<void> | undefined;

  constructor(private readonly options: RateBudgetOptions) {}

  get limits(): RateLimits {
    return this.options.limits;
  }

  /** Resolves when the caller may send one request; rejects with `rate_limited` after maxWaitMs. */
  acquire(bucket: Bucket, priority: Priority, signal?: AbortSignal): Promise<Permit> {
    const started = this.options.clock.now();
    return new Promise<Permit>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      // The caller's signal usually outlives this request (one signal per run), so the listener is
      // removed however the waiter settles; left attached, every request would add one closure.
      const onAbort = (): void => {
        this.remove(bucket, waiter);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const detach = (): void => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        rank: PRIORITY_RANK[priority],
        priority,
        seq: this.seq++,
        deadlineMs: started + this.options.maxWaitMs,
        resolve: (grantId) => {
          detach();
          this.options.metrics.budgetWait.observe({ bucket, priority }, (this.options.clock.now() - started) / 1000);
          let released = false;
          resolve({
            release: () => {
              if (released) return;
              released = true;
              this.settle(grantId);
            },
          });
        },
        reject: (error) => {
          detach();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters[bucket].push(waiter);
      this.waiters[bucket].sort((a, b) => a.rank - b.rank || a.seq - b.seq);
      this.pump(bucket);
    });
  }

  /** Feeds back what HubSpot said about the budget (headers or a 429). */
  async observe(bucket: Bucket, report: { max?: number; remaining?: number; dailyLimit?: number; dailyRemaining?: number }): Promise<void> {
    const { limits } = this.options;
    await this.options.store.observe({
      accountKey: this.options.accountKey,
      bucket,
      windowMs: this.windowMs(bucket),
      inflightTimeoutMs: limits.inflightTimeoutMs,
      max: report.max ?? null,
      remaining: report.remaining ?? null,
      dailyLimit: report.dailyLimit ?? null,
      dailyRemaining: report.dailyRemaining ?? null,
    });
    if (report.max !== undefined && bucket === 'burst' && report.max < limits.burstLimit) {
      this.options.logger.warn({ configured: limits.burstLimit, reported: report.max }, 'HubSpot reports a lower burst limit than configured; using it');
    }
  }

  private windowMs(bucket: Bucket): number {
    const { limits } = this.options;
    return Math.ceil((bucket === 'burst' ? limits.burstWindowMs : limits.searchWindowMs) + limits.safetyMarginMs);
  }

  private remove(bucket: Bucket, waiter: Waiter): void {
    const list = this.waiters[bucket];
    const at = list.indexOf(waiter);
    if (at >= 0) list.splice(at, 1);
  }

  private pump(bucket: Bucket): void {
    if (this.pumping[bucket]) return;
    this.pumping[bucket] = true;
    this.runPump(bucket)
      .catch((error: unknown) => {
        // The database is unreachable: fail the waiters rather than send requests unaccounted.
        for (const w of this.waiters[bucket].splice(0)) w.reject(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        this.pumping[bucket] = false;
        if (this.waiters[bucket].length > 0) this.pump(bucket);
      });
  }

  private async runPump(bucket: Bucket): Promise<void> {
    const { limits, clock } = this.options;
    const list = this.waiters[bucket];
    while (list.length > 0) {
      const top = list[0]!;
      const sameRank = list.filter((w) => w.rank === top.rank);
      const row = await this.acquireTokens(bucket, top.priority, sameRank.length);
      this.options.metrics.budgetRemaining.set({ bucket: 'daily' }, row.daily_remaining);
      this.options.metrics.budgetRemaining.set({ bucket }, Math.max(0, (bucket === 'burst' ? limits.burstLimit : limits.searchPerSecond) - row.window_used));
      const granted = row.granted_ids.length;
      sameRank.slice(0, granted).forEach((w, i) => {
        const grantId = row.granted_ids[i]!;
        // Aborted while we asked: hand the token back at once instead of letting it count as in flight.
        if (!list.includes(w)) return this.settle(grantId);
        this.remove(bucket, w);
        w.resolve(grantId);
      });
      this.setPaused(top.priority, row.reason === 'daily');
      if (granted >= sameRank.length) continue;
      const now = clock.now();
      // Waiters that cannot be served before their deadline fail now, with the time to come back
      // (lower ranks wait behind the top one: their deadline alone decides).
      for (const w of [...list]) {
        if ((w.rank === top.rank && now + row.wait_ms > w.deadlineMs) || now >= w.deadlineMs) {
          this.remove(bucket, w);
          w.reject(this.limitedError(bucket, row, w.priority));
        }
      }
      if (list.length === 0) break;
      const earliestDeadline = Math.min(...list.map((w) => w.deadlineMs));
      await clock.sleep(Math.max(1, Math.min(row.wait_ms, earliestDeadline - now)));
    }
  }

  private async acquireTokens(bucket: Bucket, priority: Priority, wanted: number): Promise<AcquireRow> {
    const { limits } = this.options;
    return this.options.store.acquireTokens({
      accountKey: this.options.accountKey,
      bucket,
      waiterId: this.waiterId,
      rank: PRIORITY_RANK[priority],
      wanted,
      limit: bucket === 'burst' ? limits.burstLimit : limits.searchPerSecond,
      windowMs: this.windowMs(bucket),
      inflightTimeoutMs: limits.inflightTimeoutMs,
      dailyLimit: limits.dailyLimit,
      dailyReserve: Math.floor(limits.dailyLimit * limits.dailyReserveFraction[priority]),
    });
  }

  /**
   * Marks requests as answered, in batches: one UPDATE for everything released meanwhile. Until
   * then they keep counting as in flight, which is only ever too cautious.
   */
  private settle(grantId: string): void {
    this.settleQueue.push(grantId);
    if (this.settling) return;
    const flush = async (): Promise<void> => {
      while (this.settleQueue.length > 0) {
        const ids = this.settleQueue.splice(0);
        await this.options.store.settle(ids);
      }
    };
    this.settling = flush()
      .catch((error: unknown) => {
        this.settleQueue = [];
        this.options.logger.warn({ err: error }, 'could not settle HubSpot budget grants; they count as in flight until they time out');
      })
      .finally(() => {
        this.settling = undefined;
      });
  }

  /** Resolves once every released permit is written back (call before closing the pool). */
  async flush(): Promise<void> {
    while (this.settling) await this.settling;
  }

  private setPaused(priority: Priority, paused: boolean): void {
    if (paused === this.pausedRanks.has(priority)) return;
    if (paused) {
      this.pausedRanks.add(priority);
      this.options.logger.warn({ priority }, 'HubSpot daily quota is low: pausing this priority class until the quota resets');
    } else {
      this.pausedRanks.delete(priority);
      this.options.logger.info({ priority }, 'HubSpot daily quota available again: resuming this priority class');
    }
    this.options.metrics.paused.set({ priority }, paused ? 1 : 0);
  }

  private limitedError(bucket: Bucket, row: AcquireRow, priority: Priority): HubSpotError {
    const policy = row.reason === 'daily' ? RATE_LIMIT_POLICIES.daily : bucket === 'search' ? RATE_LIMIT_POLICIES.search : RATE_LIMIT_POLICIES.burst;
    return new HubSpotError({
      kind: 'rate_limited',
      status: 0,
      operation: `budget ${bucket}`,
      policy,
      retryAfterMs: row.wait_ms,
      attempts: 0,
      message:
        row.reason === 'daily'
          ? `HubSpot daily quota reserved for higher priorities; ${priority} work paused for ${Math.ceil(row.wait_ms / 1000)} s`
          : `HubSpot ${bucket} budget exhausted; no token within the wait limit (retry in ${row.wait_ms} ms)`,
    });
  }
}
