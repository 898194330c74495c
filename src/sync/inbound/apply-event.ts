import type { PoolClient } from '../../db/pool.js';
import { assertNever } from '../../lib/errors.js';
import { appendAudit, type AuditChanges } from '../../store/audit.js';
import {
  CACHE_TABLES,
  ensureCachedRecord,
  linkToCompany,
  lockCachedRecord,
  setCachedDeleted,
} from '../../store/cache-records.js';
import { advanceFieldVersion, LIFECYCLE } from '../../store/field-versions.js';
import { blankContactEventValues, erasePersonalColumns } from '../../store/privacy.js';
import { applyField, type FieldContext, type InboundHooks } from './apply-field.js';
import { applyMergedRecords } from './apply-merge.js';
import { applyTicketEvent } from './apply-ticket.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';
import { associationSide, eventObjectId, eventTarget, ignoredOutcome, isTicketEvent, type WebhookEvent } from './webhook-events.js';

/**
 * Applies one HubSpot webhook event to the cache inside the caller's transaction (the caller holds
 * the per-object lock and marks the inbox row done in the same transaction). Returns what
 * happened; every outcome other than `applied` is recorded on the inbox row, never thrown.
 */

export type EventOutcome =
  | 'applied'
  | 'no_change'
  | 'stale'
  | 'echo'
  | 'conflict'
  | 'written_back'
  | 'unknown_object'
  | 'unknown_event'
  | 'invalid_event'
  | 'unknown_property'
  | 'invalid_value'
  | 'deleted_object'
  | 'unsupported_association';

export interface ApplyContext {
  tx: PoolClient;
  hooks: InboundHooks;
  /** Our HubSpot app id: changes with this `sourceId` are echoes of our own writes. */
  appId: string | undefined;
  inboxId: string;
}

const SOURCE = 'hubspot';

export function isEcho(event: WebhookEvent, appId: string | undefined): boolean {
  return appId !== undefined && event.changeSource === 'INTEGRATION' && event.sourceId === appId;
}

export async function applyEvent(ctx: ApplyContext, event: WebhookEvent): Promise<EventOutcome> {
  // Tickets have a cache of their own (no field ownership, no write-backs).
  if (isTicketEvent(event)) return applyTicketEvent(ctx.tx, event);
  const { objectType, kind, type } = eventTarget(event);
  const objectId = eventObjectId(event);
  const ignored = ignoredOutcome(event);
  if (ignored || !objectType || kind === undefined || objectId === undefined) return ignored ?? 'unknown_event';
  const occurredAt = new Date(event.occurredAt);
  switch (kind) {
    case 'propertyChange':
      return applyPropertyChange(ctx, event, objectType, objectId, occurredAt, type);
    case 'creation':
    case 'restore':
      return applyLifecycle(ctx, objectType, objectId, occurredAt, type, false);
    case 'deletion':
      return applyLifecycle(ctx, objectType, objectId, occurredAt, type, true);
    case 'privacyDeletion':
      return applyPrivacyDeletion(ctx, objectType, objectId, occurredAt, type);
    case 'merge':
      return applyMerge(ctx, event, objectType, objectId, type);
    case 'associationChange':
      return applyAssociation(ctx, event, type);
    default:
      return assertNever(kind, 'event kind');
  }
}

async function applyPropertyChange(
  ctx: ApplyContext,
  event: WebhookEvent,
  objectType: InboundObjectType,
  objectId: string,
  occurredAt: Date,
  type: string,
): Promise<EventOutcome> {
  const property = event.propertyName ?? '';
  if (isEcho(event, ctx.appId)) return 'echo';
  const { record } = await ensureCachedRecord(ctx.tx, objectType, objectId);
  if (record.deleted) return 'deleted_object';
  const fieldContext: FieldContext = {
    tx: ctx.tx,
    hooks: ctx.hooks,
    source: SOURCE,
    event: type,
    inboxId: ctx.inboxId,
    hubspotSource: [event.changeSource, event.sourceId].filter(Boolean).join(' ') || null,
    adoptWarpValuesWhenEmpty: false,
  };
  return applyField(fieldContext, objectType, record, property, rawValue(event.propertyValue), occurredAt);
}

