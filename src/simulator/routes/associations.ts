/**
 * Associations v4 (docs/hubspot-facts.md "Objects and associations"): default and labeled, single and batch (batch read ≤ 1,000
 * inputs, batch create ≤ 2,000), read, archive, label definitions. Object types by name or id.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { objectScopes, requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import type { ObjectTypeInfo } from '../object-types.js';
import { findRecord } from '../records.js';
import { addAssociation, defaultDef, defsBetween, listAssociated, removeAssociation } from '../associations-store.js';
import { associationSpec, idString, objectIdRef, parseValue } from '../body.js';
import { apiSource, batchError, batchResponse, inputsOf, limitParam, objectType, params, query, routeAll, str, type BatchError } from './common.js';

export const ASSOC_BATCH_READ_MAX = 1_000;
export const ASSOC_BATCH_CREATE_MAX = 2_000;
export const ASSOC_BATCH_ARCHIVE_MAX = 2_000;
/** Record-level v4 paths; the dated form keeps them under the objects prefix. */
const OBJ = ['/crm/v4/objects', '/crm/objects/2026-03'] as const;
const ASSOC_V4 = ['/crm/v4/associations'] as const;
/** The dated form answers batch archives with 200 and a `BatchResponse` body (v4: 204, no body). */
const ASSOC_DATED = ['/crm/associations/2026-03'] as const;
const ASSOC = [...ASSOC_V4, ...ASSOC_DATED] as const;

type TypeSpec = z.output<typeof associationSpec>;
const pairInput = z.looseObject({ from: objectIdRef, to: objectIdRef });
const labeledInput = z.looseObject({ from: objectIdRef, to: objectIdRef, types: z.array(associationSpec) });
const archiveInput = z.looseObject({ from: objectIdRef, to: z.array(objectIdRef) });
const readInput = z.looseObject({ id: idString, after: z.string().optional() });
const typeSpecs = z.array(associationSpec);

export function labelOf(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo, typeId: number): { category: string; typeId: number; label: string | null } {
  const d = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((x) => x.typeId === typeId);
  return { category: d?.category ?? 'HUBSPOT_DEFINED', typeId, label: d?.label ?? null };
}

