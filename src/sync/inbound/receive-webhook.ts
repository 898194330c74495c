import type { Queryable } from '../../db/pool.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';
import { AppError, badRequest } from '../../lib/errors.js';
import { storableJson } from '../../lib/text.js';
import { acceptWebhookBatch } from '../../store/inbox.js';
import type { WebhookAuthenticator, WebhookRequestFacts } from './webhook-auth.js';
import { eventTarget, MAX_BATCH_DEPTH, webhookBatchSchema, webhookEventSchema } from './webhook-events.js';

/**
 * Receiving a HubSpot webhook delivery: authenticate, parse, store, wake. The signature is checked
 * before the body is parsed, so forged requests cost no parsing and learn nothing; a verified
 * batch is committed to the inbox and acknowledged at once (HubSpot gives up after 5 s), and the
 * inbox workers process it.
 *
 * What is stored is what the database can hold whatever HubSpot sent: text repaired (NUL and
 * unpaired surrogates become U+FFFD) and values nested deeper than any event is cut, per event.
 * The body is checked only as far as storing needs (an array of at most 100 objects); each event
 * is checked on its own when the batch is expanded, so one bad event never costs its batch.
 */

export interface WebhookReceiverDeps {
  db: Queryable;
  /** undefined when no client secret is configured: every webhook is refused. */
  authenticator: WebhookAuthenticator | undefined;
  /** Called after a batch is committed, to wake the inbox workers. */
  onAccepted?: (() => void) | undefined;
}

export interface ReceivedBatch {
  /** Events stored (the inbox deduplicates retries and repeats later). */
  received: number;
  /** Events of another object type delivered to a per-object endpoint (stored and processed all the same). */
  otherObjects: number;
}

function parseBody(rawBody: Buffer): Array<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw badRequest('invalid_json', 'The request body is not valid JSON');
  }
  const batch = webhookBatchSchema.safeParse(parsed);
  if (!batch.success) throw badRequest('webhook_body_invalid', 'The body is not a JSON array of at most 100 HubSpot events (objects)');
  return storableJson(batch.data, MAX_BATCH_DEPTH).value as Array<Record<string, unknown>>;
}

/**
 * Handles one delivery to the generic endpoint (`only` undefined) or a per-object one. Throws an
 * `AppError` for every refusal: 503 (no secret), 401/403 (signature, timestamp, replay, source),
 * 400 (not a batch).
 */
export async function receiveWebhook(deps: WebhookReceiverDeps, facts: Omit<WebhookRequestFacts, 'rawBody'> & { rawBody: Buffer | undefined }, only: InboundObjectType | undefined): Promise<ReceivedBatch> {
  if (!deps.authenticator) throw new AppError(503, 'webhooks_not_configured', 'Set HUBSPOT_CLIENT_SECRET to receive HubSpot webhooks');
  const { rawBody } = facts;
  if (!rawBody) throw badRequest('webhook_body_invalid', 'Expected a JSON body (Content-Type: application/json)');
  const auth = deps.authenticator.check({ ...facts, rawBody });
  if (!auth.ok) throw new AppError(auth.status, auth.code, auth.message);

  const events = parseBody(rawBody);
  const otherObjects = only
    ? events.filter((event) => {
        const parsed = webhookEventSchema.safeParse(event);
        return parsed.success && eventTarget(parsed.data).objectType !== only;
      }).length
    : 0;
  const fresh = await acceptWebhookBatch(deps.db, auth.replayKeys, JSON.stringify(events), events.length);
  if (!fresh) throw new AppError(401, 'webhook_replayed', 'This signed request was already received');
  if (events.length > 0) deps.onAccepted?.();
  return { received: events.length, otherObjects };
}
