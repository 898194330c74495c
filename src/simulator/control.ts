/**
 * Control API under `/__sim/` (enabled in the simulator binary, off by default in-process):
 * reset, simulated UI edits (`CRM_UI` events), fault injection, the request log, webhook setup and
 * delivery log, and bulk record insertion for limit tests. Not rate-limited, not logged, no auth.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ChangeSource, SimContext } from './context.js';
import { notFound, validation } from './errors.js';
import { faultRuleSchema, type Faults } from './faults.js';
import { renderRecord } from './render.js';
import { archiveRecord, createRecord, findRecord, mergeRecords, recordsOf, requireRecord, restoreRecord, updateRecord } from './records.js';
import type { RequestLog } from './request-log.js';
import { objectType, wrap, type Handler, type HttpMethod } from './routes/common.js';
import { createSubscription, renderSubscription, setWebhookSettings } from './routes/webhook-settings.js';
import type { SimClock } from './sim-clock.js';
import { parseSeedSpec, seedPortal } from './bulk-seed.js';
import { injectDrift, lastInjectedDrift, parseDriftSpec } from './drift.js';
import { DAY_MS } from './rate-limit.js';

export interface ControlDeps {
  ctx: SimContext;
  clock: SimClock;
  faults: Faults;
  log: RequestLog;
  reset(opts?: { seedDemo?: boolean }): void;
}

const clockSchema = z.union([
  z.object({ advanceMs: z.number().nonnegative() }).strict(),
  z.object({ setTo: z.union([z.number().int(), z.iso.datetime({ offset: true })]) }).strict(),
]);

const resetSchema = z.object({ seedDemo: z.boolean().optional() });
const bulkSchema = z.object({ count: z.number().int().min(1).max(100_000), properties: z.record(z.string(), z.string()).optional() });

const uiEditSchema = z.object({
  objectType: z.string(),
  action: z.enum(['create', 'update', 'archive', 'restore', 'merge']).default('update'),
  objectId: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  /** action=merge: the record merged into `objectId`. */
  mergeObjectId: z.string().optional(),
  /** HubSpot user id shown in `sourceId` (`userId:N`). */
  userId: z.number().int().optional(),
});
export type UiEdit = z.input<typeof uiEditSchema>;

export const DEFAULT_UI_USER_ID = 1_000_001;

/** Applies a simulated HubSpot UI edit; events carry `changeSource: "CRM_UI"`, `sourceId: "userId:N"`. */
export function applyUiEdit(ctx: SimContext, raw: unknown): Record<string, unknown> {
  const parsed = uiEditSchema.safeParse(raw);
  if (!parsed.success) throw validation(`invalid ui-edit: ${parsed.error.message}`);
  const e = parsed.data;
  const type = objectType(ctx, e.objectType);
  const source: ChangeSource = { changeSource: 'CRM_UI', sourceId: `userId:${e.userId ?? DEFAULT_UI_USER_ID}` };
  switch (e.action) {
    case 'create':
    {
      const r = createRecord(ctx, type, e.properties ?? {}, source);
      return renderRecord(ctx, type, r, { properties: Object.keys(r.properties) });
    }
    case 'update':
    {
      const r = updateRecord(ctx, type, requireRecord(ctx, type, e.objectId ?? ''), e.properties ?? {}, source);
      return renderRecord(ctx, type, r, { properties: Object.keys(r.properties) });
    }
    case 'archive': {
      const r = requireRecord(ctx, type, e.objectId ?? '');
      archiveRecord(ctx, type, r, source);
      return renderRecord(ctx, type, r);
    }
    case 'restore': {
      const r = findRecord(ctx, type, e.objectId ?? '', undefined, true);
      if (!r) throw notFound();
      restoreRecord(ctx, type, r, source);
      return renderRecord(ctx, type, r);
    }
    case 'merge':
      return renderRecord(ctx, type, mergeRecords(ctx, type, requireRecord(ctx, type, e.objectId ?? ''), requireRecord(ctx, type, e.mergeObjectId ?? ''), source));
  }
}

