/**
 * HubSpot's API limits (docs/hubspot-facts.md "Rate limits"): a per-app burst limit over a rolling window (default
 * 100 per 10 s; Professional/Enterprise 190), a per-account daily limit, and the CRM search limit of
 * five requests per second per account. Windows are time-scaled. Rejected requests do not count.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { ResolvedOptions } from './context.js';

const SEARCH_WINDOW_MS = 1_000;
export const DAY_MS = 86_400_000;
const SECONDLY_WINDOW_MS = 1_000;

/** Exact strings the official SDK's RetryDecorator matches (docs/hubspot-facts.md "The official Node SDK"). */
export const RATE_LIMIT_BODIES = {
  burst: { message: 'You have reached your ten_secondly_rolling limit.', policyName: 'TEN_SECONDLY_ROLLING' },
  daily: { message: 'You have reached your daily limit.', policyName: 'DAILY' },
  search: { message: 'You have reached your secondly limit.' },
} as const;

export interface LimitDecision {
  ok: boolean;
  /** 429 body when !ok. */
  body?: Record<string, unknown>;
  /** `X-HubSpot-RateLimit-*` headers; absent for search ("will not include any of the rate limit headers"). */
  headers: Record<string, string>;
}

export class RateLimiter {
  private burst = new Map<string, number[]>();
  private search: number[] = [];
  private day = -1;
  private dailyCount = 0;

  constructor(private readonly opts: ResolvedOptions, private readonly clock: Clock) {}

  private windowMs(): number {
    return this.clock.scale(this.opts.burstWindowMs);
  }

  /** Checks and records one non-search request for `appKey` (one key per app/token). */
  check(appKey: string, oauth: boolean): LimitDecision {
    const now = this.clock.now();
    const windowMs = this.windowMs();
    const hits = (this.burst.get(appKey) ?? []).filter((t) => t > now - windowMs);
    this.burst.set(appKey, hits);
    this.rollDay(now);
    const daily = this.dailyCount < this.opts.dailyLimit;
    const burst = hits.length < this.opts.burstLimit;
    if (daily && burst) {
      hits.push(now);
      this.dailyCount++;
    }
    const headers = this.headers(hits, now, oauth);
    if (!daily) return { ok: false, headers, body: this.body(RATE_LIMIT_BODIES.daily) };
    if (!burst) {
      return { ok: false, headers, body: { ...this.body(RATE_LIMIT_BODIES.burst), groupName: `publicapi:private_app-api-calls-ten-secondly:${this.opts.appId}:${this.opts.portalId}` } };
    }
    return { ok: true, headers };
  }

  /** Checks and records one search request (5/s per account; counts toward the daily limit). */
  checkSearch(): LimitDecision {
    const now = this.clock.now();
    this.search = this.search.filter((t) => t > now - this.clock.scale(SEARCH_WINDOW_MS));
    this.rollDay(now);
    if (this.dailyCount >= this.opts.dailyLimit) return { ok: false, headers: {}, body: this.body(RATE_LIMIT_BODIES.daily) };
    if (this.search.length >= this.opts.searchPerSecond) return { ok: false, headers: {}, body: this.body(RATE_LIMIT_BODIES.search) };
    this.search.push(now);
    this.dailyCount++;
    return { ok: true, headers: {} };
  }

  reset(): void {
    this.burst.clear();
    this.search = [];
    this.dailyCount = 0;
  }

  private rollDay(now: number): void {
    // "The daily limit resets at midnight" — here: every (scaled) UTC day boundary.
    const day = Math.floor(now / this.clock.scale(DAY_MS));
    if (day !== this.day) {
      this.day = day;
      this.dailyCount = 0;
    }
  }

  private headers(hits: number[], now: number, oauth: boolean): Record<string, string> {
    const secondlyMax = Math.max(1, Math.floor(this.opts.burstLimit / 10));
    const inLastSecond = hits.filter((t) => t > now - this.clock.scale(SECONDLY_WINDOW_MS)).length;
    const h: Record<string, string> = {
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(this.windowMs()),
      'X-HubSpot-RateLimit-Max': String(this.opts.burstLimit),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.opts.burstLimit - hits.length)),
      // Deprecated but "still included" per the usage page.
      'X-HubSpot-RateLimit-Secondly': String(secondlyMax),
      'X-HubSpot-RateLimit-Secondly-Remaining': String(Math.max(0, secondlyMax - inLastSecond)),
    };
    // "Not sent for OAuth-authorized requests."
    if (!oauth) {
      h['X-HubSpot-RateLimit-Daily'] = String(this.opts.dailyLimit);
      h['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, this.opts.dailyLimit - this.dailyCount));
    }
    return h;
  }

  private body(b: { message: string; policyName?: string }): Record<string, unknown> {
    return { status: 'error', message: b.message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), ...('policyName' in b ? { policyName: b.policyName } : {}), requestId: randomUUID() };
  }
}
