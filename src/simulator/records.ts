/**
 * Record operations shared by the single, batch, control (UI edit) and timeline code paths:
 * validation against property definitions, unique values, system properties, pipelines, the
 * search index and webhook events. Every mutation goes through here so every change emits events.
 */
import { HubSpotError, notFound, propertyValuesInvalid, validation, type PropertyValueError } from './errors.js';
import type { ChangeSource, SimContext } from './context.js';
import type { ObjectTypeInfo } from './object-types.js';
import { PIPELINE_PROPS, STANDARD_REQUIRED } from './object-types.js';
import { deriveCommerce } from './commerce.js';
import { SYSTEM_PROPERTIES, normaliseValue } from './property-defs.js';
import type { StoredRecord } from './state.js';
import { removeAllAssociationsOf } from './associations-store.js';

export function recordsOf(ctx: SimContext, type: ObjectTypeInfo): Record<string, StoredRecord> {
  let bucket = ctx.state.objects[type.objectTypeId];
  if (!bucket) ctx.state.objects[type.objectTypeId] = bucket = {};
  return bucket;
}

/** Finds a record by id or by a unique `idProperty` (contacts also accept `email`). */
export function findRecord(ctx: SimContext, type: ObjectTypeInfo, id: string, idProperty?: string, includeArchived = false): StoredRecord | undefined {
  const bucket = recordsOf(ctx, type);
  if (!idProperty || idProperty === 'hs_object_id') {
    const r = bucket[id];
    return r && (includeArchived || !r.archived) ? r : undefined;
  }
  assertIdProperty(ctx, type, idProperty);
  const found = ctx.index.findUnique(type.objectTypeId, idProperty, id);
  const r = found === undefined ? undefined : bucket[found];
  return r && !r.archived ? r : undefined;
}

export function assertIdProperty(ctx: SimContext, type: ObjectTypeInfo, idProperty: string): void {
  if (idProperty === 'hs_object_id' || (idProperty === 'email' && type.objectTypeId === '0-1')) return;
  const def = ctx.state.properties[type.objectTypeId]?.[idProperty];
  if (!def) throw validation(`Property "${idProperty}" does not exist`, [{ message: `Property "${idProperty}" does not exist`, code: 'PROPERTY_DOESNT_EXIST' }]);
  if (!def.hasUniqueValue) throw validation(`${idProperty} is not a unique property and cannot be used as idProperty`);
}

export function requireRecord(ctx: SimContext, type: ObjectTypeInfo, id: string, idProperty?: string): StoredRecord {
  const r = findRecord(ctx, type, id, idProperty);
  if (!r) throw notFound(`Object not found.  objectId are usually numeric.`);
  return r;
}