export function registerControlRoutes(app: FastifyInstance, deps: ControlDeps): void {
  const { ctx, faults, log } = deps;
  const route = (method: HttpMethod, url: string, handler: Handler) => app.route({ method, url, handler: wrap(handler) });
  const q = (req: { query: unknown }) => (req.query ?? {}) as Record<string, string | undefined>;

  route('GET', '/__sim/health', () => ({ ok: true, portalId: ctx.opts.portalId, appId: ctx.opts.appId }));
  route('GET', '/__sim/config', () => ({ ...ctx.opts, clientSecret: '(set)', tokens: ctx.opts.tokens ? Object.keys(ctx.opts.tokens) : undefined }));
  route('GET', '/__sim/state', () => ctx.state);

  route('POST', '/__sim/reset', (req) => {
    const b = resetSchema.safeParse(req.body ?? {});
    if (!b.success) throw validation(`invalid reset: ${b.error.message}`);
    deps.reset({ seedDemo: b.data.seedDemo });
    return { ok: true };
  });

  route('POST', '/__sim/ui-edit', (req) => applyUiEdit(ctx, req.body));

  const clockView = () => {
    const now = deps.clock.now();
    const dayMs = deps.clock.scale(DAY_MS);
    return { now, iso: new Date(now).toISOString(), offsetMs: deps.clock.offsetMs(), timeScale: ctx.opts.timeScale, nextDailyResetAt: new Date((Math.floor(now / dayMs) + 1) * dayMs).toISOString() };
  };
  route('GET', '/__sim/clock', clockView);
  route('POST', '/__sim/clock', (req) => {
    const parsed = clockSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw validation(`invalid clock change: send {"advanceMs": n} or {"setTo": epochMs | ISO}: ${parsed.error.message}`);
    const c = parsed.data;
    const target = 'advanceMs' in c ? deps.clock.now() + c.advanceMs : typeof c.setTo === 'number' ? c.setTo : Date.parse(c.setTo);
    if (target < deps.clock.now()) throw validation('the clock only moves forward (timestamps already written must not lie in the future)');
    deps.clock.set(target);
    return clockView();
  });

  route('POST', '/__sim/seed', (req) => seedPortal(ctx, parseSeedSpec(req.body ?? {})));
  route('POST', '/__sim/drift', (req) => {
    const { seed, ...spec } = (req.body ?? {}) as { seed?: unknown };
    return injectDrift(ctx, parseDriftSpec(spec), typeof seed === 'number' ? seed : 1);
  });
  route('GET', '/__sim/drift', () => {
    const d = lastInjectedDrift(ctx);
    if (!d) throw notFound('no drift has been injected since the last reset');
    return d;
  });

  route('GET', '/__sim/faults', () => ({ results: faults.list() }));
  route('POST', '/__sim/faults', (req, reply) => {
    const items = Array.isArray(req.body) ? (req.body as unknown[]) : [req.body];
    const rules = items.map((i) => {
      const r = faultRuleSchema.safeParse(i);
      if (!r.success) throw validation(`invalid fault rule: ${r.error.message}`);
      return faults.add(r.data);
    });
    void reply.code(201);
    return { results: rules };
  });
  route('DELETE', '/__sim/faults', (_req, reply) => {
    faults.clear();
    return reply.code(204).send();
  });

  route('GET', '/__sim/requests', (req) => {
    const f = q(req);
    return { results: log.list({ sinceSeq: f.since === undefined ? undefined : Number(f.since), pathPrefix: f.pathPrefix, method: f.method }) };
  });
  route('DELETE', '/__sim/requests', (_req, reply) => {
    log.clear();
    return reply.code(204).send();
  });

  route('GET', '/__sim/webhooks/settings', () => ctx.state.webhookSettings ?? {});
  route('PUT', '/__sim/webhooks/settings', (req) => {
    setWebhookSettings(ctx, (req.body ?? {}));
    return ctx.state.webhookSettings;
  });
  route('GET', '/__sim/webhooks/subscriptions', () => ({ results: Object.values(ctx.state.subscriptions).map(renderSubscription) }));
  route('POST', '/__sim/webhooks/subscriptions', (req, reply) => {
    const items = Array.isArray(req.body) ? (req.body as unknown[]) : [req.body];
    const results = items.map((i) => renderSubscription(createSubscription(ctx, (i ?? {}) as Parameters<typeof createSubscription>[1])));
    void reply.code(201);
    return { results };
  });
  route('DELETE', '/__sim/webhooks/subscriptions', (_req, reply) => {
    ctx.state.subscriptions = {};
    ctx.changed();
    return reply.code(204).send();
  });
  route('GET', '/__sim/webhooks/deliveries', () => ({ results: ctx.webhooks.deliveries() }));
  route('POST', '/__sim/webhooks/flush', () => ctx.webhooks.drain().then((idle) => ({ idle })));

  /** Inserts `count` records directly (no events, no limits): for 10,000-result search tests. */
  route('POST', '/__sim/objects/:objectType/bulk', (req) => {
    const type = objectType(ctx, (req.params as Record<string, string>).objectType);
    const parsed = bulkSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw validation(`invalid bulk insert: count must be 1..100000, properties string values: ${parsed.error.message}`);
    const b = parsed.data;
    const count = b.count;
    const bucket = recordsOf(ctx, type);
    const now = new Date(ctx.clock.now()).toISOString();
    const first = ctx.state.nextId;
    for (let i = 0; i < count; i++) {
      const id = String(ctx.state.nextId++);
      const props = Object.fromEntries(Object.entries(b.properties ?? {}).map(([k, v]) => [k, v.replaceAll('{i}', String(i))]));
      const r = { id, properties: { ...props, hs_object_id: id, createdate: now, [type.lastModifiedProperty]: now }, createdAt: now, updatedAt: now, archived: false };
      bucket[id] = r;
      ctx.index.put(type.objectTypeId, r);
      ctx.search.put(type.objectTypeId, id, r);
    }
    ctx.changed();
    return { created: count, firstId: String(first), lastId: String(ctx.state.nextId - 1) };
  });
}
