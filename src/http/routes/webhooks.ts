import { z } from 'zod';

import type { InboundObjectType } from '../../domain/hubspot-objects.js';
import { receiveWebhook, type WebhookReceiverDeps } from '../../sync/inbound/receive-webhook.js';
import { MAX_EVENTS_PER_BATCH, webhookEventSchema } from '../../sync/inbound/webhook-events.js';
import { defineRoute } from '../route.js';

export interface WebhookRouteDeps extends WebhookReceiverDeps {
  /** Largest webhook body; enforced while it is read (413), before anything else. */
  bodyLimitBytes: number;
}

/**
 * HubSpot webhook receivers: the generic one and one per object type. Each hands the request to
 * the receiver (`sync/inbound/receive-webhook.ts`: signature, parse, store, wake). Events of
 * another object type at a per-object endpoint are genuine, signed events: they are stored and
 * processed like the others (refusing the batch would lose its other events), and logged.
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
      bodyLimitBytes: deps.bodyLimitBytes,
      // Read and checked by the receiver only after the signature; each event is checked at expansion.
      documentedBody: z.array(webhookEventSchema).max(MAX_EVENTS_PER_BATCH),
      success: { status: 200, description: 'The batch is stored durably; its events are processed asynchronously', schema: z.object({ received: z.number().int() }) },
      errors: { 403: 'The source address is not allowed', 503: 'No HUBSPOT_CLIENT_SECRET is configured' },
      handler: async ({ request }) => {
        const result = await receiveWebhook(
          deps,
          {
            method: request.method,
            url: request.url,
            protocol: request.protocol,
            host: request.headers.host,
            socketAddress: request.socket.remoteAddress,
            headers: request.headers,
            rawBody: request.rawBody,
            nowMs: Date.now(),
          },
          only,
        );
        if (result.otherObjects > 0) request.log.warn({ endpoint: only, events: result.otherObjects }, 'events of another object type at a per-object webhook endpoint; stored and processed');
        return { received: result.received };
      },
    });
  return [receive(undefined), receive('company'), receive('contact'), receive('deal')];
}
