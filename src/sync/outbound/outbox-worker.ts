import type { Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { claim, defer, retryLater, withHeartbeat } from '../../queue/lease.js';
import { startQueueRunner } from '../../queue/runner.js';
import { OUTBOX_QUEUE } from '../../queue/tables.js';
import { type AttemptError, complete, type OutboxEntry, type OutboxObjectType, type OutboxRow, toEntry } from '../../store/outbox.js';
import { deadLetter } from './dead-letters.js';
import type { OutboundHubSpot } from './hubspot-port.js';
import { type AlertSink, raiseAlert } from './ops-alerts.js';
import type { EntryOutcome, Sender, SendContext, TimelineTemplates } from './send-common.js';
import { sendAssociations } from './send-associations.js';
import { sendEvents } from './send-events.js';
import { sendCompanies, sendContacts, sendNumbers, sendTrunks } from './send-objects.js';
import { sendUsageNotes } from './send-usage-notes.js';
import { sendTicketNotes, sendTickets } from './send-tickets.js';

/**
 * Outbox workers: any number per process, any number of processes. Each loop claims a leased batch
 * of one object type (src/queue/: FOR UPDATE SKIP LOCKED, attempts counted at claim, heartbeat),
 * sends it, and records one outcome per record: done, deferred, retried later with the queue's
 * back-off, or dead-lettered (with an ops alert) after the last attempt. A record claimed more
 * often than the attempts allow (its worker died during every send) is dead-lettered unsent.
 * Idle workers wake on NOTIFY from `enqueue` (in any process), or poll.
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
  /**
   * Attempts per record before it is dead-lettered (docs/product-rules.md "Retries and alerts"):
   * of a record failing for passing reasons, only once `retryBudgetMs` is spent too; of a record
   * whose worker died during every attempt (claims without an outcome), always.
   */
  maxAttempts: number;
  /** How long passing failures (5xx, 429, timeouts, connection errors) keep a record retried, from its first failure. */
  retryBudgetMs: number;
  /** First retry delay; doubled per attempt (at most RETRY_MAX_DELAY_MS), with ±20 % jitter. */
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
  /** The ticket pipeline auto-tickets are created in (HubSpot's default: `0`). */
  ticketPipeline?: string | undefined;
  metrics?: Registry | undefined;
}

export interface OutboxWorkers {
  /** Stops claiming, lets in-flight batches finish, releases the LISTEN connection. */
  stop(): Promise<void>;
}

// Companies first: trunks, numbers, contacts and notes need the company's HubSpot id. Tickets
// before their notes, which need the ticket's HubSpot id. Associations last: they need the
// HubSpot ids of both ends.
const TYPE_ORDER: readonly OutboxObjectType[] = ['company', 'contact', 'trunk', 'number', 'event', 'usage_note', 'ticket', 'ticket_note', 'association'];

const SENDERS: Record<OutboxObjectType, Sender> = {
  company: sendCompanies,
  contact: sendContacts,
  trunk: sendTrunks,
  number: sendNumbers,
  event: sendEvents,
  usage_note: sendUsageNotes,
  ticket: sendTickets,
  ticket_note: sendTicketNotes,
  association: sendAssociations,
};

/** The longest retry delay of a record (the back-off doubles up to it). */
const RETRY_MAX_DELAY_MS = 10 * 60_000;

export function startOutboxWorkers(deps: OutboxWorkerDeps, settings: OutboxWorkerSettings): OutboxWorkers {
  const ctx: SendContext = { pool: deps.pool, hubspot: deps.hubspot, timelineTemplates: deps.timelineTemplates, ticketPipeline: deps.ticketPipeline };
  const sink: AlertSink = { ...deps.alerts, db: deps.pool, logger: deps.logger };
  const runner = startQueueRunner({
    name: 'outbox',
    workers: settings.workers,
    pollIntervalMs: settings.pollIntervalMs,
    logger: deps.logger,
    pool: deps.pool,
    channel: OUTBOX_QUEUE.channel,
    metrics: deps.metrics,
    runOnce: async (owner, signal) => {
      let worked = false;
      for (const type of TYPE_ORDER) {
        if (signal.aborted) break;
        const rows = await claim<OutboxRow>(deps.pool, OUTBOX_QUEUE, { owner, leaseMs: settings.leaseMs, limit: settings.batchSize, readyParams: [type] });
        if (rows.length === 0) continue;
        worked = true;
        const entries = rows.map(toEntry).sort((a, b) => Number(a.id) - Number(b.id));
        await processBatch(ctx, sink, deps.logger, settings, owner, type, entries);
      }
      return worked;
    },
  });
  return { stop: () => runner.stop() };
}

