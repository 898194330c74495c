import type { PoolClient } from '../db/pool.js';
import { alertKey, type AnyTrigger, PRIORITY_OF_SEVERITY, raisedPriority, SLA_MS, stormAlertKey } from '../domain/support.js';
import type { TicketSeverity } from '../domain/value-sets.js';
import { insertAlert } from '../store/alerts.js';
import { enqueue, type OutboxChange } from '../store/outbox.js';
import {
  closeTicketRow, customersTripped, findOpenTicket, insertAlertRow, insertTicket, insertTicketNote, listCustomerTickets, lockAlertKey, lockDueEscalations, lockTrigger,
  markEscalated, recordRecurrence, type SupportTicket, suppressedBefore,
} from '../store/support-tickets.js';
import { cachedPriority, type CachedTicket, listCachedTickets } from '../store/ticket-cache.js';
import { findCustomerTrunk } from '../store/trunks.js';
import { eventChange } from './changes.js';
import { customerCommand, customerQuery, inTransaction, type WarpDeps } from './command.js';
import { fail, ok, type Result } from './result.js';

/**
 * Auto-tickets (docs/support.md): one open ticket per alert key (trigger + customer + trunk),
 * recurrences as notes on it, storms as one platform ticket, SLA escalation, closing when the
 * trigger clears. Every decision about a key is taken under that key's lock, and every decision
 * that may open a ticket also under its trigger's lock (storms count customers per trigger), in
 * the transaction that records it and queues the HubSpot writes (outbox: `ticket`,
 * `ticket_note`), so concurrent requests and instances can never open two tickets for one key.
 */

export interface StormSettings {
  /** More distinct customers than this within the window is a storm. */
  customers: number;
  windowMs: number;
}

export type AutoTicketOutcome = 'created' | 'recurrence' | 'suppressed';

export interface RaisedTicket {
  ticket: SupportTicket;
  outcome: AutoTicketOutcome;
}

export interface AutoTicketInput {
  trigger: string;
  definition: AnyTrigger;
  ban: string;
  /** `data` already parsed by the trigger's schema. */
  data: { trunk_id: string; severity?: TicketSeverity | undefined } & Record<string, unknown>;
  at: Date;
}

const ticketChange = (ticketId: string, fields: readonly string[] = []): OutboxChange => ({ objectType: 'ticket', recordKey: ticketId, fields });
const noteChange = (noteId: string): OutboxChange => ({ objectType: 'ticket_note', recordKey: noteId });

export function raiseAutoTicket(deps: WarpDeps, input: AutoTicketInput, storm: StormSettings): Promise<Result<RaisedTicket>> {
  const { trigger, definition, ban, data, at } = input;
  return customerCommand<RaisedTicket>(deps, ban, async (tx, customerId) => {
    if (!(await findCustomerTrunk(tx, customerId, data.trunk_id))) return fail('not_found', `Customer ${ban} has no trunk ${data.trunk_id}`);
    // Locks in one order everywhere (key, then trigger): recurrences of different keys run side by
    // side; only a decision that may open a ticket waits for the trigger.
    const key = alertKey(trigger, ban, data.trunk_id);
    await lockAlertKey(tx, key);
    const open = await findOpenTicket(tx, key);
    if (open) {
      await recordRecurrence(tx, open.id, at, data);
      const noteId = await insertTicketNote(tx, open.id, 'recurrence', definition.recurrence(data), at);
      await insertAlertRow(tx, { trigger, customerId, alertKey: key, outcome: 'recurrence', ticketId: open.id, at });
      await enqueue(tx, [noteChange(noteId)]);
      return ok({ ticket: open, outcome: 'recurrence' });
    }
    const storming = await findOpenTicket(tx, stormAlertKey(trigger));
    if (storming && (await suppressedBefore(tx, storming.id, customerId))) {
      // Already part of this storm (and told so): counted, nothing more to write.
      await insertAlertRow(tx, { trigger, customerId, alertKey: key, outcome: 'suppressed', ticketId: storming.id, at });
      return ok({ ticket: storming, outcome: 'suppressed' });
    }
    await lockTrigger(tx, trigger);
    const tripped = await customersTripped(tx, trigger, new Date(at.getTime() - storm.windowMs), customerId);
    if (tripped > storm.customers) return ok(await suppressInStorm(tx, input, customerId, key, tripped, storm));

    const severity = data.severity ?? definition.defaultSeverity;
    const text = definition.text(data, ban);
    const ticket = await insertTicket(tx, {
      alertKey: key, trigger, customerId, trunkId: data.trunk_id, isStorm: false, severity, priority: PRIORITY_OF_SEVERITY[severity],
      issueType: definition.issueType, issueCategory: definition.issueCategory, ...text, details: data, openedAt: at, slaBreachAt: new Date(at.getTime() + SLA_MS[severity]),
    });
    await insertAlertRow(tx, { trigger, customerId, alertKey: key, outcome: 'created', ticketId: ticket.id, at });
    await enqueue(tx, [ticketChange(ticket.id)]);
    return ok({ ticket, outcome: 'created' });
  });
}

