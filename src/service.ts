import { randomBytes } from 'node:crypto';

import type { FastifyInstance } from 'fastify';

import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { readMigrations } from './db/migrate.js';
import { withSessionLock } from './db/locks.js';
import { buildApp } from './http/build-app.js';
import type { ApiRoute } from './http/route.js';
import { accountRoutes } from './http/routes/accounts.js';
import { auditRoutes } from './http/routes/audit.js';
import { campaignRoutes } from './http/routes/campaigns.js';
import { conflictRoutes } from './http/routes/conflicts.js';
import { deadLetterRoutes } from './http/routes/dead-letters.js';
import { keyRoutes } from './http/routes/keys.js';
import { numberRoutes } from './http/routes/numbers.js';
import { scheduleRoutes } from './http/routes/schedules.js';
import { reconcileRoutes } from './http/routes/reconcile.js';
import { syncRoutes } from './http/routes/sync.js';
import { trunkRoutes } from './http/routes/trunks.js';
import { revenueRoutes } from './http/routes/revenue.js';
import { usageRoutes } from './http/routes/usage.js';
import { supportRoutes } from './http/routes/support.js';
import { userRoutes } from './http/routes/users.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { connectHubSpot, type HubSpotConnection, provisionAtStart } from './hubspot/connection.js';
import { openGate, type ProvisioningGate, provisioningGate } from './hubspot/provisioning-gate.js';
import type { Logger } from './lib/logger.js';
import { createMetricsRegistry } from './lib/metrics.js';
import { SERVICE_VERSION } from './lib/version.js';
import { createNotifier } from './queue/notifier.js';
import { INBOX_QUEUE } from './queue/tables.js';
import { SCHEDULES } from './schedules/catalogue.js';
import { resolveSchedules } from './schedules/runtime.js';
import { startBundledSimulator } from './simulator/bundled.js';
import type { RunningSimulator } from './simulator/server.js';
import { createRateBudgetStore } from './store/rate-budget.js';
import { createInboundHooks } from './sync/inbound/hooks.js';
import { inboundWebhookSubscriptions } from './sync/inbound/subscriptions.js';
import { createWebhookAuthenticator } from './sync/inbound/webhook-auth.js';
import { closedWonStagesFrom } from './sync/onboarding/closed-won.js';
import { dealWonTrigger } from './sync/onboarding/trigger.js';
import { registerOutboundMetrics } from './sync/outbound/metrics.js';
import { applyCreditLimit } from './warp/account-rules.js';
import { queueCompanyWriteBack } from './warp/accounts.js';
import { valueOf } from './warp/result.js';
import { queueUserWriteBack } from './warp/users.js';
import { type BackgroundWork, startBackgroundWork } from './worker.js';

/**
 * The composition root: builds every part from the config and wires them together, for the
 * process role in `config.role` (README "Process roles"): `api` serves the HTTP API, `worker` runs
 * the background work (src/worker.ts) and serves only the probes, `all` does both. `listen()`
 * binds the HTTP port; `main.ts` adds the process concerns (signals); tests call this directly.
 */
export interface Service {
  app: FastifyInstance;
  db: Database;
  /** The HubSpot gateway and which HubSpot it talks to (the bundled simulator without a token). */
  hubspot: HubSpotConnection & {
    /** Printed at start, e.g. `simulator at http://127.0.0.1:4010 (demo portal 1234567)`. */
    description: string;
    /** The in-process simulator when no token is set (tests and demos reach its control functions). */
    simulator: RunningSimulator | undefined;
  };
  /** The background loops; undefined in an API-only process. */
  work: BackgroundWork | undefined;
  /** The `/api/v1` route table (what the OpenAPI document and the typed test client are built from). */
  routes: readonly ApiRoute[];
  /** Binds the HTTP port; the bundled simulator then delivers its webhooks there. Returns the address. */
  listen(): Promise<string>;
  /** Stops accepting requests, waits for in-flight ones, stops workers and the simulator, closes the database. */
  close(): Promise<void>;
}

const runsApi = (config: Config): boolean => config.role !== 'worker';
const runsWorkers = (config: Config): boolean => config.role !== 'api';

