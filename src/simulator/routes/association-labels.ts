/**
 * Association definitions (associations v4 schema API): labels between two object types (read,
 * create, update, delete) and association limits (`definitions/configurations`: per-record maximum
 * of records associated with one type, enforced by associations-store.ts). Served under the SDK's
 * `/crm/v4/associations`, the spec's `/crm/associations/v4` and the dated `/crm/associations/2026-03`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { objectScopes, requireScopes } from '../auth.js';
import type { AssociationDef } from '../association-defs.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import type { ObjectTypeInfo } from '../object-types.js';
import { defineAssociation, defsBetween, deleteAssociationType, limitKey } from '../associations-store.js';
import { parseBody } from '../body.js';
import { batchError, batchResponse, inputsOf, objectType, params, routeAll, type BatchError, type Handler } from './common.js';

const V4 = ['/crm/v4/associations', '/crm/associations/v4'] as const;
const DATED = ['/crm/associations/2026-03'] as const;
const ALL = [...V4, ...DATED] as const;
const CATEGORIES = ['HUBSPOT_DEFINED', 'INTEGRATOR_DEFINED', 'USER_DEFINED', 'WORK'] as const;

const createLabel = z.looseObject({ label: z.string().min(1), name: z.string().min(1), inverseLabel: z.string().optional() });
const updateLabel = z.looseObject({ associationTypeId: z.number().int(), label: z.string().min(1), inverseLabel: z.string().optional() });
const limitInput = z.looseObject({ category: z.enum(CATEGORIES), typeId: z.number().int(), maxToObjectIds: z.number().int().positive() });
const specInput = z.looseObject({ category: z.enum(CATEGORIES), typeId: z.number().int() });

const labelView = (d: AssociationDef) => ({ category: d.category, typeId: d.typeId, label: d.label });

function userDefined(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo, typeId: number): AssociationDef {
  const def = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((d) => d.typeId === typeId);
  if (!def) throw notFound(`No association type ${typeId} between ${from.name} and ${to.name}`);
  if (def.category !== 'USER_DEFINED' || def.isDefault) throw validation(`Association type ${typeId} is defined by HubSpot and cannot be changed`);
  return def;
}

export function registerAssociationLabelRoutes(app: FastifyInstance, ctx: SimContext): void {
  const pair = (p: Record<string, string>) => ({ from: objectType(ctx, p.fromObjectType), to: objectType(ctx, p.toObjectType) });

  routeAll(app, 'GET', ALL, '/:fromObjectType/:toObjectType/labels', (req) => {
    const { from, to } = pair(params(req));
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, false));
    return { results: defsBetween(ctx, from.objectTypeId, to.objectTypeId).map(labelView) };
  });

  routeAll(app, 'POST', ALL, '/:fromObjectType/:toObjectType/labels', (req) => {
    const { from, to } = pair(params(req));
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const b = parseBody(req, 'PublicAssociationDefinitionCreateRequest', createLabel);
    if (defsBetween(ctx, from.objectTypeId, to.objectTypeId).some((d) => d.category === 'USER_DEFINED' && d.v3Name === b.name)) {
      throw new HubSpotError(409, 'CONFLICT', `An association label named ${b.name} already exists between ${from.name} and ${to.name}`);
    }
    const def = defineAssociation(ctx, from.objectTypeId, to.objectTypeId, 'USER_DEFINED', b.label, b.inverseLabel ?? null, false, [b.name, b.inverseLabel ? `${b.name}_inverse` : b.name]);
    const out = [labelView(def)];
    if (def.inverseTypeId !== def.typeId) out.push({ category: def.category, typeId: def.inverseTypeId, label: b.inverseLabel ?? b.label });
    return { results: out };
  });

  routeAll(app, 'PUT', ALL, '/:fromObjectType/:toObjectType/labels', (req, reply) => {
    const { from, to } = pair(params(req));
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const b = parseBody(req, 'PublicAssociationDefinitionUpdateRequest', updateLabel);
    const def = userDefined(ctx, from, to, b.associationTypeId);
    def.label = b.label;
    const inverse = defsBetween(ctx, to.objectTypeId, from.objectTypeId).find((d) => d.typeId === def.inverseTypeId);
    if (inverse && b.inverseLabel !== undefined) inverse.label = b.inverseLabel;
    ctx.changed();
    return reply.code(204).send();
  });

  routeAll(app, 'DELETE', ALL, '/:fromObjectType/:toObjectType/labels/:associationTypeId', (req, reply) => {
    const { from, to } = pair(params(req));
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    deleteAssociationType(ctx, userDefined(ctx, from, to, Number(params(req).associationTypeId)));
    return reply.code(204).send();
  });

  const limitView = (d: AssociationDef) => {
    const max = ctx.state.associationLimits[limitKey(d.fromTypeId, d.toTypeId, d.typeId)];
    return { ...labelView(d), ...(max === undefined ? {} : { userEnforcedMaxToObjectIds: max }) };
  };

  routeAll(app, 'GET', ALL, '/definitions/configurations/all', () =>
    ({ results: ctx.state.associationDefs.filter((d) => ctx.state.associationLimits[limitKey(d.fromTypeId, d.toTypeId, d.typeId)] !== undefined).map(limitView) }));

  routeAll(app, 'GET', ALL, '/definitions/configurations/:fromObjectType/:toObjectType', (req) => {
    const { from, to } = pair(params(req));
    return { results: defsBetween(ctx, from.objectTypeId, to.objectTypeId).map(limitView) };
  });

  const setLimits = (model: string, okStatus: number): Handler => (req, reply) => {
    const startedAt = new Date().toISOString();
    const { from, to } = pair(params(req));
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const i of inputsOf(req, 100, model, limitInput)) {
      const def = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((d) => d.typeId === i.typeId && d.category === i.category);
      if (!def) {
        errors.push(batchError('VALIDATION_ERROR', `No ${i.category} association type ${i.typeId} between ${from.name} and ${to.name}`, { typeId: [String(i.typeId)] }));
        continue;
      }
      ctx.state.associationLimits[limitKey(def.fromTypeId, def.toTypeId, def.typeId)] = i.maxToObjectIds;
      results.push(okStatus === 201 ? limitView(def) : { category: def.category, typeId: def.typeId, userEnforcedMaxToObjectIds: i.maxToObjectIds });
    }
    ctx.changed();
    return batchResponse(reply, okStatus, results, errors, startedAt);
  };
  routeAll(app, 'POST', ALL, '/definitions/configurations/:fromObjectType/:toObjectType/batch/create', setLimits('PublicAssociationDefinitionConfigurationCreateRequest', 201));
  routeAll(app, 'POST', ALL, '/definitions/configurations/:fromObjectType/:toObjectType/batch/update', setLimits('PublicAssociationDefinitionConfigurationUpdateRequest', 200));

  // Purge answers 204 in v4 and 200 with a `BatchResponse` in the dated form (as batch archives).
  for (const [prefixes, dated] of [[V4, false], [DATED, true]] as const) {
    routeAll(app, 'POST', prefixes, '/definitions/configurations/:fromObjectType/:toObjectType/batch/purge', (req, reply) => {
      const startedAt = new Date().toISOString();
      const { from, to } = pair(params(req));
      requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
      for (const i of inputsOf(req, 100, 'PublicAssociationSpec', specInput)) delete ctx.state.associationLimits[limitKey(from.objectTypeId, to.objectTypeId, i.typeId)];
      ctx.changed();
      return dated ? batchResponse(reply, 200, [], [], startedAt) : reply.code(204).send();
    });
  }
}