async function applyLifecycle(
  ctx: ApplyContext,
  objectType: InboundObjectType,
  objectId: string,
  occurredAt: Date,
  type: string,
  deleted: boolean,
): Promise<EventOutcome> {
  if (!(await advanceFieldVersion(ctx.tx, objectType, objectId, LIFECYCLE, occurredAt))) return 'stale';
  const entity = CACHE_TABLES[objectType].entity;
  if (deleted) {
    const record = await lockCachedRecord(ctx.tx, objectType, objectId);
    if (!record || !(await setCachedDeleted(ctx.tx, objectType, record.id, true))) return 'no_change';
    await appendAudit(ctx.tx, { entityType: entity, entityId: objectId, source: SOURCE, event: type, inboxId: ctx.inboxId, changes: { deleted: { before: 'false', after: 'true' } } });
    return 'applied';
  }
  const { record, created } = await ensureCachedRecord(ctx.tx, objectType, objectId);
  const restored = await setCachedDeleted(ctx.tx, objectType, record.id, false);
  const changes: AuditChanges = {};
  if (created) changes['created'] = { before: null, after: 'true' };
  if (restored) changes['deleted'] = { before: 'true', after: 'false' };
  await appendAudit(ctx.tx, { entityType: entity, entityId: objectId, source: SOURCE, event: type, inboxId: ctx.inboxId, changes });
  // Property events follow creation only for subscribed properties, and restore sends none.
  await ctx.hooks.needsFetch(objectType, objectId);
  return created || restored ? 'applied' : 'no_change';
}

/**
 * A GDPR deletion in HubSpot: the record is deleted like any other, and the person's data is
 * erased (cache columns, stored event values), whatever the order of events: an erasure is never
 * stale, and repeating it changes nothing.
 */
async function applyPrivacyDeletion(ctx: ApplyContext, objectType: InboundObjectType, objectId: string, occurredAt: Date, type: string): Promise<EventOutcome> {
  const deleted = await applyLifecycle(ctx, objectType, objectId, occurredAt, type, true);
  if (objectType !== 'contact') return deleted;
  const erased = await erasePersonalColumns(ctx.tx, objectId);
  const blanked = await blankContactEventValues(ctx.tx, objectId);
  const changes: AuditChanges = Object.fromEntries(erased.map((column) => [column, { changed: true }]));
  await appendAudit(ctx.tx, { entityType: CACHE_TABLES.contact.entity, entityId: objectId, source: SOURCE, event: type, inboxId: ctx.inboxId, changes });
  return deleted === 'applied' || erased.length > 0 || blanked.events + blanked.bodies > 0 ? 'applied' : deleted;
}

/** HubSpot merged records (contacts may get a `newObjectId`); the survivor is fetched in full. */
async function applyMerge(ctx: ApplyContext, event: WebhookEvent, objectType: InboundObjectType, objectId: string, type: string): Promise<EventOutcome> {
  const survivorId = event.newObjectId ?? event.primaryObjectId ?? objectId;
  const candidates = [event.primaryObjectId ?? objectId, ...(event.mergedObjectIds ?? [])];
  await applyMergedRecords(ctx.tx, objectType, survivorId, candidates, { source: SOURCE, event: type, inboxId: ctx.inboxId });
  await ctx.hooks.needsFetch(objectType, survivorId);
  return 'applied';
}

/** Contact ↔ company and deal ↔ company links; other association types are recorded only. */
async function applyAssociation(ctx: ApplyContext, event: WebhookEvent, type: string): Promise<EventOutcome> {
  const side = associationSide(event);
  if (!side) return 'unsupported_association';
  // The link is one field of the contact/deal; ordering uses its own version.
  const occurredAt = new Date(event.occurredAt);
  if (!(await advanceFieldVersion(ctx.tx, side.objectType, side.id, `company:${side.companyId}`, occurredAt))) return 'stale';
  const { record } = await ensureCachedRecord(ctx.tx, side.objectType, side.id);
  const removed = event.associationRemoved === true;
  if (!removed) await ensureCachedRecord(ctx.tx, 'company', side.companyId);
  const change = await linkToCompany(ctx.tx, side.objectType, record.id, side.companyId, removed);
  if (!change) return 'no_change';
  await appendAudit(ctx.tx, {
    entityType: CACHE_TABLES[side.objectType].entity,
    entityId: side.id,
    source: SOURCE,
    event: type,
    inboxId: ctx.inboxId,
    changes: { customer_id: change },
  });
  return 'applied';
}

/** A webhook `propertyValue` (string, number, boolean or null) in HubSpot's string form. */
function rawValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
