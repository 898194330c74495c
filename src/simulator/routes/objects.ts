/**
 * Single-record CRM object endpoints: list (limit ≤ 100, `after` cursors), get, create (201),
 * update (200), archive (204), merge, plus the v3 record-level association shortcuts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { objectScopes, requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { notFound, validation } from '../errors.js';
import { listParam, renderRecord } from '../render.js';
import { archiveRecord, createRecord, findRecord, mergeRecords, purgeRecord, recordsOf, requireRecord, updateRecord } from '../records.js';
import { associationSpec, idString, objectIdRef, parseBody, propertyValues } from '../body.js';
import { addAssociation, removeAssociation } from '../associations-store.js';
import { OBJECT_PREFIXES, apiSource, limitParam, objectType, params, query, requestBaseUrl, routeAll, str } from './common.js';

export const LIST_DEFAULT_LIMIT = 10;
export const LIST_MAX_LIMIT = 100;
export const LIST_MAX_LIMIT_WITH_HISTORY = 50;

/** `PublicAssociationsForObject` of a create input: the target and at least one type. */
export const associationInput = z.looseObject({ to: objectIdRef, types: z.array(associationSpec).min(1) });
type AssocInput = z.output<typeof associationInput>;
const createBody = z.looseObject({ properties: propertyValues, associations: z.array(associationInput).optional() });
const updateBody = z.looseObject({ properties: propertyValues });
const mergeBody = z.looseObject({ primaryObjectId: idString, objectIdToMerge: idString });
const gdprBody = z.looseObject({ objectId: idString, idProperty: z.string().optional() });
/** The v3 record-level association shortcuts exist only in v3 (the dated form has the v4 shape). */
const V3_ONLY = ['/crm/v3/objects'] as const;

