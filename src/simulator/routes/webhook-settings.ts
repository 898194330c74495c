/**
 * Webhooks v3 management (`/webhooks/v3/{appId}/settings` and `/subscriptions`), as the SDK's
 * webhooks client calls it. Real HubSpot manages private-app subscriptions only in the UI; the
 * simulator exposes these endpoints for every app so tests and demos can configure delivery.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SimContext } from '../context.js';
import { notFound, validation } from '../errors.js';
import type { WebhookSubscription } from '../state.js';
import { resolveObjectType } from '../state.js';
import { eventKinds } from '../webhooks/emitter.js';
import { z } from 'zod';
import { parseBody } from '../body.js';
import { batchError, batchResponse, inputsOf, isDated, params, routeAll, type BatchError } from './common.js';

export const MAX_SUBSCRIPTIONS_PER_APP = 1_000;
const PREFIXES = ['/webhooks/v3', '/webhooks/2026-03'] as const;
const LEGACY_OBJECTS = ['contact', 'company', 'deal', 'ticket', 'product', 'line_item'];

export function validateEventType(ctx: SimContext, eventType: string, objectTypeId?: string): void {
  const [prefix, kind] = eventType.split('.');
  if (!kind || !(eventKinds as readonly string[]).includes(kind)) throw validation(`Unsupported eventType ${eventType}`);
  // "They are not supported for conversation.* or contact.privacyDeletion" (generic format).
  if (kind === 'privacyDeletion' && prefix !== 'contact') throw validation(`Unsupported eventType ${eventType}`);
  if (prefix === 'object') {
    if (objectTypeId !== undefined && !resolveObjectType(ctx.state, objectTypeId, ctx.opts.portalId)) throw validation(`Unknown objectTypeId ${objectTypeId}`);
    return;
  }
  if (!LEGACY_OBJECTS.includes(prefix ?? '')) throw validation(`Unsupported eventType ${eventType}`);
  if (prefix === 'product' && kind === 'associationChange') throw validation('product.associationChange is not supported');
}

/** Creates a subscription (shared with the control API). */
export function createSubscription(ctx: SimContext, raw: { eventType?: string; subscriptionType?: string; propertyName?: string; objectTypeId?: string; active?: boolean }): WebhookSubscription {
  const eventType = raw.eventType ?? raw.subscriptionType ?? '';
  validateEventType(ctx, eventType, raw.objectTypeId);
  if (eventType.endsWith('.propertyChange') && !raw.propertyName) throw validation('propertyName is required for propertyChange subscriptions');
  if (Object.keys(ctx.state.subscriptions).length >= MAX_SUBSCRIPTIONS_PER_APP) {
    throw validation(`Couldn't create another subscription. You've reached the maximum number allowed per application (${MAX_SUBSCRIPTIONS_PER_APP}).`);
  }
  const now = new Date(ctx.clock.now()).toISOString();
  const objectTypeId = raw.objectTypeId === undefined ? undefined : resolveObjectType(ctx.state, raw.objectTypeId, ctx.opts.portalId)?.objectTypeId;
  const sub: WebhookSubscription = { id: ctx.state.nextSubscriptionId++, eventType, active: raw.active ?? true, createdAt: now, updatedAt: now };
  if (raw.propertyName) sub.propertyName = raw.propertyName;
  if (objectTypeId) sub.objectTypeId = objectTypeId;
  ctx.state.subscriptions[String(sub.id)] = sub;
  ctx.changed();
  return sub;
}

