import { z } from 'zod';

import { INBOUND_OBJECT_TYPES, type InboundObjectType, inboundObjectByTypeId } from '../../domain/hubspot-objects.js';

/**
 * HubSpot webhook event bodies (docs/hubspot-facts.md "Webhooks"): a JSON array of at most 100 events, legacy
 * `{object}.{event}` or generic `object.{event}` subscription types. Real deliveries name the type
 * `subscriptionType`, the docs' field table `eventType`: both are accepted. Fields we do not use are
 * kept (`loose`) so the inbox row holds the event exactly as HubSpot described it.
 */

export const MAX_EVENTS_PER_BATCH = 100;

export const EVENT_KINDS = ['creation', 'propertyChange', 'deletion', 'merge', 'restore', 'associationChange', 'privacyDeletion'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

const hubspotId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);

const eventSchema = z
  .looseObject({
    eventId: z.number().int(),
    subscriptionId: z.number().int(),
    portalId: z.number().int(),
    appId: z.number().int().optional(),
    occurredAt: z.number().int().positive(),
    subscriptionType: z.string().min(3).max(100).optional(),
    eventType: z.string().min(3).max(100).optional(),
    attemptNumber: z.number().int().nonnegative().optional(),
    objectId: hubspotId.optional(),
    objectTypeId: z.string().max(50).optional(),
    propertyName: z.string().max(500).optional(),
    propertyValue: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    changeSource: z.string().max(100).optional(),
    sourceId: z.string().max(200).optional(),
    changeFlag: z.string().max(50).optional(),
    primaryObjectId: hubspotId.optional(),
    mergedObjectIds: z.array(hubspotId).max(1000).optional(),
    newObjectId: hubspotId.optional(),
    associationType: z.string().max(100).optional(),
    fromObjectId: hubspotId.optional(),
    toObjectId: hubspotId.optional(),
    associationRemoved: z.boolean().optional(),
    isPrimaryAssociation: z.boolean().optional(),
  })
  .refine((event) => (event.subscriptionType ?? event.eventType) !== undefined, {
    message: 'subscriptionType (or eventType) is required',
  });

export const webhookBatchSchema = z.array(eventSchema).max(MAX_EVENTS_PER_BATCH);

export type WebhookEvent = z.infer<typeof eventSchema>;

/** The parts of an event the processor branches on, derived once. */
export interface EventTarget {
  /** The subscription type as sent (`company.propertyChange`, `object.deletion`, ...). */
  type: string;
  /** undefined for objects we do not sync (tickets, products, ...): recorded, not applied. */
  objectType: InboundObjectType | undefined;
  kind: EventKind | undefined;
}

export function eventTarget(event: WebhookEvent): EventTarget {
  const type = event.subscriptionType ?? event.eventType ?? '';
  const [prefix = '', action = ''] = type.split('.', 2);
  const objectType =
    prefix === 'object'
      ? // Generic subscriptions carry `objectTypeId` instead of a type prefix.
        inboundObjectByTypeId(event.objectTypeId ?? '')
      : (INBOUND_OBJECT_TYPES as readonly string[]).includes(prefix)
        ? (prefix as InboundObjectType)
        : undefined;
  const kind = (EVENT_KINDS as readonly string[]).includes(action) ? (action as EventKind) : undefined;
  return { type, objectType, kind };
}

/**
 * The identity of one event across retries and duplicate deliveries. `eventId` alone is not unique
 * (docs/hubspot-facts.md "Webhooks"), so it is combined with the fields that say what happened; `attemptNumber`
 * is left out because a retry of the same event must collapse into the same row.
 */
export function dedupeKey(event: WebhookEvent): string {
  return [
    event.portalId,
    event.subscriptionId,
    event.subscriptionType ?? event.eventType,
    event.objectId ?? `${event.fromObjectId ?? ''}>${event.toObjectId ?? ''}`,
    event.propertyName ?? '',
    event.occurredAt,
    event.eventId,
    event.associationRemoved === undefined ? '' : String(event.associationRemoved),
  ].join('|');
}

/** The object id an event is about, for ordering and locking (association events: the `from` side). */
export function eventObjectId(event: WebhookEvent): string | undefined {
  return event.objectId ?? event.fromObjectId;
}

/** The inbox rows of a batch, one per event (the inbox deduplicates them). */
export function toInboxEvents(events: WebhookEvent[]): Array<{ dedupeKey: string; subscriptionType: string; objectId: string | null; occurredAtMs: number; event: WebhookEvent }> {
  return events.map((event) => ({
    dedupeKey: dedupeKey(event),
    subscriptionType: eventTarget(event).type,
    objectId: eventObjectId(event) ?? null,
    occurredAtMs: event.occurredAt,
    event,
  }));
}
