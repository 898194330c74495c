import { createHash } from 'node:crypto';

import { z } from 'zod';

import { crmProperty } from '../../domain/crm-catalogue.js';
import { CRM_OBJECTS, INBOUND_OBJECT_TYPES, type InboundObjectType, inboundObjectByTypeId } from '../../domain/hubspot-objects.js';
import { storableJson } from '../../lib/text.js';

/**
 * HubSpot webhook event bodies (docs/hubspot-facts.md "Webhooks"): a JSON array of at most 100 events, legacy
 * `{object}.{event}` or generic `object.{event}` subscription types. Real deliveries name the type
 * `subscriptionType`, the docs' field table `eventType`: both are accepted. Fields we do not use are
 * kept (`loose`) so the inbox row holds the event exactly as HubSpot described it.
 *
 * Two levels of checking: at the door only what storage needs (`webhookBatchSchema`: an array of
 * at most 100 objects); each event is checked on its own when its batch is expanded
 * (`toInboxEvents`), and one that does not fit is kept as an `invalid_event`, so one over-long
 * field never costs the other 99 events of its batch.
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

/** One event, fully checked (at expansion and again when it is applied). */
export const webhookEventSchema = eventSchema;

const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A delivery at the door: what storing it needs, nothing more (each event is checked later): an
 * array of at most 100 objects, whose keys and values are not looked at here.
 */
export const webhookBatchSchema = z.array(z.custom<Record<string, unknown>>(isJsonObject, 'an event is a JSON object')).max(MAX_EVENTS_PER_BATCH);

/** Events are flat (ids, scalars, one array of ids): anything nested deeper is cut, and fails its schema. */
export const MAX_BATCH_DEPTH = 6;

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

/** The cached record an association event links to a company, or undefined for associations the cache does not keep. */
export function associationSide(event: WebhookEvent): { objectType: 'contact' | 'deal'; id: string; companyId: string } | undefined {
  const from = event.fromObjectId;
  const to = event.toObjectId;
  if (from === undefined || to === undefined) return undefined;
  switch (event.associationType) {
    case 'CONTACT_TO_COMPANY': return { objectType: 'contact', id: from, companyId: to };
    case 'COMPANY_TO_CONTACT': return { objectType: 'contact', id: to, companyId: from };
    case 'DEAL_TO_COMPANY': return { objectType: 'deal', id: from, companyId: to };
    case 'COMPANY_TO_DEAL': return { objectType: 'deal', id: to, companyId: from };
    case undefined:
    default: return undefined;
  }
}

/** Outcomes decided by the event alone: such events are never applied. */
export type EventIgnoredOutcome = 'unknown_object' | 'unknown_event' | 'unknown_property' | 'unsupported_association' | 'invalid_event';

/**
 * Whether the service ignores this event whatever the cache holds (an object or property it does
 * not sync, an association it does not keep): such an event is stored already finished, so it
 * takes no object lock and holds up none of its object's events (a busy company's thousands of
 * association events). Undefined for events that must be applied in order.
 */
/** Ticket events go to the ticket cache (apply-ticket.ts), not through the cached-object map. */
export function isTicketEvent(event: WebhookEvent): boolean {
  const type = event.subscriptionType ?? event.eventType ?? '';
  return type.startsWith('ticket.') || (type.startsWith('object.') && event.objectTypeId === CRM_OBJECTS.ticket.typeId);
}

export function ignoredOutcome(event: WebhookEvent): EventIgnoredOutcome | undefined {
  if (isTicketEvent(event)) return undefined;
  const { objectType, kind } = eventTarget(event);
  if (!objectType) return 'unknown_object';
  if (kind === undefined || eventObjectId(event) === undefined) return 'unknown_event';
  if (kind === 'propertyChange' && !crmProperty(objectType, event.propertyName ?? '')) return 'unknown_property';
  if (kind === 'associationChange') {
    if (event.fromObjectId === undefined || event.toObjectId === undefined) return 'unknown_event';
    if (!associationSide(event)) return 'unsupported_association';
  }
  return undefined;
}

export interface InboxEventRow {
  dedupeKey: string;
  subscriptionType: string;
  objectId: string | null;
  occurredAtMs: number;
  event: unknown;
  /** Set for events stored already finished (ignored); the worker never sees them. */
  ignored?: EventIgnoredOutcome | undefined;
}

/**
 * The inbox rows of a stored batch, one per event (the inbox deduplicates them). Text is made
 * storable first (batches stored before the door did so may hold NULs). An event that does not
 * pass its schema becomes a row of its own, keyed by its content and tied to no object, stored
 * already finished as `ignored` / `invalid_event`; so are events the service ignores (`ignoredOutcome`).
 */
export function toInboxEvents(events: ReadonlyArray<Record<string, unknown>>, receivedAtMs = Date.now()): InboxEventRow[] {
  return events.map((raw) => {
    const stored = storableJson(raw, MAX_BATCH_DEPTH - 1).value;
    const parsed = eventSchema.safeParse(stored);
    if (!parsed.success) {
      const type = (stored as Record<string, unknown>)['subscriptionType'] ?? (stored as Record<string, unknown>)['eventType'];
      return {
        dedupeKey: `invalid|${createHash('sha256').update(JSON.stringify(stored)).digest('hex')}`,
        subscriptionType: typeof type === 'string' ? type.slice(0, 100) : 'invalid',
        objectId: null,
        occurredAtMs: receivedAtMs,
        event: stored,
        ignored: 'invalid_event',
      };
    }
    const event = parsed.data;
    const ignored = ignoredOutcome(event);
    return { dedupeKey: dedupeKey(event), subscriptionType: eventTarget(event).type, objectId: eventObjectId(event) ?? null, occurredAtMs: event.occurredAt, event: stored, ...(ignored ? { ignored } : {}) };
  });
}
