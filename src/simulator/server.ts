/**
 * `startSimulator()`: builds the Fastify app, wires state, limits, faults, auth, webhooks and
 * routes, and listens. Request pipeline for API paths (everything but `/__sim/`):
 *   fault injection → auth (401) → rate limits (429 + headers) → route (403 scopes, 400, 404, ...)
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { authenticate } from './auth.js';
import type { ResolvedOptions, SimContext, TokenConfig } from './context.js';
import { SimClock } from './sim-clock.js';
import { RecordIndex } from './record-index.js';
import { applyUiEdit, registerControlRoutes, type UiEdit } from './control.js';
import { HubSpotError } from './errors.js';
import { Faults, type FaultRule, type FaultRuleInput } from './faults.js';
import { RateLimiter } from './rate-limit.js';
import { RequestLog, type RequestLimit, type RequestLogEntry } from './request-log.js';
import { registerAssociationRoutes } from './routes/associations.js';
import { registerAssociationLabelRoutes } from './routes/association-labels.js';
import { registerBatchRoutes } from './routes/batch.js';
import { registerObjectRoutes } from './routes/objects.js';
import { registerPipelineRoutes } from './routes/pipelines.js';
import { registerPropertyRoutes } from './routes/properties.js';
import { registerSchemaRoutes } from './routes/schemas.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerTimelineRoutes } from './routes/timeline.js';
import { createSubscription, registerWebhookSettingsRoutes, setWebhookSettings } from './routes/webhook-settings.js';
import { SearchIndex } from './search-index.js';
import { seedDemoPortal } from './seed.js';
import { parseSeedSpec, seedPortal, type SeedReport, type SeedSpec } from './bulk-seed.js';
import { injectDrift, parseDriftSpec, type DriftReport, type DriftSpec } from './drift.js';
import { emptyState, loadState, saveState, type PortalState } from './state.js';
import { WebhookEmitter, type DeliveryAttempt } from './webhooks/emitter.js';

export interface SimulatorOptions {
  /** TCP port; 0 (default) picks a random free port. */
  port?: number;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** HubSpot account id (`portalId` in webhooks, `p{portalId}_name` for custom objects). */
  portalId?: number;
  /** App id (`appId` in webhooks; `sourceId` of API changes; `/webhooks/v3/{appId}`). */
  appId?: number;
  /** App client secret used to sign webhooks (v1 and v3). */
  clientSecret?: string;
  /** Requests per rolling burst window per app (default 100; Pro/Enterprise private apps: 190). */
  burstLimit?: number;
  /** Burst window in ms before time scaling (default 10,000). */
  burstWindowMs?: number;
  /** Requests per day per account (default 250,000). */
  dailyLimit?: number;
  /** Search requests per second per account (default 5). */
  searchPerSecond?: number;
  /** Multiplies every window, delay and back-off (default 1; 0.01 = 100x faster). */
  timeScale?: number;
  /** Delay (ms, time-scaled) before writes become visible to search (default 0). */
  searchIndexLagMs?: number;
  /** Seed the demo portal at start and on reset (default false). */
  seedDemo?: boolean;
  /** Persist state to this JSON file (loaded at start, written after changes). */
  stateFile?: string;
  /** Restrict accepted bearer tokens and their scopes. Default: any non-empty token, all scopes. */
  tokens?: Record<string, TokenConfig>;
  /** In default token mode, tokens with this prefix are OAuth (public app) tokens (default `oauth-`). */
  oauthTokenPrefix?: string;
  /** Expose `/__sim/...` (default false in-process; the CLI turns it on). */
  enableControlApi?: boolean;
  /** Fastify request logging (default false). */
  logger?: boolean;
  /** Webhook batching delay in ms before time scaling (default 500). */
  webhookBatchDelayMs?: number;
  /** Webhook delivery timeout in ms (default 5,000 as documented; time-scaled, never below 1,000). */
  webhookTimeoutMs?: number;
  /** Retries after the first delivery attempt (default 10, as documented). */
  webhookMaxRetries?: number;
  /** False: the portal has no access to invoices (0-53); its endpoints answer 403 (default true). */
  invoicesEnabled?: boolean;
}

