import type { Queryable } from '../../db/pool.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { insertAlert, type OpsAlert, recordAlertDelivery } from '../../store/alerts.js';

/**
 * Tells ops that records were given up on (docs/product-rules.md "Retries and alerts"): the alert is
 * recorded in `ops_alerts`, logged at error level, and POSTed as `{"text": …}` to a
 * Slack-compatible incoming-webhook URL when one is configured. A failing webhook never blocks the
 * sync: its error is recorded on the alert.
 */

/** Alert webhook calls must never hold up a worker for long. */
export const ALERT_WEBHOOK_TIMEOUT_MS = 5_000;

export interface AlertSink {
  db: Queryable;
  logger: Logger;
  /** Slack-compatible incoming webhook; unset: recorded and logged only. */
  webhookUrl: string | undefined;
  webhookTimeoutMs: number;
}

export async function raiseAlert(sink: AlertSink, kind: string, message: string, details: Record<string, unknown>): Promise<void> {
  await deliverAlert(sink, await insertAlert(sink.db, { kind, message, details }));
}

/** Logs an alert already recorded (e.g. in the transaction that decided it) and posts it to the webhook. */
export async function deliverAlert(sink: AlertSink, alert: OpsAlert): Promise<void> {
  const { kind, message, details } = alert;
  sink.logger.error({ alertId: alert.id, kind, ...details }, message);
  if (!sink.webhookUrl) return;
  let deliveryError: string | null = null;
  try {
    const response = await fetch(sink.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `warp-hubspot: ${message}` }),
      signal: AbortSignal.timeout(sink.webhookTimeoutMs),
    });
    if (!response.ok) deliveryError = `webhook answered ${response.status}`;
  } catch (error) {
    deliveryError = toError(error).message;
  }
  if (deliveryError) sink.logger.warn({ alertId: alert.id, deliveryError }, 'ops alert webhook failed');
  await recordAlertDelivery(sink.db, alert.id, deliveryError);
}
