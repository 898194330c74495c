import type { PoolClient } from '../../db/pool.js';
import { addJob } from '../../jobs/add-job.js';
import { applyTicketProperty, customerOfCompany, isCachedTicketProperty, linkTicketCustomer, markTicketDeleted, markTicketLive } from '../../store/ticket-cache.js';
import { TICKET_FETCH_TASK } from '../support/ticket-fetch.js';
import type { WebhookEvent } from './webhook-events.js';

/**
 * Ticket webhooks → the ticket cache (store/ticket-cache.ts), so WARP knows each customer's open
 * tickets (docs/support.md "Ticket cache"). Tickets carry no field ownership conflicts here: the
 * cache records HubSpot's values, whoever made them (our own writes included: the same values).
 * A creation, restore or merge queues one fetch job (one job key for any burst): webhooks carry
 * neither the ticket's properties nor its company.
 */

export type TicketOutcome = 'applied' | 'stale' | 'unknown_property' | 'unknown_event' | 'unsupported_association';


const queueFetch = (tx: PoolClient): Promise<string> => addJob(tx, TICKET_FETCH_TASK, {}, { jobKey: TICKET_FETCH_TASK.name, jobKeyMode: 'preserve_run_at', runAt: new Date(Date.now() + 1_000) });

export async function applyTicketEvent(tx: PoolClient, event: WebhookEvent): Promise<TicketOutcome> {
  const type = event.subscriptionType ?? event.eventType ?? '';
  const action = type.split('.', 2)[1] ?? '';
  const id = event.objectId;
  const occurredAt = new Date(event.occurredAt);
  switch (action) {
    case 'propertyChange': {
      const property = event.propertyName ?? '';
      if (!id) return 'unknown_event';
      if (!isCachedTicketProperty(property)) return 'unknown_property';
      const value = event.propertyValue === null || event.propertyValue === undefined ? null : String(event.propertyValue);
      return applyTicketProperty(tx, id, property, value, occurredAt);
    }
    case 'creation':
    case 'restore': {
      if (!id) return 'unknown_event';
      const outcome = await markTicketLive(tx, id, occurredAt);
      if (outcome === 'applied') await queueFetch(tx);
      return outcome;
    }
    case 'deletion':
    case 'privacyDeletion':
      return id ? markTicketDeleted(tx, id, occurredAt, null) : 'unknown_event';
    case 'merge': {
      const survivor = event.newObjectId ?? event.primaryObjectId ?? id;
      if (!survivor) return 'unknown_event';
      for (const merged of [event.primaryObjectId ?? id, ...(event.mergedObjectIds ?? [])]) {
        if (merged && merged !== survivor) await markTicketDeleted(tx, merged, occurredAt, survivor);
      }
      await markTicketLive(tx, survivor, occurredAt);
      await queueFetch(tx);
      return 'applied';
    }
    case 'associationChange':
      return applyCompanyLink(tx, event);
    default:
      return 'unknown_event';
  }
}

/** Ticket ↔ company: the ticket's customer (the last link wins; removing it clears it). */
async function applyCompanyLink(tx: PoolClient, event: WebhookEvent): Promise<TicketOutcome> {
  const pair =
    event.associationType === 'TICKET_TO_COMPANY' ? { ticket: event.fromObjectId, company: event.toObjectId }
    : event.associationType === 'COMPANY_TO_TICKET' ? { ticket: event.toObjectId, company: event.fromObjectId }
    : undefined;
  if (!pair?.ticket || !pair.company) return 'unsupported_association';
  const customerId = event.associationRemoved === true ? null : await customerOfCompany(tx, pair.company);
  await linkTicketCustomer(tx, pair.ticket, customerId);
  return 'applied';
}
