/**
 * Custom object schemas (docs/hubspot-facts.md "Objects and associations") on `/crm-object-schemas/v3/schemas` (current), the older
 * `/crm/v3/schemas` (SDK before 2024-09) and `/crm-object-schemas/2026-03/schemas`.
 * objectTypeId `2-NNNN`, fullyQualifiedName `p{portalId}_{name}`, requiredProperties enforced on
 * record create, associatedObjects define association types.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import { customObjectBaseProperties } from '../property-defs.js';
import type { CustomSchema } from '../state.js';
import { resolveObjectType, schemaTypeInfo } from '../state.js';
import { defineAssociation, deleteAssociationType } from '../associations-store.js';
import { parseBody } from '../body.js';
import { z } from 'zod';
import { buildProperty, ensureGroup } from './properties.js';
import { isDated, params, query, routeAll, str } from './common.js';

export const SCHEMA_PREFIXES = ['/crm-object-schemas/v3/schemas', '/crm/v3/schemas', '/crm-object-schemas/2026-03/schemas'] as const;
const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;

export function findSchema(ctx: SimContext, raw: string, includeArchived = false): CustomSchema | undefined {
  const key = raw.toLowerCase();
  return Object.values(ctx.state.schemas).find((s) => (includeArchived || !s.archived)
    && [s.objectTypeId, s.fullyQualifiedName.toLowerCase(), s.name.toLowerCase(), s.id].includes(key));
}

function render(ctx: SimContext, s: CustomSchema): Record<string, unknown> {
  const props = Object.values(ctx.state.properties[s.objectTypeId] ?? {}).filter((p) => !p.archived);
  const associations = ctx.state.associationDefs
    .filter((d) => d.fromTypeId === s.objectTypeId && d.isDefault)
    .map((d) => ({ id: String(d.typeId), fromObjectTypeId: d.fromTypeId, toObjectTypeId: d.toTypeId, name: d.v3Name.toUpperCase(), createdAt: s.createdAt, updatedAt: s.updatedAt }));
  // `allowsSensitiveProperties` is required by the dated schema (and optional in v3).
  return { allowsSensitiveProperties: false, ...s, properties: props, associations, createdByUserId: 0, updatedByUserId: 0 };
}

function associate(ctx: SimContext, s: CustomSchema, toTypeId: string): void {
  const to = resolveObjectType(ctx.state, toTypeId, ctx.opts.portalId);
  if (!to) throw validation(`Unknown object type in associatedObjects: ${toTypeId}`);
  if (ctx.state.associationDefs.some((d) => d.fromTypeId === s.objectTypeId && d.toTypeId === to.objectTypeId && d.isDefault)) return;
  defineAssociation(ctx, s.objectTypeId, to.objectTypeId, 'USER_DEFINED', null, null, true,
    [`${s.name.toLowerCase()}_to_${to.singular}`, `${to.singular}_to_${s.name.toLowerCase()}`]);
  if (!s.associatedObjects.includes(to.objectTypeId)) s.associatedObjects.push(to.objectTypeId);
}

const labels = z.looseObject({ singular: z.string().min(1), plural: z.string().min(1) });
/** `ObjectSchemaEgg`: the spec requires `associatedObjects` too; HubSpot's own examples omit it, so it defaults to none. */
export const schemaEgg = z.looseObject({
  name: z.string(), labels, properties: z.array(z.record(z.string(), z.unknown())), requiredProperties: z.array(z.string()),
  associatedObjects: z.array(z.string()).default([]), searchableProperties: z.array(z.string()).default([]),
  secondaryDisplayProperties: z.array(z.string()).default([]), primaryDisplayProperty: z.string().optional(),
  description: z.string().optional(), allowsSensitiveProperties: z.boolean().optional(),
});
/** The dated `ObjectSchemaEgg` also requires these (v3 defaults them). */
const datedSchemaEgg = schemaEgg.extend({
  allowsSensitiveProperties: z.boolean(), searchableProperties: z.array(z.string()), secondaryDisplayProperties: z.array(z.string()), shouldCreateSameObjectAssociation: z.boolean(),
});
const schemaPatch = z.looseObject({
  name: z.string().optional(), labels: labels.partial().optional(), description: z.string().optional(), primaryDisplayProperty: z.string().optional(),
  requiredProperties: z.array(z.string()).optional(), searchableProperties: z.array(z.string()).optional(),
  secondaryDisplayProperties: z.array(z.string()).optional(), allowsSensitiveProperties: z.boolean().optional(),
});
const datedSchemaPatch = schemaPatch.extend({ clearDescription: z.boolean() });
const associationEgg = z.looseObject({ fromObjectTypeId: z.string(), toObjectTypeId: z.string(), name: z.string().optional() });
const batchReadBody = z.looseObject({ inputs: z.array(z.string()) });

