import type { Registry } from 'prom-client';

import type { Config } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import type { HubSpotGateway } from '../../hubspot/gateway.js';
import type { Logger } from '../../lib/logger.js';
import { ACCOUNT_EVENT_KINDS } from '../../store/account-events.js';
import { outboundHubSpot } from './gateway-adapter.js';
import { ALERT_WEBHOOK_TIMEOUT_MS } from './ops-alerts.js';
import { type OutboxWorkers, startOutboxWorkers } from './outbox-worker.js';
import type { TimelineTemplates } from './send-common.js';

/** Template ids for known event kinds only; a typo in the setting must not silently drop events. */
function timelineTemplates(configured: Record<string, string>): TimelineTemplates {
  const unknown = Object.keys(configured).filter((kind) => !(ACCOUNT_EVENT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new Error(`HUBSPOT_TIMELINE_TEMPLATES names unknown event kinds: ${unknown.join(', ')} (known: ${ACCOUNT_EVENT_KINDS.join(', ')})`);
  return configured;
}

/**
 * Starts the outbound sync's workers as configured (`config.outbound`); the composition root calls
 * `stop()` on shutdown before the pool closes. With `workers: 0` nothing runs here.
 */
export function startOutboundSync(options: { pool: Pool; gateway: HubSpotGateway; logger: Logger; config: Config['outbound']; metrics?: Registry }): OutboxWorkers {
  const { config } = options;
  const templates = timelineTemplates(config.timelineTemplates);
  if (config.workers === 0) return { stop: () => Promise.resolve() };
  return startOutboxWorkers(
    {
      pool: options.pool,
      hubspot: outboundHubSpot(options.gateway),
      logger: options.logger.child({ component: 'outbound-sync' }),
      alerts: { webhookUrl: config.alertWebhookUrl, webhookTimeoutMs: ALERT_WEBHOOK_TIMEOUT_MS },
      timelineTemplates: templates,
      metrics: options.metrics,
    },
    config,
  );
}
