/**
 * Batch object endpoints (≤ 100 inputs): read 200/207, create 201 (all-or-nothing, or 207 per
 * input when inputs carry `objectWriteTraceId`), update 200/207, upsert 200/207 with `new`,
 * archive 204. Batch read cannot return associations.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { objectScopes, requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import { renderRecord } from '../render.js';
import { archiveRecord, assertIdProperty, commitCreate, commitUpdate, findRecord, prepareCreate, prepareUpdate, type PreparedWrite } from '../records.js';
import { addAssociation } from '../associations-store.js';
import { associationInput, resolveAssocInputs } from './objects.js';
import { idString, parseBody, propertyValues } from '../body.js';
import { OBJECT_PREFIXES, apiSource, batchError, batchResponse, inputsOf, objectType, params, query, routeAll, str, toBatchError, type BatchError } from './common.js';

export const BATCH_MAX_INPUTS = 100;

const readInput = z.looseObject({ id: idString });
const createInput = z.looseObject({ properties: propertyValues, associations: z.array(associationInput).optional(), objectWriteTraceId: z.string().optional() });
const updateInput = z.looseObject({ id: idString, idProperty: z.string().optional(), properties: propertyValues, objectWriteTraceId: z.string().optional() });
type WriteInput = z.output<typeof updateInput>;
const readBody = z.looseObject({ properties: z.array(z.string()).optional(), propertiesWithHistory: z.array(z.string()).optional(), idProperty: z.string().optional() });

const traceCtx = (i: { objectWriteTraceId?: string | undefined }): Record<string, string[]> | undefined => (i.objectWriteTraceId ? { objectWriteTraceId: [i.objectWriteTraceId] } : undefined);

export function registerBatchRoutes(app: FastifyInstance, ctx: SimContext): void {
  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/batch/read', (req, reply) => {
    const startedAt = new Date().toISOString();
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, false));
    const inputs = inputsOf(req, BATCH_MAX_INPUTS, 'BatchReadInputSimplePublicObjectId', readInput);
    const b = parseBody(req, 'BatchReadInputSimplePublicObjectId', readBody);
    if (b.idProperty) assertIdProperty(ctx, type, b.idProperty);
    const archived = str(query(req).archived) === 'true';
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const i of inputs) {
      const r = findRecord(ctx, type, i.id, b.idProperty, archived);
      if (r && r.archived === archived) results.push(renderRecord(ctx, type, r, { properties: b.properties, propertiesWithHistory: b.propertiesWithHistory }));
      else missing.push(i.id);
    }
    const errors = missing.length === 0 ? [] : [batchError('OBJECT_NOT_FOUND',
      `Could not get some ${type.associationName} objects, they may be deleted or not exist. Check that ids are valid.`, { ids: missing })];
    return batchResponse(reply, 200, results, errors, startedAt);
  });

  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/batch/create', (req, reply) => {
    const startedAt = new Date().toISOString();
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const inputs = inputsOf(req, BATCH_MAX_INPUTS, 'SimplePublicObjectBatchInputForCreate', createInput);
    const source = apiSource(req);
    // Multi-status on create is opt-in: "include a unique objectWriteTraceId value for each input".
    const partial = inputs.length > 0 && inputs.every((i) => typeof i.objectWriteTraceId === 'string');
    const prepared: ({ p: PreparedWrite; a: ReturnType<typeof resolveAssocInputs>; trace: string | undefined } | undefined)[] = [];
    const errors: BatchError[] = [];
    const seen = new Map<string, string>();
    for (const i of inputs) {
      try {
        const p = prepareCreate(ctx, type, i.properties);
        checkIntraBatchUnique(ctx, type.objectTypeId, p.merged, seen);
        prepared.push({ p, a: resolveAssocInputs(ctx, type, i.associations), trace: i.objectWriteTraceId });
      } catch (err) {
        if (!partial) throw err;
        errors.push(toBatchError(err, traceCtx(i) ?? {}));
        prepared.push(undefined);
      }
    }
    const results = prepared.flatMap((x) => {
      if (!x) return [];
      const r = commitCreate(ctx, type, x.p, source);
      for (const a of x.a) addAssociation(ctx, type, r.id, a.to, a.toId, a.typeIds, source);
      const out = renderRecord(ctx, type, r, { properties: Object.keys(r.properties) });
      if (x.trace) out.objectWriteTraceId = x.trace;
      return [out];
    });
    return batchResponse(reply, 201, results, errors, startedAt);
  });

  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/batch/update', (req, reply) => {
    const startedAt = new Date().toISOString();
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const inputs = inputsOf(req, BATCH_MAX_INPUTS, 'SimplePublicObjectBatchInput', updateInput);
    const { results, errors } = eachWrite(inputs, (i) => {
      const r = findRecord(ctx, type, i.id, i.idProperty);
      if (!r) throw notFound(`Object not found. objectId: ${i.id}`);
      commitUpdate(ctx, type, r, prepareUpdate(ctx, type, r, i.properties), apiSource(req));
      return renderRecord(ctx, type, r, { properties: Object.keys(r.properties) });
    });
    return batchResponse(reply, 200, results, errors, startedAt);
  });

  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/batch/upsert', (req, reply) => {
    const startedAt = new Date().toISOString();
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const inputs = inputsOf(req, BATCH_MAX_INPUTS, 'SimplePublicObjectBatchInputUpsert', updateInput);
    const { results, errors } = eachWrite(inputs, (i) => {
      const idProperty = i.idProperty;
      if (!idProperty) throw validation('idProperty is required for upsert');
      assertIdProperty(ctx, type, idProperty);
      const existing = findRecord(ctx, type, i.id, idProperty);
      const rec = existing
        ? commitUpdate(ctx, type, existing, prepareUpdate(ctx, type, existing, i.properties), apiSource(req))
        : commitCreate(ctx, type, prepareCreate(ctx, type, { ...i.properties, [idProperty]: i.id }), apiSource(req));
      return { ...renderRecord(ctx, type, rec, { properties: Object.keys(rec.properties) }), new: !existing };
    });
    return batchResponse(reply, 200, results, errors, startedAt);
  });

  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/batch/archive', (req, reply) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    for (const i of inputsOf(req, BATCH_MAX_INPUTS, 'SimplePublicObjectId', readInput)) {
      const r = findRecord(ctx, type, i.id);
      if (r) archiveRecord(ctx, type, r, apiSource(req));
    }
    return reply.code(204).send();
  });
}

/**
 * Update and upsert apply each input on its own: successes are results (with the input's
 * `objectWriteTraceId`), failures are per-input errors, and any failure makes the answer a 207.
 */
