/**
 * Properties and property groups (docs/hubspot-facts.md "Properties"): create requires groupName, name, label,
 * type and fieldType with a valid type→fieldType pair; enumeration options; hasUniqueValue ≤ 10
 * per object; currency is `number` + display hints. Paths: /crm/v3/properties and 2026-03.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import type { ObjectTypeInfo } from '../object-types.js';
import { MAX_UNIQUE_PROPERTIES_PER_OBJECT, NON_CREATABLE_TYPES, VALID_FIELD_TYPES, propertyTypes, type PropertyDef, type PropertyGroup, type PropertyType } from '../property-defs.js';
import { z } from 'zod';
import { parseBody } from '../body.js';
import { batchError, batchResponse, text, inputsOf, isDated, objectType, params, routeAll, type BatchError } from './common.js';

export const PROPERTY_PREFIXES = ['/crm/v3/properties', '/crm/properties/2026-03'] as const;
/** `PropertyCreate`: name, label, type, fieldType and groupName are required (the type rules are checked by buildProperty). */
const propertyCreate = z.looseObject({ name: z.string(), label: z.string(), type: z.string(), fieldType: z.string(), groupName: z.string(), options: z.array(z.record(z.string(), z.unknown())).optional() });
/** The dated `OptionInput` requires `displayOrder` (v3 numbers options in order). */
const datedPropertyCreate = propertyCreate.extend({ options: z.array(z.looseObject({ label: z.string(), value: z.string(), hidden: z.boolean(), displayOrder: z.number().int() })).optional() });
const propertyName = z.looseObject({ name: z.string() });
const groupCreate = z.looseObject({ name: z.string(), label: z.string(), displayOrder: z.number().int().optional() });
const groupUpdate = z.looseObject({ label: z.string().optional(), displayOrder: z.number().int().optional() });
const propertyUpdate = z.looseObject({ type: z.string().optional(), fieldType: z.string().optional(), hasUniqueValue: z.boolean().optional(), options: z.array(z.record(z.string(), z.unknown())).optional() });
const NAME_RE = /^[a-z][a-z0-9_]*$/;

function scopes(type: ObjectTypeInfo, write: boolean): string[] {
  const rw = write ? 'write' : 'read';
  return type.custom ? [`crm.schemas.custom.${rw}`] : [`crm.schemas.${type.name}.${rw}`, `crm.objects.${type.name}.${rw}`];
}

/** Builds a full PropertyDef from a create body; throws 400 for invalid definitions. */
export function buildProperty(ctx: SimContext, type: ObjectTypeInfo, raw: Record<string, unknown>, defaultGroup?: string): PropertyDef {
  const name = text(raw.name);
  const label = text(raw.label) || name;
  const t = (raw.type ?? (defaultGroup ? 'string' : undefined)) as PropertyType | undefined;
  const fieldType = text(raw.fieldType) || (defaultGroup ? (t === 'enumeration' ? 'select' : t === 'number' ? 'number' : t === 'bool' ? 'booleancheckbox' : t === 'date' || t === 'datetime' ? 'date' : 'text') : '');
  const groupName = text(raw.groupName) || defaultGroup || '';
  const missing = [['name', name], ['label', label], ['type', t], ['fieldType', fieldType], ['groupName', groupName]].filter(([, v]) => !v).map(([k]) => k as string);
  if (missing.length > 0) throw validation(`Missing required fields: ${missing.join(', ')}`, missing.map((m) => ({ message: `${m} is required`, code: 'REQUIRED_FIELD', in: m })));
  if (!NAME_RE.test(name)) throw validation(`Property name "${name}" is invalid: use lowercase letters, numbers and underscores, starting with a letter`);
  if (!t || !propertyTypes.includes(t) || NON_CREATABLE_TYPES.includes(t)) throw validation(`"${String(t)}" is not a valid property type; expected one of bool, enumeration, date, datetime, string, number`);
  if (!VALID_FIELD_TYPES[t].includes(fieldType)) {
    throw validation(`fieldType "${fieldType}" is not valid for type "${t}"; valid field types: ${VALID_FIELD_TYPES[t].join(', ')}`);
  }
  if (ctx.state.properties[type.objectTypeId]?.[name] && !ctx.state.properties[type.objectTypeId]?.[name]?.archived) {
    throw new HubSpotError(409, 'CONFLICT', `A property named '${name}' already exists.`, { subCategory: 'PropertyValidationError.PROPERTY_EXISTS' });
  }
  if (!ctx.state.groups[type.objectTypeId]?.[groupName]) {
    if (defaultGroup) ensureGroup(ctx, type.objectTypeId, groupName, groupName);
    else throw validation(`Property group '${groupName}' does not exist`);
  }
  const rawOptions = Array.isArray(raw.options) ? (raw.options as Record<string, unknown>[]) : [];
  if (t === 'enumeration' && rawOptions.length === 0 && fieldType !== 'booleancheckbox' && !raw.externalOptions) {
    throw validation('Enumeration properties require at least one option');
  }
  const options = t === 'bool' && rawOptions.length === 0
    ? [{ label: 'Yes', value: 'true', displayOrder: 0, hidden: false }, { label: 'No', value: 'false', displayOrder: 1, hidden: false }]
    : rawOptions.map((o, i) => ({ label: String(o.label ?? o.value), value: String(o.value ?? o.label), description: o.description === undefined ? undefined : text(o.description), displayOrder: typeof o.displayOrder === 'number' ? o.displayOrder : i, hidden: o.hidden === true }));
  const hasUniqueValue = raw.hasUniqueValue === true;
  if (hasUniqueValue) {
    const count = Object.values(ctx.state.properties[type.objectTypeId] ?? {}).filter((p) => p.hasUniqueValue && !p.archived).length;
    if (count >= MAX_UNIQUE_PROPERTIES_PER_OBJECT) {
      throw validation(`You can have up to ${MAX_UNIQUE_PROPERTIES_PER_OBJECT} unique ID properties per object; ${type.name} already has ${count}.`);
    }
  }
  const now = new Date(ctx.clock.now()).toISOString();
  const def: PropertyDef = {
    name, label, type: t, fieldType, groupName, description: text(raw.description), options,
    displayOrder: typeof raw.displayOrder === 'number' ? raw.displayOrder : -1, calculated: fieldType === 'calculation_equation',
    externalOptions: raw.externalOptions === true, hasUniqueValue, hidden: raw.hidden === true, hubspotDefined: false,
    formField: raw.formField === true, archived: false, createdAt: now, updatedAt: now,
    modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
  };
  for (const k of ['showCurrencySymbol'] as const) if (typeof raw[k] === 'boolean') def[k] = raw[k];
  for (const k of ['numberDisplayHint', 'textDisplayHint', 'currencyPropertyName', 'referencedObjectType'] as const) if (typeof raw[k] === 'string') def[k] = raw[k];
  if (def.numberDisplayHint && t !== 'number') throw validation('numberDisplayHint is only valid for number properties');
  return def;
}