/**
 * A storm: the trigger's platform ticket (opened once, with one ops alert) instead of this
 * customer's ticket, and one note on the customer's timeline per storm.
 */
async function suppressInStorm(tx: PoolClient, input: AutoTicketInput, customerId: string, key: string, tripped: number, storm: StormSettings): Promise<RaisedTicket> {
  const { trigger, definition, at } = input;
  const changes: OutboxChange[] = [];
  let ticket = await findOpenTicket(tx, stormAlertKey(trigger));
  if (ticket) {
    await recordRecurrence(tx, ticket.id, at, { ...ticket.details, customers: Math.max(Number(ticket.details['customers'] ?? 0), tripped) });
  } else {
    const text = definition.stormText(tripped, Math.round(storm.windowMs / 60_000));
    ticket = await insertTicket(tx, {
      alertKey: stormAlertKey(trigger), trigger, customerId: null, trunkId: null, isStorm: true, severity: 'critical', priority: PRIORITY_OF_SEVERITY.critical,
      issueType: definition.issueType, issueCategory: definition.issueCategory, ...text, details: { trigger, customers: tripped, window_minutes: storm.windowMs / 60_000 },
      openedAt: at, slaBreachAt: new Date(at.getTime() + SLA_MS.critical),
    });
    changes.push(ticketChange(ticket.id));
    await insertAlert(tx, { kind: 'support_storm', message: `Alert storm: ${tripped} customers tripped ${trigger} within ${storm.windowMs / 60_000} minutes; one platform ticket raised`, details: { trigger, customers: tripped, ticketId: ticket.id } });
  }
  if (!(await suppressedBefore(tx, ticket.id, customerId))) {
    changes.push(await eventChange(tx, customerId, { kind: 'platform_incident', occurredAt: at, fields: { trigger, trunk_id: input.data.trunk_id, ticket: ticket.subject } }));
  }
  await insertAlertRow(tx, { trigger, customerId, alertKey: key, outcome: 'suppressed', ticketId: ticket.id, at });
  await enqueue(tx, changes);
  return { ticket, outcome: 'suppressed' };
}

/** The trigger cleared: a note, then the ticket moves to a closed stage and frees its key. */
export function closeClearedTicket(deps: WarpDeps, ticket: SupportTicket, reason: string, at: Date): Promise<Result<boolean>> {
  return inTransaction(deps, async (tx) => {
    if (!(await closeTicketRow(tx, ticket.id, at))) return ok(false);
    const noteId = await insertTicketNote(tx, ticket.id, 'cleared', reason, at);
    await enqueue(tx, [ticketChange(ticket.id, ['hs_pipeline_stage', 'warp_alert_key']), noteChange(noteId)]);
    return ok(true);
  });
}

export interface Escalation {
  ticket: SupportTicket;
  priority: string;
}

/**
 * Open tickets past `warp_sla_breach` are escalated once each: priority one step above the
 * current one (an agent's change counts), a note on the ticket, an *Escalation triggered* note on
 * the company. The caller raises the ops alert for each returned escalation after commit.
 */
export function escalateDueTickets(deps: WarpDeps, now: Date, limit: number): Promise<Result<Escalation[]>> {
  return inTransaction(deps, async (tx) => {
    const due = await lockDueEscalations(tx, now, limit);
    const escalations: Escalation[] = [];
    const changes: OutboxChange[] = [];
    for (const ticket of due) {
      const current = (ticket.hubspotId ? await cachedPriority(tx, ticket.hubspotId) : null) ?? ticket.priority;
      const priority = raisedPriority(current);
      await markEscalated(tx, ticket.id, now, priority);
      const late = Math.round((now.getTime() - ticket.slaBreachAt.getTime()) / 60_000);
      const body = `SLA breached: still open at ${ticket.slaBreachAt.toISOString()} (${late} minutes ago is the SLA time for ${ticket.severity} severity). Priority raised from ${current} to ${priority}.`;
      changes.push(ticketChange(ticket.id, ['hs_ticket_priority']), noteChange(await insertTicketNote(tx, ticket.id, 'escalation', body, now)));
      if (ticket.customerId) changes.push(await eventChange(tx, ticket.customerId, { kind: 'escalation_triggered', occurredAt: now, fields: { subject: ticket.subject, priority } }));
      escalations.push({ ticket, priority });
    }
    await enqueue(tx, changes);
    return ok(escalations);
  });
}

export interface CustomerTickets {
  /** Tickets in HubSpot (the cache), open ones unless `all`. */
  tickets: CachedTicket[];
  /** WARP's auto-tickets of the customer (open and closed), with their alert keys. */
  autoTickets: SupportTicket[];
}

export function customerTickets(deps: WarpDeps, ban: string, options: { openOnly: boolean }): Promise<Result<CustomerTickets>> {
  return customerQuery(deps, ban, async (db, customerId) =>
    ok({ tickets: await listCachedTickets(db, customerId, options), autoTickets: await listCustomerTickets(db, customerId) }),
  );
}
