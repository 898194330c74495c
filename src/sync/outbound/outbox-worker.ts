import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Pool, PoolClient } from '../../db/pool.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import {
  type AttemptError,
  claim,
  complete,
  defer,
  extendLease,
  OUTBOX_CHANNEL,
  type OutboxEntry,
  type OutboxObjectType,
  scheduleRetry,
} from '../../store/outbox.js';
import { deadLetter } from './dead-letters.js';
import type { OutboundHubSpot } from './hubspot-port.js';
import { type AlertSink, raiseAlert } from './ops-alerts.js';
import type { EntryOutcome, Sender, SendContext, TimelineTemplates } from './send-common.js';
import { sendEvents } from './send-events.js';
import { sendCompanies, sendContacts, sendNumbers, sendTrunks } from './send-objects.js';

/**
 * Outbox workers: any number per process, any number of processes. Each loop claims a leased batch
 * of one object type (FOR UPDATE SKIP LOCKED), sends it, and records one outcome per record:
 * done, deferred, retried later with exponential back-off, or dead-lettered (with an ops alert)
 * after the last attempt. Idle workers wake on NOTIFY from `enqueue`, or poll.
 *
 * Crash safety: a claim is a lease. A worker killed mid-batch leaves leased rows that become
 * claimable when the lease expires; the retry re-sends the record's current state as an upsert by
 * its unique property (idempotent), and events look for their marker first, so nothing is lost
 * and nothing is duplicated.
 */

export interface OutboxWorkerSettings {
  /** Concurrent worker loops in this process. */
  workers: number;
  /** Records per claim and per HubSpot batch call (HubSpot's maximum is 100). */
  batchSize: number;
  /** How often an idle worker looks for work when no NOTIFY arrives. */
  pollIntervalMs: number;
  /** How long a claim stays with a worker without a heartbeat; a dead worker's rows return after it. */
  leaseMs: number;
  /** Attempts per record before it is dead-lettered (docs/product-rules.md "Retries and alerts"). */
  maxAttempts: number;
  /** First retry delay; doubled per attempt, with ±20 % jitter. */
  retryBaseDelayMs: number;
  /** Delay before looking again at a record that was not ready (its company not in HubSpot yet). */
  deferDelayMs: number;
}

export interface OutboxWorkerDeps {
  pool: Pool;
  hubspot: OutboundHubSpot;
  logger: Logger;
  alerts: Omit<AlertSink, 'db' | 'logger'>;
  timelineTemplates: TimelineTemplates;
}

export interface OutboxWorkers {
  /** Stops claiming, lets in-flight batches finish, releases the LISTEN connection. */
  stop(): Promise<void>;
}

// Companies first: trunks, numbers, contacts and notes need the company's HubSpot id. Trunks
// before numbers, which are associated with them.
const TYPE_ORDER: readonly OutboxObjectType[] = ['company', 'contact', 'trunk', 'number', 'event'];

const SENDERS: Record<OutboxObjectType, Sender> = {
  company: sendCompanies,
  contact: sendContacts,
  trunk: sendTrunks,
  number: sendNumbers,
  event: sendEvents,
};

const JITTER = 0.2;

export function retryDelayMs(attemptsBefore: number, baseMs: number): number {
  return Math.round(baseMs * 2 ** attemptsBefore * (1 - JITTER + Math.random() * 2 * JITTER));
}

