import type { Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import type { HubSpotGateway } from '../../hubspot/gateway.js';
import type { Logger } from '../../lib/logger.js';
import { ACCOUNT_EVENT_KINDS } from '../../store/account-events.js';
import { outboundHubSpot } from './gateway-adapter.js';
import { ALERT_WEBHOOK_TIMEOUT_MS } from './ops-alerts.js';
import { type OutboxWorkers, type OutboxWorkerSettings, startOutboxWorkers } from './outbox-worker.js';
import type { TimelineTemplates } from './send-common.js';

/** Template ids for known event kinds only; a typo in the setting must not silently drop events. */
function timelineTemplates(configured: Record<string, string>): TimelineTemplates {
  const unknown = Object.keys(configured).filter((kind) => !(ACCOUNT_EVENT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new Error(`HUBSPOT_TIMELINE_TEMPLATES names unknown event kinds: ${unknown.join(', ')} (known: ${ACCOUNT_EVENT_KINDS.join(', ')})`);
  return configured;
}

export interface OutboundSyncSettings extends OutboxWorkerSettings {
  /** Slack-compatible incoming webhook for ops alerts; unset: alerts are recorded and logged. */
  alertWebhookUrl: string | undefined;
  /** Timeline event template id per event kind (public apps); kinds without one become notes. */
  timelineTemplates: Record<string, string>;
}

/**
 * Starts the outbound sync's workers; the composition root calls `stop()` on shutdown before the
 * pool closes. With `workers: 0` nothing runs here.
 */
export function startOutboundSync(options: {
  pool: Pool;
  gateway: HubSpotGateway;
  logger: Logger;
  settings: OutboundSyncSettings;
  metrics?: Registry;
  /** The ticket pipeline auto-tickets are created in (SUPPORT_TICKET_PIPELINE). */
  ticketPipeline?: string;
}): OutboxWorkers {
  const { settings: config } = options;
  const templates = timelineTemplates(config.timelineTemplates);
  if (config.workers === 0) return { stop: () => Promise.resolve() };
  return startOutboxWorkers(
    {
      pool: options.pool,
      hubspot: outboundHubSpot(options.gateway),
      logger: options.logger.child({ component: 'outbound-sync' }),
      alerts: { webhookUrl: config.alertWebhookUrl, webhookTimeoutMs: ALERT_WEBHOOK_TIMEOUT_MS },
      timelineTemplates: templates,
      ticketPipeline: options.ticketPipeline,
      metrics: options.metrics,
    },
    config,
  );
}
