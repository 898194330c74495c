import type { HubSpotErrorDetail } from './schemas.js';

/**
 * Every failure the gateway reports is a `HubSpotError` with a `kind` callers switch on
 * exhaustively. The kind decides what a caller should do:
 *
 * | kind            | HTTP                    | what the caller does                                    |
 * |-----------------|-------------------------|---------------------------------------------------------|
 * | rate_limited    | 429, or budget paused   | reschedule after `retryAfterMs` (policy says which limit) |
 * | retryable       | 5xx, 423, 477, timeout, connection error (after our own retries) | retry later |
 * | validation      | 400, 422                | fix the data; never retried; `details` name the property |
 * | not_found       | 404                     | the record/type/property does not exist                 |
 * | auth            | 401, 403                | fix the token or its scopes (`requiredScopes`)          |
 * | conflict        | 409                     | the thing exists already or clashes (unique value, schema) |
 * | unexpected      | anything else, or a 2xx body that fails validation | a bug or an API change: alert |
 */
export const HUBSPOT_ERROR_KINDS = ['rate_limited', 'retryable', 'validation', 'not_found', 'auth', 'conflict', 'unexpected'] as const;
export type HubSpotErrorKind = (typeof HUBSPOT_ERROR_KINDS)[number];

/** Which limit a 429 (or our own budget) refers to (docs/hubspot-facts.md "Rate limits"). */
export const RATE_LIMIT_POLICIES = {
  /** Burst: requests per rolling window per app. Wait for the window to roll. */
  burst: 'TEN_SECONDLY_ROLLING',
  /** Daily quota per account. Stop until the reset at midnight. */
  daily: 'DAILY',
  /** CRM search: 5 requests per second per account; its 429 carries no policyName. */
  search: 'SECONDLY',
} as const;
export type RateLimitPolicy = (typeof RATE_LIMIT_POLICIES)[keyof typeof RATE_LIMIT_POLICIES];

/** The message HubSpot sends with the search per-second 429 (the official SDK matches it exactly). */
export const SEARCH_SECONDLY_MESSAGE = 'You have reached your secondly limit.';

export interface HubSpotErrorInit {
  kind: HubSpotErrorKind;
  message: string;
  /** HTTP status; 0 when no response arrived (timeout, connection error, budget pause). */
  status: number;
  /** `METHOD /path` of the failed call, without query string (no PII in paths we build). */
  operation: string;
  category?: string | undefined;
  correlationId?: string | undefined;
  policy?: RateLimitPolicy | undefined;
  retryAfterMs?: number | undefined;
  details?: HubSpotErrorDetail[] | undefined;
  requiredScopes?: string[] | undefined;
  attempts?: number | undefined;
  cause?: unknown;
}

export class HubSpotError extends Error {
  override name = 'HubSpotError';
  readonly kind: HubSpotErrorKind;
  readonly status: number;
  readonly operation: string;
  readonly category: string | undefined;
  readonly correlationId: string | undefined;
  readonly policy: RateLimitPolicy | undefined;
  readonly retryAfterMs: number | undefined;
  /** Per-property problems (`errors[]` of the envelope), e.g. `{code:'PROPERTY_DOESNT_EXIST', context:{propertyName:['x']}}`. */
  readonly details: HubSpotErrorDetail[];
  readonly requiredScopes: string[];
  /** How many HTTP attempts were made before giving up. */
  readonly attempts: number;

  constructor(init: HubSpotErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.operation = init.operation;
    this.category = init.category;
    this.correlationId = init.correlationId;
    this.policy = init.policy;
    this.retryAfterMs = init.retryAfterMs;
    this.details = init.details ?? [];
    this.requiredScopes = init.requiredScopes ?? [];
    this.attempts = init.attempts ?? 1;
  }

  /** The same error with a known time to come back (e.g. until the daily quota resets). */
  withRetryAfter(retryAfterMs: number | undefined): HubSpotError {
    return new HubSpotError({ ...this, message: this.message, cause: this.cause, retryAfterMs });
  }

  /** Property names the error is about (from `errors[].context.propertyName`), for messages. */
  get propertyNames(): string[] {
    return this.details.flatMap((d) => {
      const names = d.context?.['propertyName'];
      return Array.isArray(names) ? names.map(String) : [];
    });
  }
}

export function isHubSpotError(value: unknown, kind?: HubSpotErrorKind): value is HubSpotError {
  return value instanceof HubSpotError && (kind === undefined || value.kind === kind);
}