/** Creates a custom object schema (the API's POST and the seeder); throws HubSpot's 400/409. */
export function createSchema(ctx: SimContext, b: z.output<typeof schemaEgg>): CustomSchema {
  const name = b.name;
  if (!NAME_RE.test(name)) throw validation('name must contain only letters, numbers, and underscores, and the first character must be a letter');
  if (resolveObjectType(ctx.state, name, ctx.opts.portalId) || findSchema(ctx, name, true)) {
    throw new HubSpotError(409, 'CONFLICT', `Object type with name ${name} already exists`);
  }
  const numeric = String(ctx.state.nextSchemaId++);
  const now = new Date(ctx.clock.now()).toISOString();
  const s: CustomSchema = {
    id: numeric, objectTypeId: `2-${numeric}`, name, fullyQualifiedName: `p${ctx.opts.portalId}_${name}`, labels: b.labels,
    description: b.description, requiredProperties: b.requiredProperties, searchableProperties: b.searchableProperties,
    primaryDisplayProperty: b.primaryDisplayProperty, secondaryDisplayProperties: b.secondaryDisplayProperties,
    allowsSensitiveProperties: b.allowsSensitiveProperties ?? false, associatedObjects: [], archived: false, createdAt: now, updatedAt: now,
  };
  const type = schemaTypeInfo(s, ctx.opts.portalId);
  const group = `${name.toLowerCase()}_information`;
  ctx.state.schemas[s.objectTypeId] = s;
  ctx.state.objects[s.objectTypeId] = {};
  ctx.state.groups[s.objectTypeId] = {};
  ctx.state.properties[s.objectTypeId] = {};
  // Validate everything before the schema stays registered.
  try {
    ensureGroup(ctx, s.objectTypeId, group, `${b.labels.singular} information`);
    for (const base of customObjectBaseProperties(group)) ctx.state.properties[s.objectTypeId]![base.name] = base;
    for (const raw of b.properties) {
      const def = buildProperty(ctx, type, raw, group);
      ctx.state.properties[s.objectTypeId]![def.name] = def;
    }
    const names = new Set(Object.keys(ctx.state.properties[s.objectTypeId] ?? {}));
    // "A new property must exist before it is used as required, searchable or display."
    for (const p of [...s.requiredProperties, ...s.searchableProperties, ...s.secondaryDisplayProperties, ...(s.primaryDisplayProperty ? [s.primaryDisplayProperty] : [])]) {
      if (!names.has(p)) throw validation(`Property ${p} is referenced but not defined in properties`);
    }
    for (const t of b.associatedObjects) associate(ctx, s, t);
  } catch (err) {
    delete ctx.state.schemas[s.objectTypeId];
    delete ctx.state.objects[s.objectTypeId];
    delete ctx.state.groups[s.objectTypeId];
    delete ctx.state.properties[s.objectTypeId];
    ctx.state.associationDefs = ctx.state.associationDefs.filter((d) => d.fromTypeId !== s.objectTypeId && d.toTypeId !== s.objectTypeId);
    throw err;
  }
  ctx.changed();
  return s;
}