export function ensureGroup(ctx: SimContext, typeId: string, name: string, label: string): void {
  const groups = (ctx.state.groups[typeId] ??= {});
  groups[name] ??= { name, label, displayOrder: -1, archived: false };
}

function renderProperty(p: PropertyDef): PropertyDef {
  return p;
}

export function registerPropertyRoutes(app: FastifyInstance, ctx: SimContext): void {
  const props = (req: FastifyRequest): { type: ObjectTypeInfo; defs: Record<string, PropertyDef> } => {
    const type = objectType(ctx, params(req).objectType);
    return { type, defs: (ctx.state.properties[type.objectTypeId] ??= {}) };
  };

  routeAll(app, 'GET', PROPERTY_PREFIXES, '/:objectType', (req) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, false));
    const archived = (req.query as Record<string, string>).archived === 'true';
    return { results: Object.values(defs).filter((p) => p.archived === archived).map(renderProperty) };
  });

  routeAll(app, 'POST', PROPERTY_PREFIXES, '/:objectType', (req, reply) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, true));
    const def = buildProperty(ctx, type, parseBody(req, 'PropertyCreate', isDated(req) ? datedPropertyCreate : propertyCreate));
    defs[def.name] = def;
    ctx.changed();
    void reply.code(201);
    return renderProperty(def);
  });

  routeAll(app, 'POST', PROPERTY_PREFIXES, '/:objectType/batch/create', (req, reply) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, true));
    const inputs = inputsOf(req, 100, 'PropertyCreate', isDated(req) ? datedPropertyCreate : propertyCreate);
    const built = inputs.map((i) => buildProperty(ctx, type, i));
    for (const d of built) defs[d.name] = d;
    ctx.changed();
    return batchResponse(reply, 201, built.map(renderProperty), [], new Date().toISOString());
  });

  routeAll(app, 'POST', PROPERTY_PREFIXES, '/:objectType/batch/read', (req, reply) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, false));
    const inputs = inputsOf(req, 100, 'PropertyName', propertyName);
    const found = inputs.map((i) => defs[i.name]).filter((p): p is PropertyDef => p !== undefined && !p.archived);
    const missing = inputs.filter((i) => !defs[i.name]).map((i) => i.name);
    const errors: BatchError[] = missing.length ? [batchError('OBJECT_NOT_FOUND', 'Some properties were not found', { names: missing })] : [];
    return batchResponse(reply, 200, found.map(renderProperty), errors, new Date().toISOString());
  });

  routeAll(app, 'POST', PROPERTY_PREFIXES, '/:objectType/batch/archive', (req, reply) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, true));
    for (const i of inputsOf(req, 100, 'PropertyName', propertyName)) archiveProperty(ctx, defs, i.name);
    return reply.code(204).send();
  });

  routeAll(app, 'GET', PROPERTY_PREFIXES, '/:objectType/groups', (req) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, scopes(type, false));
    return { results: Object.values(ctx.state.groups[type.objectTypeId] ?? {}).filter((g) => !g.archived) };
  });

  routeAll(app, 'POST', PROPERTY_PREFIXES, '/:objectType/groups', (req, reply) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, scopes(type, true));
    const b = parseBody(req, 'PropertyGroupCreate', groupCreate);
    const groups = (ctx.state.groups[type.objectTypeId] ??= {});
    if (groups[b.name] && !groups[b.name]?.archived) throw new HubSpotError(409, 'CONFLICT', `A group named '${b.name}' already exists.`);
    const g: PropertyGroup = { name: b.name, label: b.label, displayOrder: b.displayOrder ?? -1, archived: false };
    groups[b.name] = g;
    ctx.changed();
    void reply.code(201);
    return g;
  });

  routeAll(app, 'GET', PROPERTY_PREFIXES, '/:objectType/groups/:groupName', (req) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, scopes(type, false));
    const g = ctx.state.groups[type.objectTypeId]?.[params(req).groupName ?? ''];
    if (!g || g.archived) throw notFound(`Unable to find property group ${params(req).groupName}`);
    return g;
  });

  routeAll(app, 'PATCH', PROPERTY_PREFIXES, '/:objectType/groups/:groupName', (req) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, scopes(type, true));
    const g = ctx.state.groups[type.objectTypeId]?.[params(req).groupName ?? ''];
    if (!g || g.archived) throw notFound(`Unable to find property group ${params(req).groupName}`);
    const b = parseBody(req, 'PropertyGroupUpdate', groupUpdate);
    if (b.label !== undefined) g.label = b.label;
    if (b.displayOrder !== undefined) g.displayOrder = b.displayOrder;
    ctx.changed();
    return g;
  });

  routeAll(app, 'DELETE', PROPERTY_PREFIXES, '/:objectType/groups/:groupName', (req, reply) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, scopes(type, true));
    const g = ctx.state.groups[type.objectTypeId]?.[params(req).groupName ?? ''];
    if (g) g.archived = true;
    ctx.changed();
    return reply.code(204).send();
  });

  routeAll(app, 'GET', PROPERTY_PREFIXES, '/:objectType/:propertyName', (req) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, false));
    const p = defs[params(req).propertyName ?? ''];
    const archived = (req.query as Record<string, string>).archived === 'true';
    if (!p || p.archived !== archived) throw notFound(`Unable to find property ${params(req).propertyName}`);
    return renderProperty(p);
  });

  routeAll(app, 'PATCH', PROPERTY_PREFIXES, '/:objectType/:propertyName', (req) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, true));
    const p = defs[params(req).propertyName ?? ''];
    if (!p || p.archived) throw notFound(`Unable to find property ${params(req).propertyName}`);
    const b = parseBody(req, 'PropertyUpdate', propertyUpdate) as z.output<typeof propertyUpdate> & Record<string, unknown>;
    if (p.modificationMetadata.readOnlyDefinition && (b.type !== undefined || b.fieldType !== undefined)) {
      throw validation(`Property ${p.name} is HubSpot-defined; its definition is read-only`);
    }
    if (b.hasUniqueValue !== undefined && b.hasUniqueValue !== p.hasUniqueValue) {
      throw validation('hasUniqueValue can only be set when a property is created ("Only net new properties can be set to contain a unique value")');
    }
    const type2 = (b.type ?? p.type) as PropertyType;
    const field2 = text(b.fieldType) || p.fieldType;
    if (!VALID_FIELD_TYPES[type2]?.includes(field2)) throw validation(`fieldType "${field2}" is not valid for type "${type2}"`);
    Object.assign(p, pick(b, ['label', 'description', 'groupName', 'displayOrder', 'hidden', 'formField', 'showCurrencySymbol', 'numberDisplayHint', 'textDisplayHint', 'currencyPropertyName']), { type: type2, fieldType: field2 });
    if (b.options) {
      p.options = b.options.map((o, i) => ({ label: String(o.label ?? o.value), value: String(o.value ?? o.label), displayOrder: typeof o.displayOrder === 'number' ? o.displayOrder : i, hidden: o.hidden === true }));
    }
    p.updatedAt = new Date(ctx.clock.now()).toISOString();
    ctx.changed();
    return renderProperty(p);
  });

  routeAll(app, 'DELETE', PROPERTY_PREFIXES, '/:objectType/:propertyName', (req, reply) => {
    const { type, defs } = props(req);
    requireScopes(req, scopes(type, true));
    archiveProperty(ctx, defs, params(req).propertyName ?? '');
    return reply.code(204).send();
  });
}

function archiveProperty(ctx: SimContext, defs: Record<string, PropertyDef>, name: string): void {
  const p = defs[name];
  if (!p) throw notFound(`Unable to find property ${name}`);
  if (!p.modificationMetadata.archivable) throw validation(`Property ${name} is HubSpot-defined and cannot be archived`);
  p.archived = true;
  p.updatedAt = new Date(ctx.clock.now()).toISOString();
  ctx.changed();
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
