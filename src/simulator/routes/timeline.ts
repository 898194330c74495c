/**
 * Timeline events v3 (docs/hubspot-facts.md "Notes, timeline, tickets"): event templates with tokens under
 * `/integrators/timeline/v3/{appId}/event-templates` (older `/crm/v3/timeline/...`), and events on a
 * record. Private-app tokens are refused with 403: "private apps do not support custom timeline
 * events" and the spec's security for these operations is `oauth2` only. Templates also accept a
 * developer API key (`?hapikey=`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimContext } from '../context.js';
import { HubSpotError, notFound, validation } from '../errors.js';
import { findRecord, updateRecord } from '../records.js';
import type { TimelineEvent, TimelineTemplate, TimelineToken } from '../state.js';
import { z } from 'zod';
import { idString, parseBody } from '../body.js';
import { apiSource, batchResponse, inputsOf, objectType, params, routeAll, toBatchError, type BatchError } from './common.js';

const PREFIXES = ['/integrators/timeline/v3', '/crm/v3/timeline'] as const;
const TEMPLATE_OBJECT_TYPES = ['contacts', 'companies', 'deals', 'tickets'];
export const MAX_TEMPLATES_PER_APP = 750;
export const MAX_TOKENS_PER_TEMPLATE = 500;

/** Our choice of body for the refusal: HubSpot documents the refusal, not its exact text. */
function refusePrivateApps(req: FastifyRequest): void {
  if (req.simAuth?.kind === 'private') {
    throw new HubSpotError(403, 'MISSING_SCOPES', 'Private apps do not support custom timeline events. Use an OAuth access token of a public app with the timeline scope.', {
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['timeline'] } }],
    });
  }
}

const tokenOption = z.object({ label: z.string(), value: z.string() });
const tokenSchema = z.object({
  name: z.string().min(1), label: z.string().min(1), type: z.enum(['date', 'enumeration', 'number', 'string']),
  options: z.array(tokenOption).optional(), objectPropertyName: z.string().optional(),
});
const templateCreate = z.looseObject({ name: z.string().min(1), objectType: z.string(), tokens: z.array(tokenSchema), headerTemplate: z.string().optional(), detailTemplate: z.string().optional() });
const templateUpdate = z.looseObject({ id: z.string(), name: z.string().min(1), tokens: z.array(tokenSchema), headerTemplate: z.string().optional(), detailTemplate: z.string().optional() });
const tokenUpdate = z.object({ label: z.string().min(1), options: z.array(tokenOption).optional(), objectPropertyName: z.string().optional() });
/** `TimelineEvent`: `eventTemplateId` and `tokens` are required; `id` is generated when absent (choice). */
const eventSchema = z.looseObject({
  eventTemplateId: idString, tokens: z.record(z.string(), z.unknown()), id: z.string().optional(), objectId: idString.optional(),
  email: z.string().optional(), domain: z.string().optional(), timestamp: z.string().optional(), extraData: z.unknown().optional(), timelineIFrame: z.unknown().optional(),
});
type EventInput = z.output<typeof eventSchema>;

function checkTemplateTokens(tokens: readonly { name: string; type: string; options?: unknown[] | undefined }[]): void {
  if (tokens.length > MAX_TOKENS_PER_TEMPLATE) throw validation(`At most ${MAX_TOKENS_PER_TEMPLATE} tokens per template`);
  for (const t of tokens) if (t.type === 'enumeration' && !(t.options?.length)) throw validation(`token ${t.name}: enumeration tokens need options`);
}

function checkTokens(tpl: TimelineTemplate, tokens: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tokens)) {
    const t = tpl.tokens.find((x) => x.name === k);
    if (!t) throw validation(`Token ${k} is not defined on event template ${tpl.id}`);
    const s = String(v);
    if (t.type === 'number' && Number.isNaN(Number(s))) throw validation(`Token ${k} must be a number`);
    if (t.type === 'enumeration' && !(t.options ?? []).some((o) => o.value === s)) throw validation(`Token ${k} value ${s} is not one of the options`);
    out[k] = s;
  }
  return out;
}

