import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { AppError, badRequest } from '../../lib/errors.js';
import { acceptWebhookBatch } from '../../store/inbox.js';
import type { WebhookAuthenticator } from '../../sync/inbound/webhook-auth.js';
import { eventTarget, webhookBatchSchema } from '../../sync/inbound/webhook-events.js';
import { defineRoute } from '../route.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

export interface WebhookRouteDeps {
  db: Queryable;
  /** undefined when no client secret is configured: every webhook is refused. */
  authenticator: WebhookAuthenticator | undefined;
  bodyLimitBytes: number;
  /** Called after a batch is committed, to wake the inbox workers. */
  onAccepted?: () => void;
}

/**
 * HubSpot webhook receivers. The signature is checked before the body is looked at, so forged
 * requests learn nothing; a valid batch is committed to the inbox and acknowledged at once
 * (HubSpot gives up after 5 s), processing happens in the inbox workers.
 */
export function webhookRoutes(deps: WebhookRouteDeps) {
  const receive = (only: InboundObjectType | undefined) =>
    defineRoute({
      operationId: only ? `receive_${only}_webhook` : 'receive_webhook',
      method: 'POST',
      url: only ? `/webhooks/hubspot/${only}` : '/webhooks/hubspot',
      access: 'webhook',
      tag: 'webhooks',
      summary: only ? `HubSpot ${only} webhook events (signed)` : 'HubSpot webhook events of any object (signed)',
      documentedBody: webhookBatchSchema,
      success: { status: 200, description: 'The batch is stored durably; its events are processed asynchronously', schema: z.object({ received: z.number().int() }) },
      errors: { 403: 'The source address is not allowed', 503: 'No HUBSPOT_CLIENT_SECRET is configured' },
      handler: async ({ request }) => {
        if (!deps.authenticator) throw new AppError(503, 'webhooks_not_configured', 'Set HUBSPOT_CLIENT_SECRET to receive HubSpot webhooks');
        const rawBody = request.rawBody;
        if (!rawBody) throw badRequest('webhook_body_invalid', 'Expected a JSON body (Content-Type: application/json)');
        if (rawBody.length > deps.bodyLimitBytes) {
          throw new AppError(413, 'payload_too_large', `Webhook bodies are limited to ${deps.bodyLimitBytes} bytes`);
        }
        const auth = deps.authenticator.check({
          method: request.method,
          url: request.url,
          protocol: request.protocol,
          host: request.headers.host,
          socketAddress: request.socket.remoteAddress,
          headers: request.headers,
          rawBody,
          nowMs: Date.now(),
        });
        if (!auth.ok) throw new AppError(auth.status, auth.code, auth.message);

        const parsed = webhookBatchSchema.safeParse(request.body);
        if (!parsed.success) {
          throw badRequest('webhook_body_invalid', 'The body is not an array of at most 100 HubSpot events', parsed.error.issues.slice(0, 5));
        }
        if (only) {
          const stray = parsed.data.map(eventTarget).find((target) => target.objectType !== only);
          if (stray) throw badRequest('webhook_wrong_object', `This endpoint receives ${only} events only, got ${stray.type}`);
        }
        // The body is stored as received; workers expand and deduplicate its events.
        const fresh = await acceptWebhookBatch(deps.db, auth.replayKey, rawBody.toString('utf8'), parsed.data.length);
        if (!fresh) throw new AppError(401, 'webhook_replayed', 'This signed request was already received');
        if (parsed.data.length > 0) deps.onAccepted?.();
        return { received: parsed.data.length };
      },
    });
  return [receive(undefined), receive('company'), receive('contact'), receive('deal')];
}