/** Validates written properties; returns the normalised values or throws the HubSpot 400. */
function validateProperties(ctx: SimContext, type: ObjectTypeInfo, input: unknown): Record<string, string> {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw validation('Invalid input JSON: properties must be an object');
  }
  const defs = ctx.state.properties[type.objectTypeId] ?? {};
  const problems: PropertyValueError[] = [];
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries((input ?? {}) as Record<string, unknown>)) {
    const def = defs[name];
    if (!def || def.archived) {
      problems.push({ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` });
      continue;
    }
    if (SYSTEM_PROPERTIES.has(name) || def.modificationMetadata.readOnlyValue) continue; // read-only: ignored
    const r = normaliseValue(def, raw);
    if (r.ok) out[name] = r.value;
    else problems.push(r.error);
  }
  if (problems.length > 0) throw propertyValuesInvalid(ctx.opts.portalId, problems);
  return out;
}

function checkUnique(ctx: SimContext, type: ObjectTypeInfo, values: Record<string, string>, selfId?: string): void {
  for (const name of ctx.index.uniqueProps(type.objectTypeId)) {
    const value = values[name];
    if (value === undefined || value === '') continue;
    const isContactEmail = type.objectTypeId === '0-1' && name === 'email';
    const clashId = ctx.index.findUnique(type.objectTypeId, name, value);
    const clash = clashId === undefined || clashId === selfId ? undefined : recordsOf(ctx, type)[clashId];
    if (clash && !clash.archived) {
      throw new HubSpotError(409, 'CONFLICT', isContactEmail
        ? `Contact already exists. Existing ID: ${clash.id}`
        : `A ${type.singular} with the unique value "${value}" for property "${name}" already exists. Existing ID: ${clash.id}`);
    }
  }
}

function checkPipeline(ctx: SimContext, type: ObjectTypeInfo, merged: Record<string, string>, written: Record<string, string>): void {
  const spec = PIPELINE_PROPS[type.objectTypeId];
  if (!spec) return;
  const pipelines = ctx.state.pipelines[spec.objectType] ?? [];
  if (merged[spec.pipeline] === undefined || merged[spec.pipeline] === '') {
    const first = pipelines[0];
    if (first) {
      merged[spec.pipeline] = first.id;
      written[spec.pipeline] = first.id;
    }
  }
  const p = pipelines.find((x) => x.id === merged[spec.pipeline] && !x.archived);
  const problems: PropertyValueError[] = [];
  if (!p) problems.push({ name: spec.pipeline, error: 'INVALID_OPTION', message: `${merged[spec.pipeline]} was not one of the allowed options` });
  else if (merged[spec.stage] !== undefined && merged[spec.stage] !== '' && !p.stages.some((s) => s.id === merged[spec.stage] && !s.archived)) {
    problems.push({ name: spec.stage, error: 'INVALID_OPTION', message: `${merged[spec.stage]} was not one of the allowed options: ${p.stages.filter((s) => !s.archived).map((s) => s.id).join(', ')}` });
  }
  if (problems.length > 0) throw propertyValuesInvalid(ctx.opts.portalId, problems);
  if (type.objectTypeId === '0-3' && merged.dealstage !== undefined) {
    const won = p?.stages.find((s) => s.id === merged.dealstage)?.metadata.probability === '1.0';
    merged.hs_is_closed_won = String(won);
  }
}

function requiredProps(ctx: SimContext, type: ObjectTypeInfo): readonly string[] {
  if (type.custom) return Object.values(ctx.state.schemas).find((s) => s.objectTypeId === type.objectTypeId)?.requiredProperties ?? [];
  return STANDARD_REQUIRED[type.objectTypeId] ?? [];
}

/** History entries are capped per property so long-running demos do not grow without bound. */
const MAX_HISTORY_PER_PROPERTY = 50;

function recordHistory(record: StoredRecord, values: [string, string][], source: ChangeSource, at: string): void {
  const history = (record.history ??= {});
  const user = /^userId:(\d+)$/.exec(source.sourceId)?.[1];
  for (const [name, value] of values) {
    const list = (history[name] ??= []);
    list.unshift({ value, timestamp: at, sourceType: source.changeSource, sourceId: source.sourceId, ...(user ? { updatedByUserId: Number(user) } : {}) });
    if (list.length > MAX_HISTORY_PER_PROPERTY) list.length = MAX_HISTORY_PER_PROPERTY;
  }
}

export interface PreparedWrite { written: Record<string, string>; merged: Record<string, string> }

/** Validates a create without mutating anything (batch create is all-or-nothing). */
export function prepareCreate(ctx: SimContext, type: ObjectTypeInfo, input: unknown): PreparedWrite {
  const written = validateProperties(ctx, type, input);
  const missing = requiredProps(ctx, type).filter((p) => written[p] === undefined || written[p] === '');
  if (missing.length > 0) {
    // HubSpot's two observed wordings: engagements ("Error creating TASK. Some required properties
    // were not set." with context.properties) and other objects ("Cannot create object with type: TICKET.
    // The following required properties were missing: [...]").
    const upper = type.singular.toUpperCase();
    const message = type.objectTypeId === '0-46' ? `Error creating ${upper}. Some required properties were not set.`
      : `Cannot create object with type: ${upper}. The following required properties were missing: [${missing.join(', ')}]`;
    throw new HubSpotError(400, 'VALIDATION_ERROR', message, {
      context: { properties: missing },
      errors: missing.map((p) => ({ message: `Property "${p}" is required`, code: 'REQUIRED_PROPERTY', context: { propertyName: [p] } })),
    });
  }
  const merged = { ...written };
  checkPipeline(ctx, type, merged, written);
  deriveCommerce(ctx, type, undefined, merged, written);
  checkUnique(ctx, type, merged);
  return { written, merged };
}

export function commitCreate(ctx: SimContext, type: ObjectTypeInfo, prepared: PreparedWrite, source: ChangeSource): StoredRecord {
  const { written, merged } = prepared;
  const now = new Date(ctx.clock.now()).toISOString();
  const id = String(ctx.state.nextId++);
  const props: Record<string, string> = { ...merged, hs_object_id: id, [type.lastModifiedProperty]: now };
  props.createdate ??= now;
  if (type.custom) props.hs_createdate = now;
  const record: StoredRecord = { id, properties: props, createdAt: now, updatedAt: now, archived: false };
  recordHistory(record, Object.entries(merged).filter(([, v]) => v !== ''), source, now);
  recordsOf(ctx, type)[id] = record;
  ctx.index.put(type.objectTypeId, record);
  ctx.search.put(type.objectTypeId, id, record);
  const at = ctx.clock.now();
  ctx.webhooks.emit({ kind: 'creation', type, objectId: id, source, occurredAt: at });
  for (const [name, value] of Object.entries(written)) {
    if (value !== '') ctx.webhooks.emit({ kind: 'propertyChange', type, objectId: id, propertyName: name, propertyValue: value, source, occurredAt: at });
  }
  ctx.changed();
  return record;
}

export function createRecord(ctx: SimContext, type: ObjectTypeInfo, input: unknown, source: ChangeSource): StoredRecord {
  return commitCreate(ctx, type, prepareCreate(ctx, type, input), source);
}

export function prepareUpdate(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord, input: unknown): PreparedWrite {
  const written = validateProperties(ctx, type, input);
  const merged = { ...record.properties, ...written };
  checkPipeline(ctx, type, merged, written);
  deriveCommerce(ctx, type, record, merged, written);
  checkUnique(ctx, type, written, record.id);
  return { written, merged };
}

export function commitUpdate(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord, prepared: PreparedWrite, source: ChangeSource): StoredRecord {
  const { written, merged } = prepared;
  const changed = Object.entries(written).filter(([k, v]) => (record.properties[k] ?? '') !== v);
  const now = new Date(ctx.clock.now()).toISOString();
  const previous = record.properties;
  record.properties = { ...merged, [type.lastModifiedProperty]: now };
  record.updatedAt = now;
  recordHistory(record, changed, source, now);
  ctx.index.put(type.objectTypeId, record, previous);
  ctx.search.put(type.objectTypeId, record.id, record);
  const at = ctx.clock.now();
  for (const [name, value] of changed) {
    ctx.webhooks.emit({ kind: 'propertyChange', type, objectId: record.id, propertyName: name, propertyValue: value, source, occurredAt: at });
  }
  ctx.changed();
  return record;
}

export function updateRecord(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord, input: unknown, source: ChangeSource): StoredRecord {
  return commitUpdate(ctx, type, record, prepareUpdate(ctx, type, record, input), source);
}

/** Archive = move to the recycle bin (restorable); associations are removed. */
export function archiveRecord(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord, source: ChangeSource): void {
  if (record.archived) return;
  const now = new Date(ctx.clock.now()).toISOString();
  record.archived = true;
  record.archivedAt = now;
  record.updatedAt = now;
  removeAllAssociationsOf(ctx, type.objectTypeId, record.id, source);
  ctx.index.put(type.objectTypeId, record);
  ctx.search.put(type.objectTypeId, record.id, null);
  ctx.webhooks.emit({ kind: 'deletion', type, objectId: record.id, source, occurredAt: ctx.clock.now() });
  ctx.changed();
}

/**
 * GDPR delete: the record is removed for good (not restorable, not readable with `archived=true`),
 * with its associations. Sends the normal deletion event and `privacyDeletion` (contacts).
 */
export function purgeRecord(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord, source: ChangeSource): void {
  const at = ctx.clock.now();
  removeAllAssociationsOf(ctx, type.objectTypeId, record.id, source);
  ctx.index.remove(type.objectTypeId, record);
  ctx.search.put(type.objectTypeId, record.id, null);
  delete recordsOf(ctx, type)[record.id];
  if (!record.archived) ctx.webhooks.emit({ kind: 'deletion', type, objectId: record.id, source, occurredAt: at });
  ctx.webhooks.emit({ kind: 'privacyDeletion', type, objectId: record.id, source, occurredAt: at });
  ctx.changed();
}

export function restoreRecord(ctx: SimContext, type: ObjectTypeInfo, record: StoredRecord, source: ChangeSource): void {
  if (!record.archived) return;
  record.archived = false;
  delete record.archivedAt;
  record.updatedAt = new Date(ctx.clock.now()).toISOString();
  ctx.index.put(type.objectTypeId, record);
  ctx.search.put(type.objectTypeId, record.id, record);
  ctx.webhooks.emit({ kind: 'restore', type, objectId: record.id, source, occurredAt: ctx.clock.now() });
  ctx.changed();
}

/**
 * Merge `mergedId` into `primary`: empty primary values are filled from the merged record, the
 * merged record is archived, and its id is kept in `hs_merged_object_ids`.
 */
export function mergeRecords(ctx: SimContext, type: ObjectTypeInfo, primary: StoredRecord, merged: StoredRecord, source: ChangeSource): StoredRecord {
  let moved = 0;
  const movedValues: [string, string][] = [];
  for (const [k, v] of Object.entries(merged.properties)) {
    if (SYSTEM_PROPERTIES.has(k) || k === 'createdate' || v === '') continue;
    if ((primary.properties[k] ?? '') === '' && !(ctx.state.properties[type.objectTypeId]?.[k]?.hasUniqueValue ?? false)) {
      primary.properties[k] = v;
      movedValues.push([k, v]);
      moved++;
    }
  }
  const ids = new Set((primary.properties.hs_merged_object_ids ?? '').split(';').filter(Boolean));
  ids.add(merged.id);
  primary.properties.hs_merged_object_ids = [...ids].join(';');
  merged.archived = true;
  merged.archivedAt = new Date(ctx.clock.now()).toISOString();
  removeAllAssociationsOf(ctx, type.objectTypeId, merged.id, source);
  ctx.index.put(type.objectTypeId, merged);
  ctx.search.put(type.objectTypeId, merged.id, null);
  primary.updatedAt = new Date(ctx.clock.now()).toISOString();
  recordHistory(primary, movedValues, source, primary.updatedAt);
  primary.properties[type.lastModifiedProperty] = primary.updatedAt;
  ctx.index.put(type.objectTypeId, primary);
  ctx.search.put(type.objectTypeId, primary.id, primary);
  ctx.webhooks.emit({
    kind: 'merge', type, objectId: primary.id, source, occurredAt: ctx.clock.now(),
    merge: { primaryObjectId: Number(primary.id), mergedObjectIds: [Number(merged.id)], newObjectId: Number(primary.id), numberOfPropertiesMoved: moved },
  });
  ctx.changed();
  return primary;
}
