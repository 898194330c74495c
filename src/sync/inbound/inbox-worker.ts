import type { Registry } from 'prom-client';

import { isDataException, type Pool, withTransaction } from '../../db/pool.js';
import { publicError, toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { claim, retryLater, withHeartbeat } from '../../queue/lease.js';
import { startQueueRunner } from '../../queue/runner.js';
import { INBOX_QUEUE } from '../../queue/tables.js';
import { completeInboxEvent, failInboxEvent, type InboxDbRow, type InboxRow, toInboxRow } from '../../store/inbox.js';
import type { AlertSink } from '../outbound/ops-alerts.js';
import type { InboundHooks } from './apply-field.js';
import { applyEvent, type EventOutcome, isEcho } from './apply-event.js';
import { applySnapshot } from './apply-snapshot.js';
import type { CrmReader } from './crm-reader.js';
import type { InboundMetrics } from './metrics.js';
import { checkExpansionLag, EXPANSION_LAG_ALERT_MS, expandWebhookBatches } from './batch-expansion.js';
import { lockObject } from './object-lock.js';
import { claimFetches, finishFetches, type PendingFetch, queueFetch, retryFetches } from '../../store/pending-fetches.js';
import { eventObjectId, eventTarget, ignoredOutcome, webhookEventSchema } from './webhook-events.js';
import { syncedProperties } from '../../domain/crm-catalogue.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * Inbox workers: claim due events (src/queue/: leased, fenced by owner, attempts counted at claim,
 * heartbeat while the round runs), apply each in its own transaction under the object's lock, in
 * `occurredAt` order, and mark the row done in that same transaction. Any number of workers in any
 * number of processes may run; a new batch wakes them through NOTIFY. Records that need a full read
 * (creation, merge, restore) are fetched in batches after each claim. Before that, stored request
 * bodies are expanded into one inbox row per event (batch-expansion.ts), duplicates dropped by the
 * dedupe key.
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
  metrics?: InboundMetrics | undefined;
  /** Quarantined batches and stuck expansion are reported here. */
  alerts: Omit<AlertSink, 'db' | 'logger'>;
  /** Where the inbox's LISTEN connection reports whether it is up and how often it reconnected. */
  registry?: Registry | undefined;
}

