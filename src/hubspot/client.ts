import type { z } from 'zod';

import type { Logger } from '../lib/logger.js';
import { storableJson } from '../lib/text.js';
import { describeSensitive, findSensitiveValue } from '../domain/outgoing-guard.js';
import type { Clock } from './clock.js';
import { HubSpotError, RATE_LIMIT_POLICIES } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { OUTGOING_GUARD_CATEGORY } from './batching.js';
import type { Bucket, RateBudget } from './rate-budget.js';
import {
  backoffDelayMs,
  errorFromResponse,
  LOCKED_MIN_DELAY_MS,
  parseRetryAfterMs,
  type RetryTuning,
} from './retry-policy.js';
import { errorEnvelopeSchema } from './schemas.js';
import type { Priority } from './types.js';

/**
 * The thin HTTP layer under the gateway: global `fetch` (keep-alive by default in Node 20),
 * one budget token per attempt, retries by policy, headers fed back into the budget, and every
 * failure turned into a typed `HubSpotError`. It knows nothing about CRM objects.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type QueryValue = string | number | boolean | string[] | undefined;

export interface RequestSpec {
  method: HttpMethod;
  path: string;
  /** A PII-free name for logs, metrics and error messages, e.g. `getObject contacts`. */
  operation: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Search calls have their own limit (5/s) and send no rate-limit headers. */
  bucket?: Bucket;
  priority: Priority;
  signal?: AbortSignal | undefined;
  /**
   * A POST that creates records: after a failure that may have reached HubSpot (no answer, a
   * 5xx) it is not sent again, since it would create them twice; the caller resolves it (looks
   * the record up first). Failures HubSpot refused before doing anything (429, 423, 477, a
   * connection never made) are retried as usual.
   */
  createsRecords?: boolean;
}

