import { syncedProperties } from '../../domain/crm-catalogue.js';
import { INBOUND_OBJECT_TYPES } from '../../domain/hubspot-objects.js';
import { CACHED_TICKET_PROPERTIES } from '../../store/ticket-cache.js';

export interface WebhookSubscription {
  eventType: string;
  propertyName?: string;
}

const OBJECT_EVENTS = ['creation', 'deletion', 'merge', 'restore', 'associationChange'] as const;

/**
 * The webhook subscriptions the inbound sync needs: lifecycle events of companies, contacts and
 * deals, and a propertyChange subscription per synced property (HubSpot subscribes per property).
 * WARP-owned properties are included on purpose: an edit of one in HubSpot is a conflict to record
 * and undo. Used to set up the bundled simulator; a real app's subscriptions are set in HubSpot.
 */
export function inboundWebhookSubscriptions(): WebhookSubscription[] {
  return INBOUND_OBJECT_TYPES.flatMap((objectType) => [
    ...OBJECT_EVENTS.map((event) => ({ eventType: `${objectType}.${event}` })),
    ...syncedProperties(objectType).map((propertyName) => ({ eventType: `${objectType}.propertyChange`, propertyName })),
  ]).concat(ticketWebhookSubscriptions());
}

/** The ticket cache's subscriptions (docs/support.md "Ticket cache"). */
export function ticketWebhookSubscriptions(): WebhookSubscription[] {
  return [
    ...['creation', 'deletion', 'merge', 'restore', 'associationChange'].map((event) => ({ eventType: `ticket.${event}` })),
    ...CACHED_TICKET_PROPERTIES.map((propertyName) => ({ eventType: 'ticket.propertyChange', propertyName })),
  ];
}
