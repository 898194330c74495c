import { OutgoingGuardError } from './guard.js';
import type { CallFailure } from './hubspot-port.js';

/**
 * Turns whatever a HubSpot call threw into what the outbox needs: a message without record data,
 * the HTTP status, HubSpot's correlation id, and whether another attempt can succeed. The
 * gateway's `HubSpotError` kinds decide retryability (src/hubspot/errors.ts); anything without a
 * kind (a connection reset, a bug) is retried, because giving up is the worse mistake.
 */

interface ErrorLike {
  message?: unknown;
  kind?: unknown;
  status?: unknown;
  correlationId?: unknown;
}

// Gateway error kinds after which the same request can succeed later.
const RETRYABLE_KINDS = new Set(['rate_limited', 'retryable', 'unexpected']);

export function describeFailure(error: unknown): CallFailure {
  if (error instanceof OutgoingGuardError) return { message: error.message, status: undefined, correlationId: undefined, retryable: false };
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike;
  const status = typeof e.status === 'number' && e.status > 0 ? e.status : undefined;
  const kind = typeof e.kind === 'string' ? e.kind : undefined;
  return {
    message: typeof e.message === 'string' ? e.message : 'HubSpot call failed',
    status,
    correlationId: typeof e.correlationId === 'string' ? e.correlationId : undefined,
    retryable: kind === undefined ? status === undefined || status >= 500 || status === 429 : RETRYABLE_KINDS.has(kind),
  };
}