export function startOutboxWorkers(deps: OutboxWorkerDeps, settings: OutboxWorkerSettings, signal?: AbortSignal): OutboxWorkers {
  const stopping = new AbortController();
  signal?.addEventListener('abort', () => stopping.abort(), { once: true });
  const wakers = new Set<() => void>();
  const wakeAll = (): void => {
    for (const wake of wakers) wake();
  };
  const listener = listen(deps, wakeAll);
  const ctx: SendContext = { pool: deps.pool, hubspot: deps.hubspot, timelineTemplates: deps.timelineTemplates };
  const sink: AlertSink = { ...deps.alerts, db: deps.pool, logger: deps.logger };

  const idle = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        wakers.delete(done);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  const loop = async (index: number): Promise<void> => {
    const owner = `${process.pid}-${randomBytes(3).toString('hex')}-${index}`;
    while (!stopping.signal.aborted) {
      try {
        let worked = false;
        for (const type of TYPE_ORDER) {
          if (stopping.signal.aborted) break;
          const entries = await claim(deps.pool, type, settings.batchSize, owner, settings.leaseMs);
          if (entries.length === 0) continue;
          worked = true;
          await processBatch(ctx, sink, deps.logger, settings, owner, type, entries);
        }
        if (!worked) await idle(settings.pollIntervalMs);
      } catch (error) {
        // The database is unreachable or a bug: keep the loop alive, leased rows come back later.
        deps.logger.error({ err: toError(error), worker: owner }, 'outbox worker iteration failed');
        await sleep(settings.pollIntervalMs).catch(() => undefined);
      }
    }
  };

  const loops = Array.from({ length: settings.workers }, (_, i) => loop(i));
  return {
    stop: async () => {
      stopping.abort();
      await Promise.all(loops);
      const client = await listener;
      if (client) {
        await client.query(`UNLISTEN ${OUTBOX_CHANNEL}`).catch(() => undefined);
        client.release();
      }
    },
  };
}

/** A dedicated connection LISTENing on the outbox channel; null (poll only) when it fails. */
async function listen(deps: OutboxWorkerDeps, wake: () => void): Promise<PoolClient | null> {
  try {
    const client = await deps.pool.connect();
    client.on('notification', wake);
    client.on('error', (error) => deps.logger.warn({ err: toError(error) }, 'outbox LISTEN connection lost; polling'));
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    return client;
  } catch (error) {
    deps.logger.warn({ err: toError(error) }, 'outbox LISTEN unavailable; polling');
    return null;
  }
}

async function processBatch(
  ctx: SendContext,
  sink: AlertSink,
  logger: Logger,
  settings: OutboxWorkerSettings,
  owner: string,
  type: OutboxObjectType,
  entries: OutboxEntry[],
): Promise<void> {
  // Heartbeat: a slow send (waiting for the rate budget) must not lose its lease to another worker.
  const ids = entries.map((e) => e.id);
  const heartbeat = setInterval(() => {
    extendLease(ctx.pool, ids, owner, settings.leaseMs).catch((error: unknown) => logger.warn({ err: toError(error) }, 'lease extension failed'));
  }, Math.max(50, Math.floor(settings.leaseMs / 3)));
  let outcomes;
  try {
    outcomes = await SENDERS[type](ctx, entries);
  } finally {
    clearInterval(heartbeat);
  }

  const done: OutboxEntry[] = [];
  const deferred: OutboxEntry[] = [];
  const dead: Array<{ entry: OutboxEntry; error: AttemptError }> = [];
  for (const entry of entries) {
    const outcome: EntryOutcome = outcomes.get(entry);
    switch (outcome.kind) {
      case 'done':
        done.push(entry);
        break;
      case 'defer':
        deferred.push(entry);
        break;
      case 'failed': {
        const { failure } = outcome;
        const error: AttemptError = { at: new Date().toISOString(), message: failure.message, status: failure.status, correlationId: failure.correlationId };
        if (failure.retryable && entry.attempts + 1 < settings.maxAttempts) {
          await scheduleRetry(ctx.pool, entry, owner, error, retryDelayMs(entry.attempts, settings.retryBaseDelayMs));
        } else if (await deadLetter(ctx.pool, entry, owner, outcome.payload, [...entry.errors, error])) {
          dead.push({ entry, error });
        }
        break;
      }
    }
  }
  await complete(ctx.pool, done, owner);
  await defer(ctx.pool, deferred, owner, settings.deferDelayMs);
  logger.debug({ type, claimed: entries.length, done: done.length, deferred: deferred.length, deadLettered: dead.length }, 'outbox batch');
  if (dead.length > 0) {
    const first = dead[0]!.error;
    await raiseAlert(sink, 'outbound_dead_letter', `${dead.length} ${type} record(s) could not be written to HubSpot and were dead-lettered`, {
      objectType: type,
      records: dead.length,
      attempts: dead.map((d) => d.entry.attempts + 1),
      firstError: first.message,
      status: first.status,
      correlationId: first.correlationId,
    });
  }
}