export interface RunningSimulator {
  url: string;
  port: number;
  portalId: number;
  appId: number;
  clientSecret: string;
  close(): Promise<void>;
  /** Clears state (re-seeds when asked or when `seedDemo`), limits, faults, logs and webhooks. */
  reset(opts?: { seedDemo?: boolean }): void;
  /** Requests that reached the API (not `/__sim`), oldest first. */
  requestLog(filter?: { sinceSeq?: number; pathPrefix?: string; method?: string }): RequestLogEntry[];
  clearRequestLog(): void;
  addFault(rule: FaultRuleInput): FaultRule;
  clearFaults(): void;
  /** Sets the webhook target URL and (optionally) replaces subscriptions. */
  configureWebhooks(targetUrl: string, subscriptions?: { eventType: string; propertyName?: string; objectTypeId?: string }[]): void;
  webhookDeliveries(): DeliveryAttempt[];
  /** Flushes queued webhook events and waits until delivered (or retries exhausted). */
  drainWebhooks(timeoutMs?: number): Promise<boolean>;
  /** Simulated HubSpot UI edit (`CRM_UI` change source). */
  uiEdit(edit: UiEdit): Record<string, unknown>;
  state(): PortalState;
  /** Bulk-inserts records with associations, optionally injecting drift (see README "Bulk seeding"). */
  seed(spec: SeedSpec): SeedReport;
  /** Injects drift into the records that exist (see README "Bulk seeding"). */
  drift(spec: DriftSpec, seed?: number): DriftReport;
  /** HubSpot time: read it, move it forward by `ms`, or set it (never backward). */
  readonly clock: { now(): number; advance(ms: number): void; set(epochMs: number): void };
  readonly options: ResolvedOptions;
}

declare module 'fastify' {
  interface FastifyRequest {
    simRawBody?: string;
    simResBytes?: number;
    simFault?: string;
  }
}

export const defaultSimulatorOptions = {
  port: 0, host: '127.0.0.1', portalId: 1234567, appId: 7654321, clientSecret: 'sim-client-secret',
  burstLimit: 100, burstWindowMs: 10_000, dailyLimit: 250_000, searchPerSecond: 5, timeScale: 1, searchIndexLagMs: 0,
  seedDemo: false, oauthTokenPrefix: 'oauth-', enableControlApi: false, logger: false,
  webhookBatchDelayMs: 500, webhookTimeoutMs: 5_000, webhookMaxRetries: 10, invoicesEnabled: true,
} as const;

/** Default hold time for a `timeout` fault before the socket is closed (not time-scaled). */
const TIMEOUT_FAULT_HOLD_MS = 60_000;
const PERSIST_DEBOUNCE_MS = 200;
const FAULT_BODIES: Record<number, [string, string]> = {
  423: ['LOCKED', 'The resource is locked. Locks last for 2 seconds; retry after a delay of at least 2 seconds.'],
  477: ['MIGRATION_IN_PROGRESS', 'This account is being migrated between data centers. Retry after the Retry-After delay.'],
  500: ['INTERNAL_ERROR', 'internal error'],
  502: ['BAD_GATEWAY', 'Bad gateway'],
  503: ['SERVICE_UNAVAILABLE', 'Service unavailable'],
  504: ['GATEWAY_TIMEOUT', 'Gateway timeout'],
};