function typeIdsOf(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo, specs: TypeSpec[]): number[] {
  if (specs.length === 0) throw validation('At least one association type is required');
  return specs.map((s) => {
    const id = s.associationTypeId;
    const def = defsBetween(ctx, from.objectTypeId, to.objectTypeId).find((d) => d.typeId === id);
    if (!def) throw validation(`associationTypeId ${id} is not valid between ${from.name} and ${to.name}`);
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
    const specs = parseValue(req.body ?? [], 'List<AssociationSpec>', typeSpecs);
    mustExist(ctx, from, p.objectId ?? '');
    mustExist(ctx, to, p.toObjectId ?? '');
    const ids = typeIdsOf(ctx, from, to, specs);
    addAssociation(ctx, from, p.objectId ?? '', to, p.toObjectId ?? '', ids, apiSource(req));
    void reply.code(201);
    return {
      fromObjectTypeId: from.objectTypeId, fromObjectId: p.objectId, toObjectTypeId: to.objectTypeId, toObjectId: p.toObjectId,
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
    const out: Record<string, unknown> = { results: page.map(([id, ids]) => ({ toObjectId: id, associationTypes: ids.map((t) => labelOf(ctx, from, to, t)) })) };
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

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/associate/default', (req, reply) => {
    const startedAt = new Date().toISOString();
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const inputs = inputsOf(req, ASSOC_BATCH_CREATE_MAX, 'PublicDefaultAssociationMultiPost', pairInput);
    const def = defaultDef(ctx, from, to);
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const { from: { id: f }, to: { id: t } } of inputs) {
      try {
        mustExist(ctx, from, f);
        mustExist(ctx, to, t);
        addAssociation(ctx, from, f, to, t, [def.typeId], apiSource(req));
        results.push({ from: { id: f }, to: { id: t }, associationSpec: { associationCategory: def.category, associationTypeId: def.typeId } });
      } catch (err) {
        if (!(err instanceof HubSpotError)) throw err;
        errors.push(batchError(err.category, err.message, { fromObjectId: [f], toObjectId: [t] }));
      }
    }
    return batchResponse(reply, 200, results, errors, startedAt);
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/create', (req, reply) => {
    const startedAt = new Date().toISOString();
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
    const inputs = inputsOf(req, ASSOC_BATCH_CREATE_MAX, 'PublicAssociationMultiPost', labeledInput);
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const i of inputs) {
      const f = i.from.id, t = i.to.id;
      try {
        mustExist(ctx, from, f);
        mustExist(ctx, to, t);
        const ids = typeIdsOf(ctx, from, to, i.types);
        addAssociation(ctx, from, f, to, t, ids, apiSource(req));
        results.push({ fromObjectTypeId: from.objectTypeId, fromObjectId: f, toObjectTypeId: to.objectTypeId, toObjectId: t, labels: ids.map((x) => labelOf(ctx, from, to, x).label).filter((l) => l !== null) });
      } catch (err) {
        if (!(err instanceof HubSpotError)) throw err;
        errors.push(batchError(err.category, err.message, { fromObjectId: [f], toObjectId: [t] }, err.extra.errors ?? []));
      }
    }
    return batchResponse(reply, 201, results, errors, startedAt);
  });

  routeAll(app, 'POST', ASSOC, '/:fromObjectType/:toObjectType/batch/read', (req, reply) => {
    const startedAt = new Date().toISOString();
    const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
    requireScopes(req, objectScopes(from.objectTypeId, from.custom, false));
    const inputs = inputsOf(req, ASSOC_BATCH_READ_MAX, 'PublicFetchAssociationsBatchRequest', readInput);
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const { id } of inputs) {
      const list = listAssociated(ctx, from.objectTypeId, id, to.objectTypeId);
      if (list.length === 0) {
        errors.push(batchError('OBJECT_NOT_FOUND', `No ${to.singular} is associated with ${from.singular} ${id}.`, { fromObjectId: [id] }));
        continue;
      }
      results.push({ from: { id }, to: list.map(([toId, ids]) => ({ toObjectId: toId, associationTypes: ids.map((t) => labelOf(ctx, from, to, t)) })) });
    }
    return batchResponse(reply, 200, results, errors, startedAt);
  });

  /** v4 answers an archive with 204; the dated form with 200 and an empty `BatchResponse`. */
  const archived = (reply: FastifyReply, dated: boolean, startedAt: string) =>
    dated ? batchResponse(reply, 200, [], [], startedAt) : reply.code(204).send();

  for (const [prefixes, dated] of [[ASSOC_V4, false], [ASSOC_DATED, true]] as const) {
    routeAll(app, 'POST', prefixes, '/:fromObjectType/:toObjectType/batch/archive', (req, reply) => {
      const startedAt = new Date().toISOString();
      const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
      requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
      for (const i of inputsOf(req, ASSOC_BATCH_ARCHIVE_MAX, 'PublicAssociationMultiArchive', archiveInput)) {
        for (const t of i.to) removeAssociation(ctx, from, i.from.id, to, t.id, undefined, apiSource(req));
      }
      return archived(reply, dated, startedAt);
    });

    routeAll(app, 'POST', prefixes, '/:fromObjectType/:toObjectType/batch/labels/archive', (req, reply) => {
      const startedAt = new Date().toISOString();
      const { from, to } = pair(params(req), 'fromObjectType', 'toObjectType');
      requireScopes(req, objectScopes(from.objectTypeId, from.custom, true));
      for (const i of inputsOf(req, ASSOC_BATCH_ARCHIVE_MAX, 'PublicAssociationMultiPost', labeledInput)) {
        removeAssociation(ctx, from, i.from.id, to, i.to.id, typeIdsOf(ctx, from, to, i.types), apiSource(req));
      }
      return archived(reply, dated, startedAt);
    });
  }
}
