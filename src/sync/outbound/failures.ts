import { isHubSpotError } from '../../hubspot/gateway.js';
import { toError } from '../../lib/errors.js';
import { OutgoingGuardError } from '../../domain/outgoing-guard.js';
import type { CallFailure } from './hubspot-port.js';

/**
 * Turns whatever a HubSpot call threw into what the outbox needs: a message without record data,
 * the HTTP status, HubSpot's correlation id, and whether another attempt can succeed. The
 * gateway's `HubSpotError` kinds decide retryability (src/hubspot/errors.ts); anything else (a
 * connection reset, a bug) is retried, because giving up is the worse mistake.
 */

// Gateway error kinds after which the same request can succeed later.
const RETRYABLE_KINDS = new Set(['rate_limited', 'retryable', 'unexpected']);

export function describeFailure(error: unknown): CallFailure {
  if (error instanceof OutgoingGuardError) return { message: error.message, status: undefined, correlationId: undefined, retryable: false };
  if (isHubSpotError(error)) {
    return { message: error.message, status: error.status > 0 ? error.status : undefined, correlationId: error.correlationId, retryable: RETRYABLE_KINDS.has(error.kind) };
  }
  return { message: toError(error).message, status: undefined, correlationId: undefined, retryable: true };
}
