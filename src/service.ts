import type { FastifyInstance } from 'fastify';

import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { readMigrations } from './db/migrate.js';
import { buildApp } from './http/build-app.js';
import { createMetricsRegistry } from './http/metrics.js';
import { connectHubSpot, type HubSpotConnection, provisionAtStart } from './hubspot-connection.js';
import type { ApiRoute } from './http/route.js';
import { accountRoutes } from './http/routes/accounts.js';
import { auditRoutes } from './http/routes/audit.js';
import { campaignRoutes } from './http/routes/campaigns.js';
import { conflictRoutes } from './http/routes/conflicts.js';
import { deadLetterRoutes } from './http/routes/dead-letters.js';
import { keyRoutes } from './http/routes/keys.js';
import { numberRoutes } from './http/routes/numbers.js';
import { syncRoutes } from './http/routes/sync.js';
import { trunkRoutes } from './http/routes/trunks.js';
import { userRoutes } from './http/routes/users.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import type { Logger } from './lib/logger.js';
import { SERVICE_VERSION } from './lib/version.js';
import { startOnboarding } from './store/onboardings.js';
import { type SyncJobRunner, startSyncJobRunner } from './sync/inbound/customer-sync.js';
import { crmReaderFromGateway } from './sync/inbound/gateway-reader.js';
import { createInboundHooks } from './sync/inbound/hooks.js';
import { type InboxWorkers, startInboxWorkers } from './sync/inbound/inbox-worker.js';
import { createInboundMetrics } from './sync/inbound/metrics.js';
import { createWebhookAuthenticator } from './sync/inbound/webhook-auth.js';
import { closedWonStagesFrom } from './sync/onboarding/closed-won.js';
import { smtpWelcomeMailer } from './sync/onboarding/mailer.js';
import { type OnboardingRunner, startOnboardingRunner } from './sync/onboarding/onboarding.js';
import { registerOutboundMetrics } from './sync/outbound/metrics.js';
import { startOutboundSync } from './sync/outbound/outbound-sync.js';
import { applyCreditLimit } from './warp/account-rules.js';
import { queueCompanyWriteBack } from './warp/accounts.js';
import { valueOf } from './warp/result.js';
import { queueUserWriteBack } from './warp/users.js';

/**
 * The composition root: builds every part from the config and wires them together. `main.ts`
 * adds the process concerns (listening, signals); tests call this directly with a test database.
 */
export interface Service {
  app: FastifyInstance;
  db: Database;
  /** The HubSpot gateway and which HubSpot it talks to (the bundled simulator without a token). */
  hubspot: HubSpotConnection;
  /** Webhook inbox workers (inbound sync). */
  inbox: InboxWorkers;
  /** Import/reconcile jobs behind /sync/customers. */
  jobs: SyncJobRunner;
  /** Onboarding of won deals. */
  onboarding: OnboardingRunner;
  /** The `/api/v1` route table (what the OpenAPI document and the typed test client are built from). */
  routes: readonly ApiRoute[];
  /** Stops accepting requests, waits for in-flight ones, stops workers and the simulator, closes the database. */
  close(): Promise<void>;
}

export async function createService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase(config.database, logger);
  let hubspot: HubSpotConnection | undefined;
  // Background loops, stopped in reverse order of start.
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop();
  };
  try {
    const metrics = createMetricsRegistry();
    hubspot = await connectHubSpot(config.hubspot, { pool: db.pool, logger, metrics });
    if (config.hubspot.provisionAtStart) await provisionAtStart(hubspot.gateway, logger);
    const { gateway, simulator } = hubspot;
    // With the bundled simulator, its app id and secret are ours: its webhooks verify, our writes are echoes.
    const appId = config.hubspot.appId ?? (simulator ? String(simulator.appId) : undefined);
    const clientSecret = config.hubspot.clientSecret ?? simulator?.clientSecret;

    // Inbound sync: webhook inbox → cache, with dependent updates and onboarding as hooks.
    const closedWon = closedWonStagesFrom(gateway, logger);
    // The onboarding runner is created after the hooks that wake it.
    const runners: { onboarding?: OnboardingRunner } = {};
    const hooks = createInboundHooks({
      pushCompanyProperties: queueCompanyWriteBack,
      pushUser: queueUserWriteBack,
      onCreditLimitChange: async (tx, ban) => {
        valueOf(await applyCreditLimit({ tx }, ban));
      },
      onDealStageChange: async (tx, deal) => {
        const stage = deal.values['stage'];
        if (!stage || !(await closedWon.isClosedWon(stage))) return;
        if (await startOnboarding(tx, deal.hubspotId, deal.values['hubspot_company_id'] ?? null)) runners.onboarding?.wake();
      },
    });
    const inbox = startInboxWorkers({
      pool: db.pool,
      logger,
      hooks,
      reader: crmReaderFromGateway(gateway, 'realtime'),
      appId,
      metrics: createInboundMetrics(metrics, db.pool),
      ...config.inbox,
    });
    stoppers.push(() => inbox.stop());
    const jobs = startSyncJobRunner({ pool: db.pool, logger, reader: crmReaderFromGateway(gateway, 'backfill'), hooks, pollIntervalMs: config.inbox.pollIntervalMs * 4 });
    stoppers.push(() => jobs.stop());
    const onboardingRunner = startOnboardingRunner({
      pool: db.pool,
      logger,
      hubspot: gateway,
      reader: crmReaderFromGateway(gateway, 'realtime'),
      hooks,
      mailer: config.smtp.url ? smtpWelcomeMailer(config.smtp.url, config.smtp.from) : undefined,
      pollIntervalMs: config.inbox.pollIntervalMs * 4,
      maxAttempts: config.inbox.maxAttempts,
    });
    stoppers.push(() => onboardingRunner.stop());
    runners.onboarding = onboardingRunner;

    const routes: ApiRoute[] = [
      ...keyRoutes(db.pool),
      ...accountRoutes(db.pool),
      ...trunkRoutes(db.pool),
      ...numberRoutes(db.pool),
      ...userRoutes(db.pool),
      ...campaignRoutes(db.pool),
      ...deadLetterRoutes(db.pool),
      ...conflictRoutes(db.pool),
      ...auditRoutes(db.pool),
      ...syncRoutes({ pool: db.pool, onQueued: () => jobs.wake() }),
      ...webhookRoutes({
        db: db.pool,
        authenticator: clientSecret ? createWebhookAuthenticator({ clientSecret, ...config.webhooks }) : undefined,
        bodyLimitBytes: config.webhooks.bodyLimitBytes,
        onAccepted: () => inbox.wake(),
      }),
    ];
    const expectedMigrations = (await readMigrations()).map((m) => m.version);
    const app = await buildApp({
      pool: db.pool,
      logger,
      metrics,
      bodyLimitBytes: config.http.bodyLimitBytes,
      expectedMigrations,
      version: SERVICE_VERSION,
      routes,
    });
    const connection = hubspot;
    // Workers finish their in-flight batch before the HubSpot connection and the pool close.
    const outbound = startOutboundSync({ pool: db.pool, gateway: connection.gateway, logger, config: config.outbound });
    registerOutboundMetrics(metrics, db.pool);
    stoppers.push(() => outbound.stop());
    return {
      app,
      db,
      hubspot: connection,
      inbox,
      jobs,
      onboarding: onboardingRunner,
      routes,
      close: async () => {
        await app.close();
        await stopAll();
        await connection.close();
        await db.close();
      },
    };
  } catch (error) {
    await stopAll();
    await hubspot?.close();
    await db.close();
    throw error;
  }
}
