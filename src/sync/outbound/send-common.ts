import type { Pool } from '../../db/pool.js';
import type { AccountEventKind } from '../../store/account-events.js';
import type { OutboxEntry } from '../../store/outbox.js';
import { describeFailure } from './failures.js';
import { checkOutgoing, OutgoingGuardError } from '../../domain/outgoing-guard.js';
import type { BatchOutcome, CallFailure, OutboundHubSpot } from './hubspot-port.js';
import type { OutgoingProperties } from './mapping.js';

/**
 * Shared by the senders: each takes a claimed batch of outbox entries of one object type, makes
 * the HubSpot calls, and reports one outcome per entry. The worker turns outcomes into outbox
 * updates (done, deferred, retry later, dead letter).
 */

export type EntryOutcome =
  | { kind: 'done' }
  /** Not ready (e.g. its company is not in HubSpot yet): try again later, no attempt used. */
  | { kind: 'defer'; reason: string }
  | { kind: 'failed'; failure: CallFailure; payload: unknown };

export class Outcomes {
  private readonly byEntry = new Map<string, EntryOutcome>();

  done(entry: OutboxEntry): void {
    this.byEntry.set(entry.id, { kind: 'done' });
  }

  defer(entry: OutboxEntry, reason: string): void {
    this.byEntry.set(entry.id, { kind: 'defer', reason });
  }

  fail(entry: OutboxEntry, failure: CallFailure, payload: unknown): void {
    this.byEntry.set(entry.id, { kind: 'failed', failure, payload });
  }

  has(entry: OutboxEntry): boolean {
    return this.byEntry.has(entry.id);
  }

  /** An entry no sender decided on is a bug; the worker retries it rather than losing it. */
  get(entry: OutboxEntry): EntryOutcome {
    return this.byEntry.get(entry.id) ?? { kind: 'failed', failure: { message: 'no outcome recorded', status: undefined, correlationId: undefined, retryable: true }, payload: null };
  }
}

/** Timeline event template ids by event kind; events without one become notes. */
export type TimelineTemplates = Partial<Record<AccountEventKind, string>>;

export interface SendContext {
  pool: Pool;
  hubspot: OutboundHubSpot;
  timelineTemplates: TimelineTemplates;
  /** The ticket pipeline auto-tickets are created in; default HubSpot's `0`. */
  ticketPipeline?: string | undefined;
}

export type Sender = (ctx: SendContext, entries: readonly OutboxEntry[]) => Promise<Outcomes>;

/** One entry's payload on its way out. */
export interface Item<T> {
  entry: OutboxEntry;
  record: T;
  properties: OutgoingProperties;
}

/**
 * Guards a payload; a refused one fails its entry for good, with the offending property values
 * replaced (the dead letter must not become a copy of the card number). True when it may go.
 */
export function guarded(outcomes: Outcomes, entry: OutboxEntry, properties: OutgoingProperties, allowed: ReadonlySet<string>): boolean {
  try {
    checkOutgoing(properties, allowed);
    return true;
  } catch (error) {
    if (!(error instanceof OutgoingGuardError)) throw error;
    const redacted = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, error.properties.includes(k) ? '[refused]' : v]));
    outcomes.fail(entry, describeFailure(error), redacted);
    return false;
  }
}

/** Runs one HubSpot call for `items`; if it throws, every item fails with the same reason. */
export async function callFor<R>(outcomes: Outcomes, items: ReadonlyArray<Item<unknown>>, call: () => Promise<R>): Promise<R | undefined> {
  if (items.length === 0) return undefined;
  try {
    return await call();
  } catch (error) {
    const failure = describeFailure(error);
    for (const item of items) outcomes.fail(item.entry, failure, item.properties);
    return undefined;
  }
}

/**
 * Splits a batch outcome (207 partial failures included) into the items that were written, each
 * with its HubSpot id, and fails only the inputs HubSpot refused, each with its own reason.
 */
export function splitOutcome<I extends Item<unknown>>(outcomes: Outcomes, items: readonly I[], outcome: BatchOutcome): Array<I & { hubspotId: string; isNew: boolean }> {
  for (const failed of outcome.failures) {
    const item = items[failed.index];
    if (!item) continue;
    outcomes.fail(item.entry, { message: `${failed.category}: ${failed.message}`, status: failed.status, correlationId: undefined, retryable: failed.retryable }, item.properties);
  }
  const written: Array<I & { hubspotId: string; isNew: boolean }> = [];
  for (const result of outcome.results) {
    const item = result.inputIndex === undefined ? undefined : items[result.inputIndex];
    if (item && !outcomes.has(item.entry)) written.push({ ...item, hubspotId: result.id, isNew: result.isNew ?? false });
  }
  return written;
}