export function registerObjectRoutes(app: FastifyInstance, ctx: SimContext): void {
  routeAll(app, 'GET', OBJECT_PREFIXES, '/:objectType', (req) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, false));
    const q = query(req);
    const withHistory = listParam(q.propertiesWithHistory);
    // "Usage of this parameter will reduce the maximum number of objects": 50 per third parties.
    const limit = limitParam(str(q.limit), LIST_DEFAULT_LIMIT, withHistory?.length ? LIST_MAX_LIMIT_WITH_HISTORY : LIST_MAX_LIMIT);
    const archived = str(q.archived) === 'true';
    const after = str(q.after);
    const bucket = recordsOf(ctx, type);
    // The cursor is "the Record ID of the next record": the page starts at the first id ≥ after.
    const ids = ctx.index.page(type.objectTypeId, after === undefined ? 0 : Number(after), limit + 1, (id) => bucket[id]?.archived === archived);
    const page = ids.slice(0, limit).map((id) => bucket[id]).filter((r) => r !== undefined);
    const render = { properties: listParam(q.properties), associations: listParam(q.associations), propertiesWithHistory: withHistory };
    const out: Record<string, unknown> = { results: page.map((r) => renderRecord(ctx, type, r, render)) };
    const next = ids[limit];
    if (next !== undefined) {
      const url = new URL(`${requestBaseUrl(req)}${req.url}`);
      url.searchParams.set('after', next);
      out.paging = { next: { after: next, link: url.toString() } };
    }
    return out;
  });

  routeAll(app, 'GET', OBJECT_PREFIXES, '/:objectType/:objectId', (req) => {
    const p = params(req);
    const type = objectType(ctx, p.objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, false));
    const q = query(req);
    const r = findRecord(ctx, type, p.objectId ?? '', str(q.idProperty), str(q.archived) === 'true');
    if (!r || (r.archived && str(q.archived) !== 'true')) throw notFound();
    return renderRecord(ctx, type, r, { properties: listParam(q.properties), associations: listParam(q.associations), propertiesWithHistory: listParam(q.propertiesWithHistory) });
  });

  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType', (req, reply) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const b = parseBody(req, 'SimplePublicObjectInputForCreate', createBody);
    const assocs = resolveAssocInputs(ctx, type, b.associations);
    const r = createRecord(ctx, type, b.properties, apiSource(req));
    for (const a of assocs) addAssociation(ctx, type, r.id, a.to, a.toId, a.typeIds, apiSource(req));
    void reply.code(201);
    return renderRecord(ctx, type, r, { properties: Object.keys(r.properties) });
  });

  routeAll(app, 'PATCH', OBJECT_PREFIXES, '/:objectType/:objectId', (req) => {
    const p = params(req);
    const type = objectType(ctx, p.objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const b = parseBody(req, 'SimplePublicObjectInput', updateBody);
    const r = requireRecord(ctx, type, p.objectId ?? '', str(query(req).idProperty));
    updateRecord(ctx, type, r, b.properties, apiSource(req));
    return renderRecord(ctx, type, r, { properties: Object.keys(r.properties) });
  });

  routeAll(app, 'DELETE', OBJECT_PREFIXES, '/:objectType/:objectId', (req, reply) => {
    const p = params(req);
    const type = objectType(ctx, p.objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const r = findRecord(ctx, type, p.objectId ?? '');
    // Archiving an already-archived or missing record is a no-op 204 in HubSpot.
    if (r) archiveRecord(ctx, type, r, apiSource(req));
    return reply.code(204).send();
  });

  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/merge', (req) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const b = parseBody(req, 'PublicMergeInput', mergeBody);
    const primary = requireRecord(ctx, type, b.primaryObjectId);
    const other = requireRecord(ctx, type, b.objectIdToMerge);
    if (primary.id === other.id) throw validation('Cannot merge an object with itself');
    mergeRecords(ctx, type, primary, other, apiSource(req));
    return renderRecord(ctx, type, primary);
  });

  // GDPR delete: the contact is purged (not recycled) and `contact.privacyDeletion` is sent
  // together with the normal `contact.deletion` ("The privacyDeletion event will also trigger the
  // normal contact.delete event").
  for (const spelling of ['contacts', 'contact', '0-1']) {
    routeAll(app, 'POST', OBJECT_PREFIXES, `/${spelling}/gdpr-delete`, (req, reply) => {
      const type = objectType(ctx, '0-1');
      requireScopes(req, objectScopes(type.objectTypeId, false, true));
      const b = parseBody(req, 'PublicGdprDeleteInput', gdprBody);
      purgeRecord(ctx, type, requireRecord(ctx, type, b.objectId, b.idProperty), apiSource(req));
      return reply.code(204).send();
    });
  }

  // v3 record-level associations: PUT/DELETE .../{id}/associations/{toType}/{toId}/{typeId}.
  routeAll(app, 'PUT', V3_ONLY, '/:objectType/:objectId/associations/:toObjectType/:toObjectId/:associationTypeId', (req) => {
    const p = params(req);
    const type = objectType(ctx, p.objectType);
    const to = objectType(ctx, p.toObjectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const r = requireRecord(ctx, type, p.objectId ?? '');
    requireRecord(ctx, to, p.toObjectId ?? '');
    const typeId = v3TypeId(ctx, type.objectTypeId, to.objectTypeId, p.associationTypeId ?? '');
    addAssociation(ctx, type, r.id, to, p.toObjectId ?? '', [typeId], apiSource(req));
    return renderRecord(ctx, type, r, { associations: [to.name] });
  });

  routeAll(app, 'DELETE', V3_ONLY, '/:objectType/:objectId/associations/:toObjectType/:toObjectId/:associationTypeId', (req, reply) => {
    const p = params(req);
    const type = objectType(ctx, p.objectType);
    const to = objectType(ctx, p.toObjectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, true));
    const typeId = v3TypeId(ctx, type.objectTypeId, to.objectTypeId, p.associationTypeId ?? '');
    removeAssociation(ctx, type, p.objectId ?? '', to, p.toObjectId ?? '', [typeId], apiSource(req));
    return reply.code(204).send();
  });
}

/** v3 accepts a numeric type id or its snake-case name (`note_to_contact`). */
function v3TypeId(ctx: SimContext, fromTypeId: string, toTypeId: string, raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const def = ctx.state.associationDefs.find((d) => d.fromTypeId === fromTypeId && d.toTypeId === toTypeId && (d.v3Name === raw.toLowerCase() || d.v3Name === `${raw.toLowerCase()}_unlabeled`));
  if (!def) throw validation(`Unknown association type ${raw}`);
  return def.typeId;
}

/** Validates `associations` of a create input (targets must exist) before anything is written. */
export function resolveAssocInputs(ctx: SimContext, from: ReturnType<typeof objectType>, inputs: AssocInput[] | undefined) {
  const out: { to: ReturnType<typeof objectType>; toId: string; typeIds: number[] }[] = [];
  for (const a of inputs ?? []) {
    const toId = a.to.id;
    const typeIds = a.types.map((t) => t.associationTypeId);
    const def = ctx.state.associationDefs.find((d) => d.fromTypeId === from.objectTypeId && d.typeId === typeIds[0]);
    if (!def) throw validation(`association type id ${typeIds[0]} doesn't exist for ${from.name}`);
    const to = objectType(ctx, def.toTypeId);
    if (!findRecord(ctx, to, toId)) throw validation(`Association target ${to.name} ${toId} does not exist`, [{ message: `${to.singular} ${toId} not found`, code: 'INVALID_OBJECT_ID' }]);
    out.push({ to, toId, typeIds });
  }
  return out;
}