function eachWrite(inputs: readonly WriteInput[], write: (input: WriteInput) => Record<string, unknown>): { results: unknown[]; errors: BatchError[] } {
  const results: unknown[] = [];
  const errors: BatchError[] = [];
  for (const i of inputs) {
    try {
      const out = write(i);
      if (i.objectWriteTraceId) out.objectWriteTraceId = i.objectWriteTraceId;
      results.push(out);
    } catch (err) {
      errors.push(toBatchError(err, traceCtx(i) ?? { ids: [i.id] }));
    }
  }
  return { results, errors };
}

/** Unique values must also be unique among the inputs of one batch. */
function checkIntraBatchUnique(ctx: SimContext, typeId: string, values: Record<string, string>, seen: Map<string, string>): void {
  const defs = ctx.state.properties[typeId] ?? {};
  for (const [k, v] of Object.entries(values)) {
    if (v === '' || !(defs[k]?.hasUniqueValue || (typeId === '0-1' && k === 'email'))) continue;
    const key = `${k}\u0000${typeId === '0-1' && k === 'email' ? v.toLowerCase() : v}`;
    if (seen.has(key)) throw new HubSpotError(400, 'VALIDATION_ERROR', `Duplicate value "${v}" for unique property "${k}" within the batch`);
    seen.set(key, v);
  }
}