export function registerSchemaRoutes(app: FastifyInstance, ctx: SimContext): void {
  const one = (req: FastifyRequest): CustomSchema => {
    const s = findSchema(ctx, params(req).objectType ?? '');
    if (!s) throw notFound(`Unable to find object type ${params(req).objectType}`);
    return s;
  };

  routeAll(app, 'GET', SCHEMA_PREFIXES, '', (req) => {
    requireScopes(req, ['crm.schemas.custom.read']);
    const archived = str(query(req).archived) === 'true';
    return { results: Object.values(ctx.state.schemas).filter((s) => s.archived === archived).map((s) => render(ctx, s)) };
  });

  routeAll(app, 'POST', SCHEMA_PREFIXES, '', (req, reply) => {
    requireScopes(req, ['crm.schemas.custom.write']);
    const s = createSchema(ctx, parseBody(req, 'ObjectSchemaEgg', isDated(req) ? datedSchemaEgg : schemaEgg));
    void reply.code(201);
    return render(ctx, s);
  });

  // Batch read answers the schemas it finds (a collection, no per-input errors in the spec).
  routeAll(app, 'POST', SCHEMA_PREFIXES, '/batch/read', (req) => {
    requireScopes(req, ['crm.schemas.custom.read']);
    const b = parseBody(req, 'ObjectSchemaBatchReadRequest', batchReadBody);
    const found = new Map<string, CustomSchema>();
    for (const raw of b.inputs) {
      const s = findSchema(ctx, raw);
      if (s) found.set(s.objectTypeId, s);
    }
    return { results: [...found.values()].map((s) => render(ctx, s)) };
  });

  routeAll(app, 'GET', SCHEMA_PREFIXES, '/:objectType', (req) => {
    requireScopes(req, ['crm.schemas.custom.read']);
    return render(ctx, one(req));
  });

  routeAll(app, 'PATCH', SCHEMA_PREFIXES, '/:objectType', (req) => {
    requireScopes(req, ['crm.schemas.custom.write']);
    const s = one(req);
    const b = parseBody(req, 'ObjectTypeDefinitionPatch', isDated(req) ? datedSchemaPatch : schemaPatch);
    if (b.name !== undefined && b.name !== s.name) throw validation('name cannot be changed once set');
    const names = new Set(Object.keys(ctx.state.properties[s.objectTypeId] ?? {}));
    for (const k of ['requiredProperties', 'searchableProperties', 'secondaryDisplayProperties'] as const) {
      const v = b[k];
      if (v) {
        const bad = v.find((p) => !names.has(p));
        if (bad) throw validation(`Property ${bad} does not exist on ${s.name}`);
        s[k] = v;
      }
    }
    if (b.primaryDisplayProperty !== undefined) s.primaryDisplayProperty = b.primaryDisplayProperty;
    if (b.labels) s.labels = { ...s.labels, ...b.labels };
    if (b.description !== undefined) s.description = b.description;
    if (b.allowsSensitiveProperties !== undefined) s.allowsSensitiveProperties = b.allowsSensitiveProperties;
    s.updatedAt = new Date(ctx.clock.now()).toISOString();
    ctx.changed();
    return render(ctx, s);
  });
  routeAll(app, 'DELETE', SCHEMA_PREFIXES, '/:objectType', (req, reply) => {
    requireScopes(req, ['crm.schemas.custom.write']);
    const hard = str(query(req).archived) === 'true';
    const s = findSchema(ctx, params(req).objectType ?? '', hard);
    if (!s) throw notFound(`Unable to find object type ${params(req).objectType}`);
    if (!hard && Object.values(ctx.state.objects[s.objectTypeId] ?? {}).some((r) => !r.archived)) {
      throw validation(`Object type ${s.name} still has records; delete all records, associations and properties first`);
    }
    if (hard) {
      if (!s.archived) throw validation('Only an archived schema can be hard-deleted');
      delete ctx.state.schemas[s.objectTypeId];
    } else s.archived = true;
    ctx.changed();
    return reply.code(204).send();
  });

  routeAll(app, 'POST', SCHEMA_PREFIXES, '/:objectType/associations', (req, reply) => {
    requireScopes(req, ['crm.schemas.custom.write']);
    const s = one(req);
    const b = parseBody(req, 'AssociationDefinitionEgg', associationEgg);
    associate(ctx, s, b.toObjectTypeId);
    const def = ctx.state.associationDefs.find((d) => d.fromTypeId === s.objectTypeId && d.toTypeId === resolveObjectType(ctx.state, b.toObjectTypeId, ctx.opts.portalId)?.objectTypeId && d.isDefault);
    void reply.code(201);
    return { id: String(def?.typeId), fromObjectTypeId: s.objectTypeId, toObjectTypeId: def?.toTypeId, name: b.name ?? def?.v3Name.toUpperCase(), createdAt: s.createdAt, updatedAt: s.updatedAt };
  });

  // Deletes an association definition of the schema (both directions) and the associations using it.
  routeAll(app, 'DELETE', SCHEMA_PREFIXES, '/:objectType/associations/:associationIdentifier', (req, reply) => {
    requireScopes(req, ['crm.schemas.custom.write']);
    const s = one(req);
    const typeId = Number(params(req).associationIdentifier);
    const def = ctx.state.associationDefs.find((d) => d.typeId === typeId && (d.fromTypeId === s.objectTypeId || d.toTypeId === s.objectTypeId));
    if (!def) throw notFound(`Unable to find association ${params(req).associationIdentifier} of ${s.name}`);
    deleteAssociationType(ctx, def);
    const other = def.fromTypeId === s.objectTypeId ? def.toTypeId : def.fromTypeId;
    if (!ctx.state.associationDefs.some((d) => d.fromTypeId === s.objectTypeId && d.toTypeId === other)) s.associatedObjects = s.associatedObjects.filter((t) => t !== other);
    ctx.changed();
    return reply.code(204).send();
  });
}