export function registerTimelineRoutes(app: FastifyInstance, ctx: SimContext): void {
  const tpl = (req: FastifyRequest): TimelineTemplate => {
    const t = ctx.state.timelineTemplates[params(req).eventTemplateId ?? ''];
    if (!t || String(t.appId) !== params(req).appId) throw notFound(`Event template ${params(req).eventTemplateId} not found`);
    return t;
  };

  routeAll(app, 'GET', PREFIXES, '/:appId/event-templates', (req) => {
    refusePrivateApps(req);
    return { results: Object.values(ctx.state.timelineTemplates).filter((t) => String(t.appId) === params(req).appId) };
  });

  routeAll(app, 'POST', PREFIXES, '/:appId/event-templates', (req, reply) => {
    refusePrivateApps(req);
    const b = parseBody(req, 'TimelineEventTemplateCreateRequest', templateCreate);
    if (!TEMPLATE_OBJECT_TYPES.includes(b.objectType.toLowerCase())) throw validation(`objectType must be one of ${TEMPLATE_OBJECT_TYPES.join(', ')}`);
    const appId = Number(params(req).appId);
    if (Object.values(ctx.state.timelineTemplates).filter((t) => t.appId === appId).length >= MAX_TEMPLATES_PER_APP) throw validation(`An app can have at most ${MAX_TEMPLATES_PER_APP} event templates`);
    checkTemplateTokens(b.tokens);
    const now = new Date(ctx.clock.now()).toISOString();
    const t: TimelineTemplate = {
      id: String(ctx.state.nextTimelineTemplateId++), appId, name: b.name, objectType: b.objectType.toLowerCase(),
      headerTemplate: b.headerTemplate, detailTemplate: b.detailTemplate, tokens: b.tokens.map((x) => ({ ...x, createdAt: now, updatedAt: now })), createdAt: now, updatedAt: now,
    };
    ctx.state.timelineTemplates[t.id] = t;
    ctx.changed();
    void reply.code(201);
    return t;
  });

  // Update replaces name, templates and tokens; a token's type cannot change (HubSpot: delete and re-create).
  routeAll(app, 'PUT', PREFIXES, '/:appId/event-templates/:eventTemplateId', (req) => {
    refusePrivateApps(req);
    const t = tpl(req);
    const b = parseBody(req, 'TimelineEventTemplateUpdateRequest', templateUpdate);
    if (b.id !== t.id) throw validation(`id ${b.id} does not match the template ${t.id} of the path`);
    checkTemplateTokens(b.tokens);
    const now = new Date(ctx.clock.now()).toISOString();
    for (const tok of b.tokens) {
      const old = t.tokens.find((x) => x.name === tok.name);
      if (old && old.type !== tok.type) throw validation(`token ${tok.name}: its type cannot change (${old.type} → ${tok.type})`);
    }
    t.tokens = b.tokens.map((x) => ({ ...x, createdAt: t.tokens.find((o) => o.name === x.name)?.createdAt ?? now, updatedAt: now }));
    Object.assign(t, { name: b.name, headerTemplate: b.headerTemplate, detailTemplate: b.detailTemplate, updatedAt: now });
    ctx.changed();
    return t;
  });

  routeAll(app, 'GET', PREFIXES, '/:appId/event-templates/:eventTemplateId', (req) => {
    refusePrivateApps(req);
    return tpl(req);
  });

  routeAll(app, 'DELETE', PREFIXES, '/:appId/event-templates/:eventTemplateId', (req, reply) => {
    refusePrivateApps(req);
    delete ctx.state.timelineTemplates[tpl(req).id];
    ctx.changed();
    return reply.code(204).send();
  });

  routeAll(app, 'POST', PREFIXES, '/:appId/event-templates/:eventTemplateId/tokens', (req) => {
    refusePrivateApps(req);
    const t = tpl(req);
    const tok = parseBody(req, 'TimelineEventTemplateToken', tokenSchema);
    if (t.tokens.some((x) => x.name === tok.name)) throw new HubSpotError(409, 'CONFLICT', `Token ${tok.name} already exists on template ${t.id}`);
    checkTemplateTokens([...t.tokens, tok]);
    const now = new Date(ctx.clock.now()).toISOString();
    const stored = { ...tok, createdAt: now, updatedAt: now };
    t.tokens.push(stored);
    ctx.changed();
    return stored;
  });

  const token = (req: FastifyRequest): TimelineToken => {
    const found = tpl(req).tokens.find((x) => x.name === params(req).tokenName);
    if (!found) throw notFound(`Token ${params(req).tokenName} not found on template ${params(req).eventTemplateId}`);
    return found;
  };

  routeAll(app, 'PUT', PREFIXES, '/:appId/event-templates/:eventTemplateId/tokens/:tokenName', (req) => {
    refusePrivateApps(req);
    const tok = token(req);
    const b = parseBody(req, 'TimelineEventTemplateTokenUpdateRequest', tokenUpdate);
    if (tok.type === 'enumeration' && !(b.options?.length)) throw validation(`token ${tok.name}: enumeration tokens need options`);
    Object.assign(tok, { label: b.label, updatedAt: new Date(ctx.clock.now()).toISOString() }, b.options ? { options: b.options } : {}, b.objectPropertyName !== undefined ? { objectPropertyName: b.objectPropertyName } : {});
    ctx.changed();
    return tok;
  });

  routeAll(app, 'DELETE', PREFIXES, '/:appId/event-templates/:eventTemplateId/tokens/:tokenName', (req, reply) => {
    refusePrivateApps(req);
    const t = tpl(req);
    const tok = token(req);
    t.tokens = t.tokens.filter((x) => x !== tok);
    ctx.changed();
    return reply.code(204).send();
  });

  const createEvent = (req: FastifyRequest, raw: EventInput): TimelineEvent => {
    const t = ctx.state.timelineTemplates[raw.eventTemplateId];
    if (!t) throw notFound(`Event template ${raw.eventTemplateId} not found`);
    const type = objectType(ctx, t.objectType);
    const rec = raw.objectId !== undefined ? findRecord(ctx, type, raw.objectId)
      : raw.email !== undefined && type.objectTypeId === '0-1' ? findRecord(ctx, type, raw.email, 'email')
        : raw.domain !== undefined && type.objectTypeId === '0-2' ? Object.values(ctx.state.objects['0-2'] ?? {}).find((r) => !r.archived && r.properties.domain === raw.domain) : undefined;
    if (!rec) throw notFound(`No ${type.singular} found for the event`);
    const tokens = checkTokens(t, raw.tokens);
    const id = raw.id !== undefined && raw.id !== '' ? raw.id : `${t.id}-${ctx.state.nextId++}`;
    if (ctx.state.timelineEvents[`${t.id}/${id}`]) throw new HubSpotError(409, 'CONFLICT', `Event ${id} already exists; events are immutable`);
    const now = new Date(ctx.clock.now()).toISOString();
    const ev: TimelineEvent = { id, eventTemplateId: t.id, objectId: rec.id, objectType: type.name.toUpperCase(), tokens, timestamp: raw.timestamp ?? now, createdAt: now, extraData: raw.extraData, timelineIFrame: raw.timelineIFrame };
    // Tokens mapped to objectPropertyName also update the record's property.
    const stamped = Object.fromEntries(t.tokens.filter((x) => x.objectPropertyName && tokens[x.name] !== undefined).map((x) => [x.objectPropertyName ?? '', tokens[x.name]]));
    if (Object.keys(stamped).length > 0) updateRecord(ctx, type, rec, stamped, apiSource(req));
    ctx.state.timelineEvents[`${t.id}/${id}`] = ev;
    ctx.changed();
    return ev;
  };

  routeAll(app, 'POST', PREFIXES, '/events', (req, reply) => {
    refusePrivateApps(req);
    const ev = createEvent(req, parseBody(req, 'TimelineEvent', eventSchema));
    void reply.code(201);
    return ev;
  });

  routeAll(app, 'POST', PREFIXES, '/events/batch/create', (req, reply) => {
    refusePrivateApps(req);
    const results: TimelineEvent[] = [];
    const errors: BatchError[] = [];
    for (const i of inputsOf(req, 500, 'TimelineEvent', eventSchema)) {
      try {
        results.push(createEvent(req, i));
      } catch (err) {
        errors.push(toBatchError(err, { eventTemplateId: [i.eventTemplateId], ...(i.id ? { id: [i.id] } : {}), ...(i.objectId ? { objectId: [i.objectId] } : {}) }));
      }
    }
    return batchResponse(reply, 201, results, errors, new Date().toISOString());
  });

  routeAll(app, 'GET', PREFIXES, '/events/:eventTemplateId/:eventId', (req) => {
    refusePrivateApps(req);
    const ev = ctx.state.timelineEvents[`${params(req).eventTemplateId}/${params(req).eventId}`];
    if (!ev) throw notFound('Event not found');
    return ev;
  });
}
