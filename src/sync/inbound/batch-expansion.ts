import { hasPgCode, isDatabaseUnavailable, PG_ERROR, type Pool, type PoolClient, withTransaction } from '../../db/pool.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { scrubText } from '../../lib/redact.js';
import { alertRaisedWithin } from '../../store/alerts.js';
import { claimWebhookBatches, insertInboxEvents, markWebhookBatchesExpanded, type NewInboxEvent, oldestUnexpandedBatch, quarantineWebhookBatch } from '../../store/inbox.js';
import { type AlertSink, raiseAlert } from '../outbound/ops-alerts.js';
import { toInboxEvents, webhookBatchSchema } from './webhook-events.js';

/**
 * Turns stored webhook request bodies into inbox events. A batch that cannot be expanded (a body
 * that no longer parses, anything the database refuses) is set aside as quarantined with its error
 * and reported to ops, while the batches around it are expanded: the batches of a round are stored
 * together inside a savepoint, and only when that is refused one by one, each in its own. An expanded batch's body is blanked:
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

type Expandable = { id: string; events: NewInboxEvent[] };

/** The events of a stored body; throws when it is no longer a webhook batch. */
function eventsOf(body: string): NewInboxEvent[] {
  // Verified and shape-checked at the door; checked again because the row is input too.
  const parsed = webhookBatchSchema.safeParse(parseJson(body));
  if (!parsed.success) throw new Error(`stored body does not parse as a webhook batch: ${parsed.error.issues[0]?.message ?? 'not JSON'}`);
  return toInboxEvents(parsed.data);
}

/**
 * Stores the batches' events and marks them expanded, inside a savepoint: the error when the
 * database refuses (everything since the savepoint is rolled back), null when stored. An error that
 * is not the batches' fault (two workers expanding duplicates deadlocked, the database went away)
 * is thrown: the whole round is retried.
 */
async function store(tx: PoolClient, batches: readonly Expandable[]): Promise<unknown> {
  await tx.query('SAVEPOINT expand_batches');
  try {
    const events = batches.flatMap((b) => b.events);
    if (events.length > 0) await insertInboxEvents(tx, events);
    await markWebhookBatchesExpanded(tx, batches.map((b) => b.id));
    await tx.query('RELEASE SAVEPOINT expand_batches');
    return null;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT expand_batches');
    if (isTransient(error)) throw error;
    return error;
  }
}

/** Expands up to EXPAND_BATCHES stored bodies; returns how many it took (expanded or quarantined). */
export async function expandWebhookBatches(deps: ExpansionDeps): Promise<number> {
  const quarantined: Array<{ id: string; error: string }> = [];
  const taken = await withTransaction(deps.pool, async (tx) => {
    const setAside = async (id: string, error: unknown): Promise<void> => {
      const described = describe(error);
      await quarantineWebhookBatch(tx, id, described);
      quarantined.push({ id, error: described });
    };
    const batches = await claimWebhookBatches(tx, EXPAND_BATCHES);
    const expandable: Expandable[] = [];
    for (const batch of batches) {
      try {
        expandable.push({ id: batch.id, events: eventsOf(batch.body) });
      } catch (error) {
        await setAside(batch.id, error);
      }
    }
    // All of them in two statements; only when the database refuses, each batch on its own.
    if (expandable.length > 0 && (await store(tx, expandable)) !== null) {
      for (const batch of expandable) {
        const refused = await store(tx, [batch]);
        if (refused !== null) await setAside(batch.id, refused);
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