export function resolveOptions(o: SimulatorOptions = {}): ResolvedOptions {
  const d = defaultSimulatorOptions;
  const r: ResolvedOptions = {
    port: o.port ?? d.port, host: o.host ?? d.host, portalId: o.portalId ?? d.portalId, appId: o.appId ?? d.appId,
    clientSecret: o.clientSecret ?? d.clientSecret, burstLimit: o.burstLimit ?? d.burstLimit, burstWindowMs: o.burstWindowMs ?? d.burstWindowMs,
    dailyLimit: o.dailyLimit ?? d.dailyLimit, searchPerSecond: o.searchPerSecond ?? d.searchPerSecond, timeScale: o.timeScale ?? d.timeScale,
    searchIndexLagMs: o.searchIndexLagMs ?? d.searchIndexLagMs, seedDemo: o.seedDemo ?? d.seedDemo, stateFile: o.stateFile,
    tokens: o.tokens, oauthTokenPrefix: o.oauthTokenPrefix ?? d.oauthTokenPrefix, enableControlApi: o.enableControlApi ?? d.enableControlApi,
    logger: o.logger ?? d.logger, webhookBatchDelayMs: o.webhookBatchDelayMs ?? d.webhookBatchDelayMs,
    webhookTimeoutMs: o.webhookTimeoutMs ?? d.webhookTimeoutMs, webhookMaxRetries: o.webhookMaxRetries ?? d.webhookMaxRetries,
    invoicesEnabled: o.invoicesEnabled ?? d.invoicesEnabled,
  };
  if (!(r.timeScale > 0)) throw new Error('timeScale must be > 0');
  if (r.clientSecret === '') throw new Error('clientSecret must not be empty');
  return r;
}

function isSearch(req: FastifyRequest): boolean {
  return req.method === 'POST' && /^\/crm\/(v3\/objects|objects\/2026-03)\/[^/]+\/search(\?|$)/.test(req.url);
}

/** The limit a request counts toward: search has its own (5 per second), everything else the burst window. */
const limitOf = (req: FastifyRequest): RequestLimit => (isSearch(req) ? 'search' : 'burst');

