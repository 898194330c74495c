/**
 * Associations v4 (docs/hubspot-facts.md "Objects and associations"): default and labeled, single and batch (batch read ≤ 1,000
 * inputs, batch create ≤ 2,000), read, archive, label definitions. Object types by name or id.
 */
import type { FastifyInstance } from 'fastify';
import { objectScopes, requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import type { ObjectTypeInfo } from '../object-types.js';
import { findRecord } from '../records.js';
import { addAssociation, defaultDef, defineAssociation, defsBetween, listAssociated, removeAssociation } from '../associations-store.js';
import { apiSource, batchResponse, body, inputsOf, limitParam, objectType, params, query, routeAll, str, type BatchError } from './common.js';

export const ASSOC_BATCH_READ_MAX = 1_000;
export const ASSOC_BATCH_CREATE_MAX = 2_000;
export const ASSOC_BATCH_ARCHIVE_MAX = 2_000;
const OBJ = ['/crm/v4/objects'] as const;
const ASSOC = ['/crm/v4/associations', '/crm/associations/2026-03'] as const;

interface TypeSpec { associationCategory?: string; associationTypeId?: unknown }

function labelOf(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo, typeId: number): { category: string; typeId: number; label: string | null } {
  const d = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((x) => x.typeId === typeId);
  return { category: d?.category ?? 'HUBSPOT_DEFINED', typeId, label: d?.label ?? null };
}

function typeIdsOf(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo, specs: TypeSpec[] | undefined): number[] {
  if (!Array.isArray(specs) || specs.length === 0) throw validation('At least one association type is required');
  return specs.map((s) => {
    const id = Number(s.associationTypeId);
    const def = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((d) => d.typeId === id);
    if (!def) throw validation(`associationTypeId ${String(s.associationTypeId)} is not valid between ${from.name} and ${to.name}`);
    if (s.associationCategory && s.associationCategory !== def.category) {
      throw validation(`associationTypeId ${id} has category ${def.category}, not ${s.associationCategory}`);
    }
    return id;
  });
}

function mustExist(ctx: SimContext, t: ObjectTypeInfo, id: string): void {
  if (!findRecord(ctx, t, id)) throw notFound(`${t.singular} ${id} not found`);
}

export function registerAssociationRoutes(app: FastifyInstance, ctx: SimContext): void {
  const pair = (p: Record<string, string>, a: string, b: string) => ({ from: objectType(ctx, p[a]), to: objectType(ctx, p[b]) });

  routeAll(app, 'PUT', OBJ, '/:fromObjectType/:fromObjectId/associations/default/:toObjectType/:toObjectId', (req) => {
    const p = params(req);
    const { from, to } = pair(p, 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    mustExist(ctx, from, p.fromObjectId ?? '');
    mustExist(ctx, to, p.toObjectId ?? '');
    const def = defaultDef(ctx, from, to);
    addAssociation(ctx, from, p.fromObjectId ?? '', to, p.toObjectId ?? '', [def.typeId], apiSource(req));
    const spec = (d: typeof def) => ({ associationCategory: d.category, associationTypeId: d.typeId });
    return {
      status: 'COMPLETE', startedAt: new Date().toISOString(), completedAt: new Date().toISOString(),
      results: [
        { from: { id: p.fromObjectId }, to: { id: p.toObjectId }, associationSpec: spec(def) },
        { from: { id: p.toObjectId }, to: { id: p.fromObjectId }, associationSpec: { associationCategory: def.category, associationTypeId: def.inverseTypeId } },
      ],
    };
  });

  routeAll(app, 'PUT', OBJ, '/:objectType/:objectId/associations/:toObjectType/:toObjectId', (req, reply) => {
    const p = params(req);
    const { from, to } = pair(p, 'objectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    mustExist(ctx, from, p.objectId ?? '');
    mustExist(ctx, to, p.toObjectId ?? '');
    const ids = typeIdsOf(ctx, from, to, req.body as TypeSpec[]);
    addAssociation(ctx, from, p.objectId ?? '', to, p.toObjectId ?? '', ids, apiSource(req));
    void reply.code(201);
    return {
      fromObjectTypeId: from.objectTypeId, fromObjectId: Number(p.objectId), toObjectTypeId: to.objectTypeId, toObjectId: Number(p.toObjectId),
      labels: ids.map((t) => labelOf(ctx, from, to, t).label).filter((l): l is string => l !== null),
    };
  });

  routeAll(app, 'GET', OBJ, '/:objectType/:objectId/associations/:toObjectType', (req) => {
    const p = params(req);
    const { from, to } = pair(p, 'objectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, false));
    const q = query(req);
    const limit = limitParam(str(q.limit), 500, 500);
    const all = listAssociated(ctx, from.objectTypeId, p.objectId ?? '', to.objectTypeId).sort((a, b) => Number(a[0]) - Number(b[0]));
    const after = str(q.after);
    const rest = after === undefined ? all : all.filter(([id]) => Number(id) > Number(after));
    const page = rest.slice(0, limit);
    const out: Record<string, unknown> = { results: page.map(([id, ids]) => ({ toObjectId: Number(id), associationTypes: ids.map((t) => labelOf(ctx, from, to, t)) })) };
    const last = page.at(-1);
    if (rest.length > limit && last) out.paging = { next: { after: last[0], link: `?after=${last[0]}` } };
    return out;
  });

  routeAll(app, 'DELETE', OBJ, '/:objectType/:objectId/associations/:toObjectType/:toObjectId', (req, reply) => {
    const p = params(req);
    const { from, to } = pair(p, 'objectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    removeAssociation(ctx, from, p.objectId ?? '', to, p.toObjectId ?? '', undefined, apiSource(req));
    return reply.code(204).send();
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/associate/default', (req) => {
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const inputs = inputsOf(req, ASSOC_BATCH_CREATE_MAX) as { from?: { id?: unknown }; to?: { id?: unknown } }[];
    const def = defaultDef(ctx, from, to);
    const results = inputs.map((i) => {
      const f = String(i.from?.id), t = String(i.to?.id);
      mustExist(ctx, from, f);
      mustExist(ctx, to, t);
      addAssociation(ctx, from, f, to, t, [def.typeId], apiSource(req));
      return { from: { id: f }, to: { id: t }, associationSpec: { associationCategory: def.category, associationTypeId: def.typeId } };
    });
    return { status: 'COMPLETE', results, startedAt: new Date().toISOString(), completedAt: new Date().toISOString() };
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/create', (req, reply) => {
    const startedAt = new Date().toISOString();
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const inputs = inputsOf(req, ASSOC_BATCH_CREATE_MAX) as { from?: { id?: unknown }; to?: { id?: unknown }; types?: TypeSpec[] }[];
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const i of inputs) {
      const f = String(i.from?.id), t = String(i.to?.id);
      try {
        mustExist(ctx, from, f);
        mustExist(ctx, to, t);
        const ids = typeIdsOf(ctx, from, to, i.types);
        addAssociation(ctx, from, f, to, t, ids, apiSource(req));
        results.push({ fromObjectTypeId: from.objectTypeId, fromObjectId: Number(f), toObjectTypeId: to.objectTypeId, toObjectId: Number(t), labels: ids.map((x) => labelOf(ctx, from, to, x).label).filter((l) => l !== null) });
      } catch (err) {
        if (!(err instanceof HubSpotError)) throw err;
        errors.push({ status: 'error', category: err.category, message: err.message, context: { fromObjectId: [f], toObjectId: [t] } });
      }
    }
    return batchResponse(reply, 201, results, errors, startedAt);
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/read', (req, reply) => {
    const startedAt = new Date().toISOString();
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, false));
    const inputs = inputsOf(req, ASSOC_BATCH_READ_MAX) as { id?: unknown }[];
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const i of inputs) {
      const id = String(i.id);
      const list = listAssociated(ctx, from.objectTypeId, id, to.objectTypeId);
      if (list.length === 0) {
        errors.push({ status: 'error', category: 'OBJECT_NOT_FOUND', message: `No ${to.singular} is associated with ${from.singular} ${id}.`, context: { fromObjectId: [id] } });
        continue;
      }
      results.push({ from: { id }, to: list.map(([toId, ids]) => ({ toObjectId: Number(toId), associationTypes: ids.map((t) => labelOf(ctx, from, to, t)) })) });
    }
    return batchResponse(reply, 200, results, errors, startedAt);
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/archive', (req, reply) => {
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const inputs = inputsOf(req, ASSOC_BATCH_ARCHIVE_MAX) as { from?: { id?: unknown }; to?: { id?: unknown }[] }[];
    for (const i of inputs) for (const t of i.to ?? []) removeAssociation(ctx, from, String(i.from?.id), to, String(t.id), undefined, apiSource(req));
    return reply.code(204).send();
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/labels/archive', (req, reply) => {
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const inputs = inputsOf(req, ASSOC_BATCH_ARCHIVE_MAX) as { from?: { id?: unknown }; to?: { id?: unknown }; types?: TypeSpec[] }[];
    for (const i of inputs) removeAssociation(ctx, from, String(i.from?.id), to, String(i.to?.id), typeIdsOf(ctx, from, to, i.types), apiSource(req));
    return reply.code(204).send();
  });

  routeAll(app, 'GET', ASSOC, '/:fromObjectType/:toObjectType/labels', (req) => {
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    return { results: defsBetween(ctx, from.objectTypeId, to.objectTypeId).map((d) => ({ category: d.category, typeId: d.typeId, label: d.label })) };
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/labels', (req) => {
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const b = body<{ label?: string; name?: string; inverseLabel?: string }>(req);
    if (!b.label || !b.name) throw validation('label and name are required');
    const def = defineAssociation(ctx, from.objectTypeId, to.objectTypeId, 'USER_DEFINED', b.label, b.inverseLabel ?? null, false, [b.name, b.inverseLabel ? `${b.name}_inverse` : b.name]);
    const out = [{ category: def.category, typeId: def.typeId, label: def.label }];
    if (def.inverseTypeId !== def.typeId) out.push({ category: def.category, typeId: def.inverseTypeId, label: b.inverseLabel ?? b.label });
    return { results: out };
  });
}