type DeadLettered = { entry: OutboxEntry; error: AttemptError };

async function processBatch(
  ctx: SendContext,
  sink: AlertSink,
  logger: Logger,
  settings: OutboxWorkerSettings,
  owner: string,
  type: OutboxObjectType,
  entries: OutboxEntry[],
): Promise<void> {
  const live = entries.filter((e) => !diedEveryTime(e, settings));
  const dead = await deadLetterExhausted(ctx, owner, entries.filter((e) => diedEveryTime(e, settings)));
  if (live.length > 0) dead.push(...(await sendAndRecord(ctx, logger, settings, owner, type, live)));
  if (dead.length > 0) {
    const first = dead[0]!.error;
    await raiseAlert(sink, 'outbound_dead_letter', `${dead.length} ${type} record(s) could not be written to HubSpot and were dead-lettered`, {
      objectType: type,
      records: dead.length,
      attempts: dead.map((d) => d.entry.attempts),
      firstError: first.message,
      status: first.status,
      correlationId: first.correlationId,
    });
  }
}

/** Claimed more often than the attempts allow without an outcome (each recorded failure is one): the worker died during every send. */
const diedEveryTime = (entry: OutboxEntry, settings: OutboxWorkerSettings): boolean => entry.attempts - entry.errors.length > settings.maxAttempts;

/**
 * A passing failure is retried while attempts remain or the record's retry budget (from the first
 * failure of its current streak) is not spent: a HubSpot outage of minutes needs no operator.
 */
function mayRetry(entry: OutboxEntry, settings: OutboxWorkerSettings, now: number): boolean {
  if (entry.attempts < settings.maxAttempts) return true;
  const firstFailure = entry.errors[0] ? Date.parse(entry.errors[0].at) : now;
  return now - firstFailure < settings.retryBudgetMs;
}

/** Claimed more often than the attempts allow without an outcome: the worker died during every send. */
async function deadLetterExhausted(ctx: SendContext, owner: string, exhausted: readonly OutboxEntry[]): Promise<DeadLettered[]> {
  const dead: DeadLettered[] = [];
  for (const entry of exhausted) {
    const error: AttemptError = { at: new Date().toISOString(), message: `claimed ${entry.attempts} times without an outcome (the worker stopped during every attempt)` };
    if (await deadLetter(ctx.pool, entry, owner, null, [...entry.errors, error], false)) dead.push({ entry, error });
  }
  return dead;
}

/** Sends the batch (its leases kept alive meanwhile) and records each record's outcome. */
async function sendAndRecord(
  ctx: SendContext,
  logger: Logger,
  settings: OutboxWorkerSettings,
  owner: string,
  type: OutboxObjectType,
  entries: OutboxEntry[],
): Promise<DeadLettered[]> {
  const onError = (error: unknown): void => logger.warn({ err: toError(error) }, 'outbox lease extension failed');
  const held = { ids: entries.map((e) => e.id), owner, leaseMs: settings.leaseMs, onError };
  const outcomes = await withHeartbeat(ctx.pool, OUTBOX_QUEUE, held, () => SENDERS[type](ctx, entries));

  const done: OutboxEntry[] = [];
  const deferred: OutboxEntry[] = [];
  const dead: DeadLettered[] = [];
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
        if (failure.retryable && mayRetry(entry, settings, Date.now())) {
          await retryLater(ctx.pool, OUTBOX_QUEUE, entry.id, owner, JSON.stringify([error]), { baseMs: settings.retryBaseDelayMs, maxMs: RETRY_MAX_DELAY_MS });
        } else if (await deadLetter(ctx.pool, entry, owner, outcome.payload, [...entry.errors, error], failure.retryable)) {
          dead.push({ entry, error });
        }
        break;
      }
    }
  }
  await complete(ctx.pool, done, owner);
  await defer(ctx.pool, OUTBOX_QUEUE, deferred.map((e) => e.id), owner, settings.deferDelayMs);
  logger.debug({ type, claimed: entries.length, done: done.length, deferred: deferred.length, deadLettered: dead.length }, 'outbox batch');
  return dead;
}