export interface InboxWorkers {
  /** Starts a poll now (called after a batch is committed), instead of at the next interval. */
  wake(): void;
  /** Processes until the inbox has no due events (tests, CLI). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A crashed worker's claim is taken over after this long; a live worker's claims are renewed by
 * its heartbeat while the round runs (long rounds fetch full records from HubSpot).
 */
const LEASE_MS = 60_000;
/** Full reads claimed per round (one HubSpot batch read per object type). */
const FETCHES_PER_ROUND = 100;
/** Retry back-off of a failing event (and of a failed full read): 1 s doubling to 5 minutes. */
const RETRY_BACKOFF = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** The event's lease passed to another worker while this one applied it: its transaction is rolled back. */
class LeaseLost extends Error {
  override name = 'LeaseLost';
}

export function startInboxWorkers(options: InboxWorkerOptions): InboxWorkers {
  const { pool, logger } = options;
  const alerts: AlertSink = { ...options.alerts, db: pool, logger };
  let lagCheckedAtMs = 0;

  const processRow = async (row: InboxRow, owner: string): Promise<void> => {
    if (row.attempts > options.maxAttempts) {
      // Claimed that often without an outcome: its worker died during every attempt.
      options.metrics?.eventDone('failed');
      await failInboxEvent(pool, row.id, owner, { code: 'worker_lost', message: `claimed ${row.attempts} times without an outcome (the worker stopped during every attempt)` });
      return;
    }
    const parsed = webhookEventSchema.safeParse(row.event);
    try {
      const outcome = await withTransaction(pool, async (tx): Promise<EventOutcome> => {
        // A full read the event needs is queued with it: it survives this worker (fetchRecords below).
        const hooks: InboundHooks = { ...options.hooks, needsFetch: (objectType, id) => queueFetch(tx, objectType, id) };
        // An event that does not pass its schema was kept at expansion to be recorded, not applied.
        let result: EventOutcome = 'invalid_event';
        if (parsed.success) {
          const target = eventTarget(parsed.data);
          const objectId = eventObjectId(parsed.data);
          // Events decided without applying them (stored before that was done at expansion, or echoes) take no lock.
          const decided = ignoredOutcome(parsed.data) !== undefined || isEcho(parsed.data, options.appId);
          if (target.objectType && objectId && !decided) await lockObject(tx, target.objectType, objectId);
          result = await applyEvent({ tx, hooks, appId: options.appId, inboxId: row.id }, parsed.data);
        }
        if (!(await completeInboxEvent(tx, row.id, owner, result === 'applied' ? 'applied' : 'ignored', result))) throw new LeaseLost(`inbox event ${row.id} is leased by another worker now`);
        return result;
      });
      options.metrics?.eventDone(outcome);
    } catch (error) {
      const err = toError(error);
      if (err instanceof LeaseLost) {
        logger.warn({ inboxId: row.id }, err.message);
        return;
      }
      options.metrics?.eventDone('failed');
      logger.warn({ inboxId: row.id, type: row.subscriptionType, objectId: row.objectId, attempts: row.attempts, err }, 'inbox event failed');
      // What the status endpoint may show of it: a stable code and a scrubbed message.
      const shown = publicError(err);
      // A value the cache cannot hold fails the same way every time (L5): it fails at once, and the
      // object's later events are not held up behind its retries.
      if (row.attempts >= options.maxAttempts || isDataException(err)) await failInboxEvent(pool, row.id, owner, shown);
      else await retryLater(pool, INBOX_QUEUE, row.id, owner, JSON.stringify(shown), RETRY_BACKOFF);
    }
  };

  /** Reads the queued records (any worker's), ≤ 100 per call, and applies them; a failed read is retried with back-off. */
  const fetchRecords = async (signal: AbortSignal): Promise<void> => {
    const reader = options.reader;
    if (!reader) return;
    const claimed = await claimFetches(pool, FETCHES_PER_ROUND, LEASE_MS);
    const byType = new Map<InboundObjectType, PendingFetch[]>();
    for (const f of claimed) byType.set(f.objectType, [...(byType.get(f.objectType) ?? []), f]);
    for (const [objectType, pending] of byType) {
      const ids = pending.map((p) => p.hubspotId);
      try {
        const records = await reader.readBatch(objectType, ids, syncedProperties(objectType), signal);
        for (const record of records) {
          await withTransaction(pool, (tx) => applySnapshot(tx, { ...options.hooks, needsFetch: () => undefined }, objectType, record, 'fetch'));
        }
        // A record HubSpot no longer has is done too: its deletion event follows.
        await finishFetches(pool, objectType, ids);
      } catch (error) {
        if (signal.aborted) return;
        const attempts = Math.max(...pending.map((p) => p.attempts));
        const delayMs = Math.min(RETRY_BACKOFF.maxMs, RETRY_BACKOFF.baseMs * 2 ** (attempts - 1));
        logger.warn({ objectType, count: ids.length, attempts, err: toError(error) }, 'fetching full records failed; retrying later');
        await retryFetches(pool, objectType, ids, delayMs, toError(error).message);
      }
    }
  };

  const runOnce = async (owner: string, signal: AbortSignal): Promise<number> => {
    const expanded = await expandWebhookBatches({ pool, logger, alerts });
    if (Date.now() - lagCheckedAtMs > EXPANSION_LAG_ALERT_MS) {
      lagCheckedAtMs = Date.now();
      await checkExpansionLag({ pool, logger, alerts });
    }
    const rows = (await claim<InboxDbRow>(pool, INBOX_QUEUE, { owner, leaseMs: LEASE_MS, limit: options.batchSize }))
      .map(toInboxRow)
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || Number(a.id) - Number(b.id));
    if (rows.length === 0) {
      await fetchRecords(signal);
      return expanded;
    }
    const onError = (error: unknown): void => logger.warn({ err: toError(error) }, 'inbox lease extension failed');
    await withHeartbeat(pool, INBOX_QUEUE, { ids: rows.map((r) => r.id), owner, leaseMs: LEASE_MS, onError }, async () => {
      for (const row of rows) {
        if (signal.aborted) break;
        await processRow(row, owner);
      }
      await fetchRecords(signal);
    });
    return expanded + rows.length;
  };

  const runner = startQueueRunner({
    name: 'inbox',
    workers: options.workers,
    pollIntervalMs: options.pollIntervalMs,
    logger,
    pool,
    channel: INBOX_QUEUE.channel,
    metrics: options.registry,
    runOnce: async (owner, signal) => (await runOnce(owner, signal)) > 0,
  });
  return { wake: () => runner.wake(), drain: () => runner.drain(), stop: () => runner.stop() };
}