export async function createService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase(config.database, logger);
  let simulator: RunningSimulator | undefined;
  let hubspot: HubSpotConnection | undefined;
  let work: BackgroundWork | undefined;
  let provisioning: ProvisioningGate | undefined;
  try {
    const metrics = createMetricsRegistry();
    if (!config.hubspot.accessToken) {
      // It signs its webhooks with the secret we verify: the configured one, else a fresh random one
      // per start (never a constant anybody could look up and sign with).
      const clientSecret = config.hubspot.clientSecret ?? randomBytes(24).toString('base64url');
      const { simulatorPort: port, simulatorInvoices: invoices, simulatorStateFile: stateFile, limits } = config.hubspot;
      simulator = await startBundledSimulator({ port, limits, clientSecret, invoices, stateFile }, (port) =>
        logger.warn({ port }, 'simulator port is taken; using a free port instead'),
      );
    }
    hubspot = connectHubSpot(config.hubspot, {
      budgetStore: createRateBudgetStore(db.pool),
      logger,
      metrics,
      simulatorUrl: simulator?.url ?? `http://127.0.0.1:${config.hubspot.simulatorPort}`,
    });
    const { gateway } = hubspot;
    // Provisioning writes to HubSpot: the process that syncs does it, API-only ones never call HubSpot.
    // Instances started together take turns (an advisory lock): the second finds the portal done.
    // Until it has succeeded, the loops that write to HubSpot wait (worker.ts); it is tried again meanwhile.
    provisioning = config.hubspot.provisionAtStart && runsWorkers(config)
      ? await provisioningGate(() => withSessionLock(db.pool, 'hubspot-provisioning', () => provisionAtStart(gateway, logger)), logger)
      : openGate();
    // With the bundled simulator, its app id and secret are ours: its webhooks verify, our writes are echoes.
    const appId = config.hubspot.appId ?? (simulator ? String(simulator.appId) : undefined);
    const clientSecret = config.hubspot.clientSecret ?? simulator?.clientSecret;

    // Inbound sync: webhook inbox → cache, with write-backs, dependent updates and onboarding as hooks.
    const closedWon = closedWonStagesFrom(gateway, logger);
    const hooks = createInboundHooks({
      pushCompanyProperties: queueCompanyWriteBack,
      pushUser: queueUserWriteBack,
      onCreditLimitChange: async (tx, ban) => {
        valueOf(await applyCreditLimit({ tx }, ban));
      },
      onDealStageChange: dealWonTrigger(closedWon),
    });
    const schedules = resolveSchedules(SCHEDULES, config.schedules.cron);
    if (runsWorkers(config)) work = await startBackgroundWork(config, { db, gateway, logger, metrics, hooks, closedWon, appId, schedules, provisioning });
    registerOutboundMetrics(metrics, db.pool);

    // A committed webhook batch wakes the inbox workers here at once, and in every process by NOTIFY.
    const inboxNotifier = createNotifier({ pool: db.pool, channel: INBOX_QUEUE.channel, logger });
    const routes: ApiRoute[] = runsApi(config)
      ? [
          ...keyRoutes(db.pool),
          ...accountRoutes(db.pool),
          ...trunkRoutes(db.pool),
          ...numberRoutes(db.pool),
          ...userRoutes(db.pool),
          ...campaignRoutes(db.pool),
          ...deadLetterRoutes(db.pool),
          ...conflictRoutes(db.pool),
          ...auditRoutes(db.pool),
          ...syncRoutes({ pool: db.pool }),
          ...reconcileRoutes({ pool: db.pool, limits: config.hubspot.limits }),
          ...scheduleRoutes(db.pool, schedules),
          ...usageRoutes({ pool: db.pool, metrics, ...config.usage }),
          ...supportRoutes(db.pool, { customers: config.support.stormCustomers, windowMs: config.support.stormWindowMs }),
          ...revenueRoutes(db.pool),
          ...webhookRoutes({
            db: db.pool,
            authenticator: clientSecret ? createWebhookAuthenticator({ clientSecret, ...config.webhooks }) : undefined,
            bodyLimitBytes: config.webhooks.bodyLimitBytes,
            onAccepted: () => {
              work?.inbox.wake();
              inboxNotifier.notify();
            },
          }),
        ]
      : [];
    const app = await buildApp({
      pool: db.pool,
      logger,
      metrics,
      bodyLimitBytes: config.http.bodyLimitBytes,
      requestTimeoutMs: config.http.requestTimeoutMs,
      tls: config.http.tls,
      metricsToken: config.http.metricsToken,
      expectedMigrations: (await readMigrations()).map((m) => m.version),
      version: SERVICE_VERSION,
      routes,
      ops: runsApi(config)
        ? { pool: db.pool, metrics, schedules, hubspotLimits: config.hubspot.limits, sessionTtlMs: config.ops.sessionTtlMs, secureCookie: config.ops.secureCookie }
        : undefined,
    });
    const connection = hubspot;
    const bundled = simulator;
    const description = bundled
      ? `simulator at ${bundled.url} (demo portal ${bundled.portalId}${config.hubspot.simulatorInvoices ? '' : ', without invoices'}${config.hubspot.simulatorStateFile ? `, kept in ${config.hubspot.simulatorStateFile}` : ''}; set HUBSPOT_ACCESS_TOKEN for a real account)`
      : `${connection.baseUrl} (access token set)`;
    return {
      app,
      db,
      hubspot: { ...connection, description, simulator: bundled },
      work,
      routes,
      listen: async () => {
        const address = await app.listen({ port: config.http.port, host: config.http.host });
        // The bundled simulator sends its webhooks to us, so an edit made in it (its /__sim/ui-edit
        // control) reaches the cache exactly as a HubSpot edit would. A real app's target is set in HubSpot.
        if (runsApi(config)) bundled?.configureWebhooks(webhookTarget(config, address), inboundWebhookSubscriptions());
        return address;
      },
      close: async () => {
        await app.close();
        await inboxNotifier.stop();
        await work?.stop();
        await connection.close();
        await bundled?.close();
        await db.close();
      },
    };
  } catch (error) {
    provisioning?.stop();
    await work?.stop();
    await hubspot?.close();
    await simulator?.close();
    await db.close();
    throw error;
  }
}

/** Where HubSpot (or the bundled simulator) delivers webhooks to this process. */
export function webhookTarget(config: Config, address: string): string {
  return `${config.webhooks.publicBaseUrl ?? address.replace('0.0.0.0', '127.0.0.1')}/api/v1/webhooks/hubspot`;
}