export function setWebhookSettings(ctx: SimContext, raw: { targetUrl?: string; throttling?: { maxConcurrentRequests?: number; period?: string } }): void {
  if (!raw.targetUrl || !/^https?:\/\//.test(raw.targetUrl)) throw validation('targetUrl must be an http(s) URL');
  const max = raw.throttling?.maxConcurrentRequests ?? 10;
  // Docs: "must be a number greater than five"; we accept 5 and above.
  if (!Number.isInteger(max) || max < 5) throw validation('maxConcurrentRequests must be a number greater than five');
  const now = new Date(ctx.clock.now()).toISOString();
  ctx.state.webhookSettings = {
    targetUrl: raw.targetUrl,
    throttling: { maxConcurrentRequests: max, ...(raw.throttling?.period ? { period: raw.throttling.period } : {}) },
    createdAt: ctx.state.webhookSettings?.createdAt ?? now, updatedAt: now,
  };
  ctx.changed();
}

/** The spec types subscription ids as strings (`SubscriptionResponse.id`); events carry numbers. */
export function renderSubscription(s: WebhookSubscription): Omit<WebhookSubscription, 'id'> & { id: string } {
  return { ...s, id: String(s.id) };
}

const settingsBody = z.looseObject({ targetUrl: z.string(), throttling: z.looseObject({ maxConcurrentRequests: z.number().int(), period: z.string().optional() }) });
const subscriptionBody = z.looseObject({ eventType: z.string(), propertyName: z.string().optional(), objectTypeId: z.string().optional(), active: z.boolean().optional() });
/** The dated `SubscriptionCreateRequest` requires `active` too. */
const datedSubscriptionBody = subscriptionBody.extend({ active: z.boolean() });
const patchBody = z.looseObject({ active: z.boolean().optional() });
const batchItem = z.looseObject({ id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(Number), active: z.boolean() });

export function registerWebhookSettingsRoutes(app: FastifyInstance, ctx: SimContext): void {
  const checkApp = (req: FastifyRequest): void => {
    if (params(req).appId !== String(ctx.opts.appId)) throw notFound(`App ${params(req).appId} not found`);
  };
  const sub = (req: FastifyRequest): WebhookSubscription => {
    const s = ctx.state.subscriptions[params(req).subscriptionId ?? ''];
    if (!s) throw notFound(`Subscription ${params(req).subscriptionId} not found`);
    return s;
  };

  routeAll(app, 'GET', PREFIXES, '/:appId/settings', (req) => {
    checkApp(req);
    if (!ctx.state.webhookSettings) throw notFound('No webhook settings for this app');
    return ctx.state.webhookSettings;
  });
  routeAll(app, 'PUT', PREFIXES, '/:appId/settings', (req) => {
    checkApp(req);
    setWebhookSettings(ctx, parseBody(req, 'SettingsChangeRequest', settingsBody));
    return ctx.state.webhookSettings;
  });
  routeAll(app, 'DELETE', PREFIXES, '/:appId/settings', (req, reply) => {
    checkApp(req);
    ctx.state.webhookSettings = null;
    ctx.changed();
    return reply.code(204).send();
  });
  routeAll(app, 'GET', PREFIXES, '/:appId/subscriptions', (req) => {
    checkApp(req);
    return { results: Object.values(ctx.state.subscriptions).map(renderSubscription) };
  });
  routeAll(app, 'POST', PREFIXES, '/:appId/subscriptions', (req, reply) => {
    checkApp(req);
    const s = createSubscription(ctx, parseBody(req, 'SubscriptionCreateRequest', isDated(req) ? datedSubscriptionBody : subscriptionBody));
    void reply.code(201);
    return renderSubscription(s);
  });
  routeAll(app, 'GET', PREFIXES, '/:appId/subscriptions/:subscriptionId', (req) => {
    checkApp(req);
    return renderSubscription(sub(req));
  });
  routeAll(app, 'PATCH', PREFIXES, '/:appId/subscriptions/:subscriptionId', (req) => {
    checkApp(req);
    const s = sub(req);
    const b = parseBody(req, 'SubscriptionPatchRequest', patchBody);
    if (b.active !== undefined) s.active = b.active;
    s.updatedAt = new Date(ctx.clock.now()).toISOString();
    ctx.changed();
    return renderSubscription(s);
  });
  routeAll(app, 'DELETE', PREFIXES, '/:appId/subscriptions/:subscriptionId', (req, reply) => {
    checkApp(req);
    delete ctx.state.subscriptions[sub(req).id];
    ctx.changed();
    return reply.code(204).send();
  });
  routeAll(app, 'POST', PREFIXES, '/:appId/subscriptions/batch/update', (req, reply) => {
    checkApp(req);
    const startedAt = new Date().toISOString();
    const results: unknown[] = [];
    const errors: BatchError[] = [];
    for (const i of inputsOf(req, 100, 'SubscriptionBatchUpdateRequest', batchItem)) {
      const s = ctx.state.subscriptions[String(i.id)];
      if (!s) {
        errors.push(batchError('OBJECT_NOT_FOUND', `Subscription ${i.id} not found`, { ids: [String(i.id)] }));
        continue;
      }
      s.active = i.active;
      s.updatedAt = new Date(ctx.clock.now()).toISOString();
      results.push(renderSubscription(s));
    }
    ctx.changed();
    return batchResponse(reply, 200, results, errors, startedAt);
  });
}
