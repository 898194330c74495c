import {
  HubSpotError,
  type HubSpotErrorKind,
  RATE_LIMIT_POLICIES,
  type RateLimitPolicy,
  SEARCH_SECONDLY_MESSAGE,
} from './errors.js';
import type { HubSpotErrorEnvelope } from './schemas.js';

/**
 * What to do with each HubSpot failure (docs/hubspot-facts.md "Rate limits", "Records, batches, search").
 * 429 is handled by policy name, not by this table.
 */
const RETRYABLE_STATUS: Readonly<Record<number, string>> = {
  423: 'locked: "Locks will last for 2 seconds … include a delay of at least 2 seconds"',
  477: 'migration in progress: honour Retry-After (seconds)',
  500: 'internal error',
  502: 'bad gateway: "pause your requests for a few seconds, then retry"',
  503: 'unavailable: pause and retry',
  504: 'gateway timeout: "pause your requests for a few seconds, then retry"',
  521: 'web server down (Cloudflare): pause and retry',
  523: 'origin unreachable (Cloudflare): pause and retry',
  524: 'timeout after 100 s (Cloudflare)',
};

/** Documented minimum pause after a 423. */
export const LOCKED_MIN_DELAY_MS = 2_000;

export interface RetryTuning {
  /** Total HTTP attempts per call, the first included (docs/product-rules.md "Retries and alerts"). */
  maxAttempts: number;
  /** First back-off delay; doubled per attempt, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails `retryable` with the delay. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_TUNING: RetryTuning = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };

/** Exponential back-off with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffDelayMs(attempt: number, tuning: RetryTuning, random: () => number): number {
  const exponential = Math.min(tuning.maxDelayMs, tuning.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

export function rateLimitPolicyOf(body: HubSpotErrorEnvelope | undefined): RateLimitPolicy {
  if (body?.policyName === RATE_LIMIT_POLICIES.daily) return RATE_LIMIT_POLICIES.daily;
  if (body?.policyName === RATE_LIMIT_POLICIES.burst) return RATE_LIMIT_POLICIES.burst;
  if (body?.message === SEARCH_SECONDLY_MESSAGE) return RATE_LIMIT_POLICIES.search;
  // An unnamed 429 on a non-search call: treat it as the burst window, the common case.
  return RATE_LIMIT_POLICIES.burst;
}

export function isRetryableStatus(status: number): boolean {
  return status in RETRYABLE_STATUS;
}

/** Retry-After in seconds (HubSpot's 477), or an HTTP date. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function kindOfStatus(status: number): HubSpotErrorKind {
  if (status === 429) return 'rate_limited';
  if (isRetryableStatus(status)) return 'retryable';
  if (status === 400 || status === 422) return 'validation';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  return status >= 500 ? 'retryable' : 'unexpected';
}

/** Builds the typed error for a non-2xx response. */
export function errorFromResponse(input: {
  status: number;
  operation: string;
  body: HubSpotErrorEnvelope | undefined;
  retryAfterMs: number | undefined;
  attempts: number;
}): HubSpotError {
  const { status, body } = input;
  const kind = kindOfStatus(status);
  const requiredScopes = (body?.errors ?? []).flatMap((e) => {
    const scopes = e.context?.['requiredGranularScopes'] ?? e.context?.['requiredScopes'];
    return Array.isArray(scopes) ? scopes.map(String) : [];
  });
  const policy = kind === 'rate_limited' ? rateLimitPolicyOf(body) : undefined;
  return new HubSpotError({
    kind,
    status,
    operation: input.operation,
    category: body?.category,
    correlationId: body?.correlationId,
    policy,
    retryAfterMs: input.retryAfterMs,
    details: body?.errors,
    requiredScopes,
    attempts: input.attempts,
    message: `HubSpot ${input.operation} failed with ${status}${body?.category ? ` ${body.category}` : ''}: ${body?.message ?? 'no message'}`,
  });
}
