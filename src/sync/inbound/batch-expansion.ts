import { hasPgCode, isDatabaseUnavailable, PG_ERROR, type Pool, withTransaction } from '../../db/pool.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { scrubText } from '../../lib/redact.js';
import { alertRaisedWithin } from '../../store/alerts.js';
import { claimWebhookBatches, insertInboxEvents, markWebhookBatchExpanded, oldestUnexpandedBatch, quarantineWebhookBatch } from '../../store/inbox.js';
import { type AlertSink, raiseAlert } from '../outbound/ops-alerts.js';
import { toInboxEvents, webhookBatchSchema } from './webhook-events.js';

/**
 * Turns stored webhook request bodies into inbox events, one batch at a time inside a savepoint:
 * a batch that cannot be expanded (a body that no longer parses, a value PostgreSQL's jsonb
 * refuses, anything else) is rolled back alone, set aside as quarantined with its error, and
 * reported to ops, while the batches around it are expanded. An expanded batch's body is blanked:
 * its events live on in the inbox, and the body holds personal data.
 */

/** Request bodies expanded per transaction (≤ 100 events each). */
const EXPAND_BATCHES = 20;
/** A batch waiting longer than this means expansion is stuck (no worker, or every round fails). */
export const EXPANSION_LAG_ALERT_MS = 60_000;
/** One stuck-expansion alert per this period while the condition lasts. */
const LAG_ALERT_REPEAT_MS = 15 * 60_000;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What is kept of an error on a quarantined batch: no personal data, no unbounded text. */
const describe = (error: unknown): string => scrubText(toError(error).message.slice(0, 1000));

const isTransient = (error: unknown): boolean =>
  hasPgCode(error, PG_ERROR.deadlockDetected) || hasPgCode(error, PG_ERROR.serializationFailure) || isDatabaseUnavailable(error);

export interface ExpansionDeps {
  pool: Pool;
  logger: Logger;
  alerts: AlertSink;
}

/** Expands up to EXPAND_BATCHES stored bodies; returns how many it took (expanded or quarantined). */
export async function expandWebhookBatches(deps: ExpansionDeps): Promise<number> {
  const quarantined: Array<{ id: string; error: string }> = [];
  const taken = await withTransaction(deps.pool, async (tx) => {
    const batches = await claimWebhookBatches(tx, EXPAND_BATCHES);
    for (const batch of batches) {
      await tx.query('SAVEPOINT expand_batch');
      try {
        // Verified and schema-checked at the door; checked again because the row is input too.
        const parsed = webhookBatchSchema.safeParse(parseJson(batch.body));
        if (!parsed.success) throw new Error(`stored body does not parse as a webhook batch: ${parsed.error.issues[0]?.message ?? 'not JSON'}`);
        const events = toInboxEvents(parsed.data);
        if (events.length > 0) await insertInboxEvents(tx, events);
        await markWebhookBatchExpanded(tx, batch.id);
        await tx.query('RELEASE SAVEPOINT expand_batch');
      } catch (error) {
        await tx.query('ROLLBACK TO SAVEPOINT expand_batch');
        // Not the batch's fault (two workers expanding duplicates deadlocked, the database went
        // away): the whole round is retried instead.
        if (isTransient(error)) throw error;
        const described = describe(error);
        await quarantineWebhookBatch(tx, batch.id, described);
        quarantined.push({ id: batch.id, error: described });
      }
    }
    return batches.length;
  });
  if (quarantined.length > 0) {
    await raiseAlert(deps.alerts, 'inbox_batch_quarantined', `${quarantined.length} webhook batch(es) could not be expanded into inbox events and were set aside`, {
      batchIds: quarantined.map((q) => q.id),
      firstError: quarantined[0]!.error,
    });
  }
  return taken;
}

/** Alerts (at most once per LAG_ALERT_REPEAT_MS across instances) when a stored batch has waited too long. */
export async function checkExpansionLag(deps: ExpansionDeps, nowMs = Date.now()): Promise<void> {
  const oldest = await oldestUnexpandedBatch(deps.pool);
  if (!oldest || nowMs - oldest.getTime() <= EXPANSION_LAG_ALERT_MS) return;
  if (await alertRaisedWithin(deps.pool, 'inbox_expansion_stalled', LAG_ALERT_REPEAT_MS)) return;
  await raiseAlert(deps.alerts, 'inbox_expansion_stalled', 'Webhook batches are waiting to be expanded for more than a minute', {
    oldestReceivedAt: oldest.toISOString(),
    waitedSeconds: Math.round((nowMs - oldest.getTime()) / 1000),
  });
}