/** Whether a failed request may have been carried out by HubSpot all the same. */
function mayHaveApplied(error: HubSpotError): boolean {
  if (error.status === 429 || error.status === 423 || error.status === 477) return false;
  if (error.status >= 500) return true;
  if (error.status !== 0) return false;
  const code = (error.cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return code !== 'ECONNREFUSED';
}

export interface HttpClientOptions {
  baseUrl: string;
  accessToken: string;
  budget: RateBudget;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  retry: RetryTuning;
  requestTimeoutMs: number;
}

/** Below this share of the burst window left, compare HubSpot's count with ours. */
const LOW_REMAINING_FRACTION = 0.1;
/** How often (at most) the daily quota headers are written back to the shared budget. */
const DAILY_SYNC_INTERVAL_MS = 10_000;

export class HttpClient {
  private lastDailySyncMs = 0;
  private lastReportedMax: number | undefined;

  constructor(private readonly options: HttpClientOptions) {}

  /**
   * Sends with retries; resolves with the status and parsed JSON of a 2xx (207 included). Every
   * call of the gateway passes here, so this is where the outgoing guard is enforced: a body with
   * a card number or an API key anywhere (ids included) is never sent.
   */
  async request(spec: RequestSpec): Promise<{ status: number; body: unknown }> {
    refuseSensitiveBody(spec);
    const { retry, clock, budget, metrics } = this.options;
    const bucket = spec.bucket ?? 'burst';
    for (let attempt = 1; ; attempt++) {
      const permit = await budget.acquire(bucket, spec.priority, spec.signal);
      let outcome: Awaited<ReturnType<HttpClient['send']>>;
      try {
        outcome = await this.send(spec, bucket, attempt);
      } finally {
        permit.release();
      }
      if ('body' in outcome) return outcome;
      const error = outcome.error;
      if (error.kind === 'rate_limited') {
        metrics.rateLimited.inc({ policy: error.policy ?? 'unknown' });
        const untilResetMs = await this.recordRateLimit(bucket, error, outcome.headers);
        if (error.policy === RATE_LIMIT_POLICIES.daily) throw error.withRetryAfter(error.retryAfterMs ?? untilResetMs);
        this.options.logger.warn({ operation: spec.operation, policy: error.policy, attempt }, 'HubSpot rate limit hit; waiting for the budget');
      } else if (error.kind !== 'retryable' || (spec.createsRecords && mayHaveApplied(error))) {
        throw error;
      }
      if (attempt >= retry.maxAttempts) throw error;
      const delayMs = this.retryDelayMs(error, attempt);
      if (delayMs > retry.maxRetryAfterMs) throw error;
      metrics.retries.inc({ reason: error.status === 0 ? error.category ?? 'connection' : String(error.status) });
      this.options.logger.info({ operation: spec.operation, status: error.status, attempt, delayMs }, 'retrying HubSpot call');
      if (delayMs > 0) await clock.sleep(delayMs, spec.signal);
    }
  }

  /** `request` plus zod validation of the 2xx body. */
  async requestParsed<S extends z.ZodType>(spec: RequestSpec, schema: S): Promise<{ status: number; data: z.output<S> }> {
    const { status, body } = await this.request(spec);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new HubSpotError({
        kind: 'unexpected',
        status,
        operation: spec.operation,
        message: `HubSpot ${spec.operation} answered ${status} with an unexpected body: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      });
    }
    return { status, data: parsed.data };
  }

  private retryDelayMs(error: HubSpotError, attempt: number): number {
    const { retry, clock } = this.options;
    // Rate limits: the next budget acquisition waits for the window; no extra sleep.
    if (error.kind === 'rate_limited') return 0;
    if (error.retryAfterMs !== undefined) return error.retryAfterMs;
    const backoff = backoffDelayMs(attempt, retry, () => clock.random());
    return error.status === 423 ? Math.max(LOCKED_MIN_DELAY_MS, backoff) : backoff;
  }

  private async send(
    spec: RequestSpec,
    bucket: Bucket,
    attempt: number,
  ): Promise<{ status: number; body: unknown } | { error: HubSpotError; headers: Headers | undefined }> {
    const { metrics, requestTimeoutMs, clock } = this.options;
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url(spec), {
        method: spec.method,
        headers: {
          authorization: `Bearer ${this.options.accessToken}`,
          accept: 'application/json',
          ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: spec.body === undefined ? null : JSON.stringify(spec.body),
        signal,
      });
      text = await response.text();
    } catch (cause) {
      if (spec.signal?.aborted) throw cause;
      metrics.requests.inc({ method: spec.method, status: '0', bucket });
      const timedOut = timeout.aborted;
      return {
        headers: undefined,
        error: new HubSpotError({
          kind: 'retryable',
          status: 0,
          category: timedOut ? 'timeout' : 'connection',
          operation: spec.operation,
          attempts: attempt,
          cause,
          message: timedOut
            ? `HubSpot ${spec.operation} timed out after ${requestTimeoutMs} ms`
            : `HubSpot ${spec.operation} failed: connection error (${cause instanceof Error ? cause.message : String(cause)})`,
        }),
      };
    }
    metrics.requests.inc({ method: spec.method, status: String(response.status), bucket });
    if (bucket === 'burst') this.watchHeaders(response.headers);
    const body = parseJson(text);
    if (response.ok) return { status: response.status, body };
    const envelope = errorEnvelopeSchema.safeParse(body);
    return {
      headers: response.headers,
      error: errorFromResponse({
        status: response.status,
        operation: spec.operation,
        body: envelope.success ? envelope.data : { message: text.slice(0, 200) },
        retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after'), clock.now()),
        attempts: attempt,
      }),
    };
  }

  /**
   * After a 429, makes every process sharing the budget see the limit as used up. Returns the
   * time until the daily quota resets (midnight UTC) for a DAILY 429.
   */
  private async recordRateLimit(bucket: Bucket, error: HubSpotError, headers: Headers | undefined): Promise<number | undefined> {
    const { budget, clock } = this.options;
    const limits = budget.limits;
    switch (error.policy) {
      case RATE_LIMIT_POLICIES.daily: {
        await budget.observe(bucket, { dailyLimit: headerInt(headers, 'x-hubspot-ratelimit-daily') ?? limits.dailyLimit, dailyRemaining: 0 });
        const now = new Date(clock.now());
        return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
      }
      case RATE_LIMIT_POLICIES.search:
        await budget.observe('search', { max: limits.searchPerSecond, remaining: 0 });
        return undefined;
      case RATE_LIMIT_POLICIES.burst:
      case undefined:
        await budget.observe(bucket, { max: headerInt(headers, 'x-hubspot-ratelimit-max') ?? limits.burstLimit, remaining: 0 });
        return undefined;
    }
  }

  /**
   * Corrects the shared budget from X-HubSpot-RateLimit-* headers, cheaply: only when the window is
   * nearly used up (someone else may be spending it), when HubSpot reports a different burst
   * limit, and every few seconds for the daily quota. Failures are logged, never thrown: the
   * request itself succeeded.
   */
  private watchHeaders(headers: Headers): void {
    const max = headerInt(headers, 'x-hubspot-ratelimit-max');
    const remaining = headerInt(headers, 'x-hubspot-ratelimit-remaining');
    const dailyLimit = headerInt(headers, 'x-hubspot-ratelimit-daily');
    const dailyRemaining = headerInt(headers, 'x-hubspot-ratelimit-daily-remaining');
    const now = this.options.clock.now();
    const report: Parameters<RateBudget['observe']>[1] = {};
    if (max !== undefined && remaining !== undefined && (remaining <= max * LOW_REMAINING_FRACTION || max !== this.lastReportedMax)) {
      this.lastReportedMax = max;
      Object.assign(report, { max, remaining });
    }
    if (dailyLimit !== undefined && dailyRemaining !== undefined && now - this.lastDailySyncMs >= DAILY_SYNC_INTERVAL_MS) {
      this.lastDailySyncMs = now;
      this.options.metrics.budgetRemaining.set({ bucket: 'daily' }, dailyRemaining);
      Object.assign(report, { dailyLimit, dailyRemaining });
    }
    if (Object.keys(report).length === 0) return;
    this.options.budget.observe('burst', report).catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'could not record HubSpot rate-limit headers in the shared budget');
    });
  }

  private url(spec: RequestSpec): string {
    // Concatenate rather than resolve, so a base URL with a path prefix keeps it.
    const url = new URL(this.options.baseUrl.replace(/\/+$/, '') + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
    return url.toString();
  }
}

function refuseSensitiveBody(spec: RequestSpec): void {
  const found = findSensitiveValue(spec.body);
  if (!found) return;
  throw new HubSpotError({
    kind: 'validation',
    status: 0,
    category: OUTGOING_GUARD_CATEGORY,
    operation: spec.operation,
    message: `Refused to send ${spec.operation}: ${found.path || 'the body'} looks like ${describeSensitive(found.kind)}`,
  });
}

function headerInt(headers: Headers | undefined, name: string): number | undefined {
  const value = headers?.get(name);
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** HubSpot responses are nested a few levels; anything deeper is cut rather than stored. */
const MAX_RESPONSE_DEPTH = 32;

/**
 * HubSpot's answer as JSON that PostgreSQL can store: a value HubSpot holds with a NUL or an
 * unpaired surrogate (set through an import, a form or another integration) is repaired here, at
 * the one place every response is parsed, so it never reaches the cache as a database error.
 */
function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return storableJson(JSON.parse(text) as unknown, MAX_RESPONSE_DEPTH).value;
  } catch {
    // A proxy error page or a truncated body: keep the text for the error message.
    return text;
  }
}

/** `/a/{x}` path segments, encoded (ids and idProperty values may contain `@`, `+`, spaces). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