/** A page answer (`results: [...]`) whose first record has a property value no schema accepts (a number); other answers as they are. */
function corruptFirstRecord(payload: string): string {
  const body = JSON.parse(payload) as { results?: Array<{ properties?: Record<string, unknown> }> };
  const first = body.results?.[0];
  if (!first) return payload;
  first.properties = { ...first.properties, hs_corrupted: 42 };
  return JSON.stringify(body);
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const opts = resolveOptions(options);
  const clock = new SimClock(opts.timeScale);
  const faults = new Faults();
  const log = new RequestLog();
  const limiter = new RateLimiter(opts, clock);
  const sockets = new Set<Socket>();
  const holds = new Set<NodeJS.Timeout>();
  let persistTimer: NodeJS.Timeout | undefined;

  const loaded = opts.stateFile ? loadState(opts.stateFile) : undefined;
  const ctx: SimContext = {
    opts, clock,
    state: loaded ?? emptyState(),
    search: new SearchIndex(clock, () => (opts.searchIndexLagMs > 0 ? clock.scale(opts.searchIndexLagMs) : 0)),
    webhooks: undefined as unknown as WebhookEmitter,
    index: undefined as unknown as RecordIndex,
    changed: () => {
      if (!opts.stateFile || persistTimer) return;
      persistTimer = setTimeout(() => {
        persistTimer = undefined;
        if (opts.stateFile) saveState(opts.stateFile, ctx.state);
      }, PERSIST_DEBOUNCE_MS);
    },
  };
  ctx.webhooks = new WebhookEmitter({ state: () => ctx.state, opts, clock, faults });
  ctx.index = new RecordIndex(() => ctx.state);
  const reindex = () => {
    ctx.index.rebuild();
    ctx.search.clear();
    for (const [typeId, bucket] of Object.entries(ctx.state.objects)) for (const r of Object.values(bucket)) if (!r.archived) ctx.search.put(typeId, r.id, r);
  };
  const reset = (o: { seedDemo?: boolean } = {}) => {
    ctx.webhooks.reset();
    ctx.state = emptyState();
    clock.reset();
    ctx.index.rebuild();
    ctx.search.clear();
    limiter.reset();
    faults.clear();
    log.clear();
    if (o.seedDemo ?? opts.seedDemo) seedDemoPortal(ctx);
    ctx.changed();
  };
  if (loaded) reindex();
  else if (opts.seedDemo) seedDemoPortal(ctx);

  const app: FastifyInstance = Fastify({ logger: opts.logger, bodyLimit: 10 * 1024 * 1024 });
  app.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, raw, done) => {
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    req.simRawBody = text;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new HubSpotError(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1: ${err instanceof Error ? err.message : String(err)}`), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/__sim')) {
      if (!opts.enableControlApi) throw new HubSpotError(404, 'OBJECT_NOT_FOUND', 'control API disabled');
      return;
    }
    void reply.header('X-HubSpot-Correlation-Id', randomUUID());
    const fault = faults.takeApi(req.method, req.url.split('?')[0] ?? '');
    if (fault) {
      const handled = await applyFault(req, reply, fault);
      if (handled) return reply;
    }
    req.simAuth = authenticate(req, opts);
    const decision = isSearch(req) ? limiter.checkSearch() : limiter.check(req.simAuth.token, req.simAuth.kind === 'oauth');
    void reply.headers(decision.headers);
    if (!decision.ok) return reply.code(429).send(decision.body);
    return undefined;
  });

  async function applyFault(req: FastifyRequest, reply: FastifyReply, f: FaultRule): Promise<boolean> {
    switch (f.kind) {
      case 'latency':
        req.simFault = 'latency';
        await clock.sleep(f.latencyMs ?? 1_000);
        return false;
      case 'drop-response':
        // Carried out like any request; onSend then destroys the socket instead of answering.
        req.simFault = 'drop-response';
        return false;
      case 'corrupt-record':
        // Carried out like any request; onSend then spoils the answer's first record.
        req.simFault = 'corrupt-record';
        return false;
      case 'drop':
        req.simFault = 'drop';
        log.push({ at: new Date().toISOString(), atMs: Date.now(), method: req.method, path: req.url, limit: limitOf(req), status: 0, requestBytes: Number(req.headers['content-length'] ?? 0), responseBytes: 0, durationMs: 0, fault: 'drop' });
        reply.hijack();
        req.raw.socket.destroy();
        return true;
      case 'timeout': {
        req.simFault = 'timeout';
        log.push({ at: new Date().toISOString(), atMs: Date.now(), method: req.method, path: req.url, limit: limitOf(req), status: 0, requestBytes: Number(req.headers['content-length'] ?? 0), responseBytes: 0, durationMs: 0, fault: 'timeout' });
        reply.hijack();
        const t = setTimeout(() => {
          holds.delete(t);
          req.raw.socket.destroy();
        }, f.latencyMs ?? TIMEOUT_FAULT_HOLD_MS);
        holds.add(t);
        return true;
      }
      case 'status': {
        const status = f.status ?? 503;
        req.simFault = `status:${status}`;
        if (f.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(f.retryAfterSeconds));
        else if (status === 477) void reply.header('Retry-After', '60');
        if (status === 429) {
          const policy = f.policy ?? 'TEN_SECONDLY_ROLLING';
          const body = policy === 'SECONDLY'
            ? { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID() }
            : { status: 'error', message: policy === 'DAILY' ? 'You have reached your daily limit.' : 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: policy };
          await reply.code(429).send(body);
          return true;
        }
        const [category, message] = FAULT_BODIES[status] ?? ['INTERNAL_ERROR', `Injected ${status}`];
        await reply.code(status).send({ status: 'error', message, correlationId: randomUUID(), category });
        return true;
      }
      case 'webhook-drop':
      case 'webhook-duplicate':
      case 'webhook-reorder':
        return false;
    }
  }

  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.simFault === 'drop-response') {
      log.push({ at: new Date().toISOString(), atMs: Date.now(), method: req.method, path: req.url, limit: limitOf(req), status: 0, requestBytes: Number(req.headers['content-length'] ?? 0), responseBytes: 0, durationMs: 0, body: req.body, fault: 'drop-response' });
      req.raw.socket.destroy();
    }
    const answer = req.simFault === 'corrupt-record' && typeof payload === 'string' ? corruptFirstRecord(payload) : payload;
    req.simResBytes = typeof answer === 'string' ? Buffer.byteLength(answer) : Buffer.isBuffer(answer) ? answer.length : 0;
    return answer;
  });

  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/__sim') || req.simFault === 'drop-response') return;
    const elapsed = reply.elapsedTime;
    log.push({
      at: new Date(Date.now() - elapsed).toISOString(), atMs: Math.round(Date.now() - elapsed), method: req.method, path: req.url, limit: limitOf(req),
      status: reply.statusCode, requestBytes: req.simRawBody !== undefined ? Buffer.byteLength(req.simRawBody) : Number(req.headers['content-length'] ?? 0),
      responseBytes: req.simResBytes ?? 0, durationMs: Math.round(elapsed), body: req.body, ...(req.simFault ? { fault: req.simFault } : {}),
    });
  });

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof HubSpotError) return reply.code(err.statusCode).send(err.toBody());
    const e = err as { statusCode?: number; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ status: 'error', message: e.message ?? 'Bad request', correlationId: randomUUID(), category: 'VALIDATION_ERROR' });
    }
    app.log.error(err);
    return reply.code(500).send({ status: 'error', message: 'internal error', correlationId: randomUUID(), category: 'INTERNAL_ERROR' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ status: 'error', message: `Unable to route ${req.method} ${req.url.split('?')[0]}`, correlationId: randomUUID(), category: 'OBJECT_NOT_FOUND' }));

  registerObjectRoutes(app, ctx);
  registerBatchRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  registerPropertyRoutes(app, ctx);
  registerSchemaRoutes(app, ctx);
  registerAssociationRoutes(app, ctx);
  registerAssociationLabelRoutes(app, ctx);
  registerPipelineRoutes(app, ctx);
  registerTimelineRoutes(app, ctx);
  registerWebhookSettingsRoutes(app, ctx);
  if (opts.enableControlApi) registerControlRoutes(app, { ctx, clock, faults, log, reset });

  await app.listen({ port: opts.port, host: opts.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;

  return {
    url, port, portalId: opts.portalId, appId: opts.appId, clientSecret: opts.clientSecret, options: opts,
    async close() {
      ctx.webhooks.close();
      for (const t of holds) clearTimeout(t);
      holds.clear();
      for (const s of sockets) s.destroy();
      if (persistTimer) clearTimeout(persistTimer);
      if (opts.stateFile) saveState(opts.stateFile, ctx.state);
      await app.close();
    },
    reset,
    requestLog: (filter) => log.list(filter),
    clearRequestLog: () => log.clear(),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    configureWebhooks(targetUrl, subscriptions) {
      setWebhookSettings(ctx, { targetUrl });
      if (subscriptions) {
        ctx.state.subscriptions = {};
        for (const s of subscriptions) createSubscription(ctx, s);
      }
    },
    webhookDeliveries: () => ctx.webhooks.deliveries(),
    drainWebhooks: (timeoutMs) => ctx.webhooks.drain(timeoutMs),
    uiEdit: (edit) => applyUiEdit(ctx, edit),
    state: () => ctx.state,
    seed: (spec) => seedPortal(ctx, parseSeedSpec(spec)),
    drift: (spec, seed) => injectDrift(ctx, parseDriftSpec(spec), seed),
    clock: { now: () => clock.now(), advance: (ms) => clock.advance(ms), set: (epochMs) => clock.set(epochMs) },
  };
}
