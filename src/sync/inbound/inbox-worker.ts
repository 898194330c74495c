import { type Pool, withTransaction } from '../../db/pool.js';
import { publicError, toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { startPollLoops } from '../poll-loop.js';
import {
  claimInboxEvents,
  claimWebhookBatches,
  completeInboxEvent,
  failInboxEvent,
  type InboxRow,
  insertInboxEvents,
  markWebhookBatchesExpanded,
  pruneReplayGuard,
} from '../../store/inbox.js';
import type { InboundHooks } from './apply-field.js';
import { applyEvent, type EventOutcome } from './apply-event.js';
import { applySnapshot } from './apply-snapshot.js';
import type { CrmReader } from './crm-reader.js';
import type { InboundMetrics } from './metrics.js';
import { lockObject } from './object-lock.js';
import type { ReplayGuardRetention } from './webhook-auth.js';
import { eventObjectId, eventTarget, toInboxEvents, webhookBatchSchema, webhookEventSchema } from './webhook-events.js';
import { syncedProperties } from '../../domain/crm-catalogue.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * Inbox workers: claim due events (`FOR UPDATE SKIP LOCKED`, leased), apply each in its own
 * transaction under the object's lock, in `occurredAt` order, and mark the row done in that same
 * transaction. Any number of workers in any number of processes may run. Records that need a full
 * read (creation, merge, restore) are fetched in batches after each claim. Before that, stored
 * request bodies are expanded into one inbox row per event, duplicates dropped by the dedupe key.
 */

export interface InboxWorkerOptions {
  pool: Pool;
  logger: Logger;
  /** Hooks for write-backs, dependent updates and onboarding (see apply-field.ts). */
  hooks: Omit<InboundHooks, 'needsFetch'>;
  /** HubSpot reads for full records; without it creations rely on their property events. */
  reader: CrmReader | undefined;
  appId: string | undefined;
  workers: number;
  batchSize: number;
  pollIntervalMs: number;
  maxAttempts: number;
  /** How long the webhook replay guard remembers what it saw (see webhook-auth.ts). */
  replayGuard: ReplayGuardRetention;
  metrics?: InboundMetrics | undefined;
}

export interface InboxWorkers {
  /** Starts a poll now (called after a batch is committed), instead of at the next interval. */
  wake(): void;
  /** Processes until the inbox has no due events (tests, CLI). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** A crashed worker's claim is taken over after this long. */
const LEASE_MS = 60_000;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 60_000;
const eventSchema = webhookEventSchema;
/** Request bodies expanded per transaction (≤ 100 events each). */
const EXPAND_BATCHES = 20;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function startInboxWorkers(options: InboxWorkerOptions): InboxWorkers {
  // Aborted by stop(): in-flight HubSpot reads end early and rounds stop between events.
  const stopped = new AbortController();
  const { signal } = stopped;
  let lastPruneMs = 0;

  const processRow = async (row: InboxRow, fetches: Map<InboundObjectType, Set<string>>): Promise<void> => {
    const parsed = eventSchema.safeParse(row.event);
    const hooks: InboundHooks = {
      ...options.hooks,
      needsFetch: (objectType, id) => {
        if (!fetches.has(objectType)) fetches.set(objectType, new Set());
        fetches.get(objectType)!.add(id);
      },
    };
    try {
      await withTransaction(options.pool, async (tx): Promise<EventOutcome> => {
        // An event that does not pass its schema was kept at expansion to be recorded, not applied.
        let outcome: EventOutcome = 'invalid_event';
        if (parsed.success) {
          const target = eventTarget(parsed.data);
          const objectId = eventObjectId(parsed.data);
          if (target.objectType && objectId) await lockObject(tx, target.objectType, objectId);
          outcome = await applyEvent({ tx, hooks, appId: options.appId, inboxId: row.id }, parsed.data);
        }
        await completeInboxEvent(tx, row.id, outcome === 'applied' ? 'applied' : 'ignored', outcome);
        return outcome;
      }).then((outcome) => options.metrics?.eventDone(outcome));
    } catch (error) {
      options.metrics?.eventDone('failed');
      const err = toError(error);
      const retryInMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(row.attempts, 20));
      options.logger.warn({ inboxId: row.id, type: row.subscriptionType, objectId: row.objectId, attempts: row.attempts, err }, 'inbox event failed');
      await failInboxEvent(options.pool, row.id, publicError(err), options.maxAttempts, retryInMs);
    }
  };

  /** Reads the records that need it, ≤ 100 per call, and applies them. Failures leave them to reconcile. */
  const fetchRecords = async (fetches: Map<InboundObjectType, Set<string>>): Promise<void> => {
    const reader = options.reader;
    if (!reader) return;
    for (const [objectType, ids] of fetches) {
      try {
        const records = await reader.readBatch(objectType, [...ids], syncedProperties(objectType), signal);
        for (const record of records) {
          await withTransaction(options.pool, (tx) => applySnapshot(tx, { ...options.hooks, needsFetch: () => undefined }, objectType, record, 'fetch'));
        }
      } catch (error) {
        if (signal.aborted) return;
        options.logger.warn({ objectType, count: ids.size, err: toError(error) }, 'fetching full records failed; reconcile will repair them');
      }
    }
  };

  /** Turns stored request bodies into inbox events, in the transaction that marks them expanded. */
  const expandBatches = (): Promise<number> =>
    withTransaction(options.pool, async (tx) => {
      const batches = await claimWebhookBatches(tx, EXPAND_BATCHES);
      if (batches.length === 0) return 0;
      const events = batches.flatMap((batch) => {
        // Verified and schema-checked at the door; checked again because the row is input too.
        const parsed = webhookBatchSchema.safeParse(parseJson(batch.body));
        if (parsed.success) return toInboxEvents(parsed.data);
        options.logger.error({ batchId: batch.id }, 'stored webhook batch does not parse; skipped');
        return [];
      });
      if (events.length > 0) await insertInboxEvents(tx, events);
      await markWebhookBatchesExpanded(tx, batches.map((b) => b.id));
      return batches.length;
    });

  const runOnce = async (): Promise<number> => {
    const expanded = await expandBatches();
    const rows = await claimInboxEvents(options.pool, options.batchSize, LEASE_MS);
    const fetches = new Map<InboundObjectType, Set<string>>();
    for (const row of rows) {
      if (signal.aborted) break;
      await processRow(row, fetches);
    }
    await fetchRecords(fetches);
    if (Date.now() - lastPruneMs > PRUNE_EVERY_MS) {
      lastPruneMs = Date.now();
      await pruneReplayGuard(options.pool, options.replayGuard);
    }
    return expanded + rows.length;
  };

  const loops = startPollLoops({
    count: options.workers,
    pollIntervalMs: options.pollIntervalMs,
    logger: options.logger,
    name: 'inbox worker',
    runOnce: async () => (await runOnce()) > 0,
  });
  return {
    wake: () => loops.wake(),
    drain: async () => {
      while ((await runOnce()) > 0);
    },
    stop: async () => {
      stopped.abort();
      await loops.stop();
    },
  };
}
