import type { FastifyInstance } from 'fastify';

import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { readMigrations } from './db/migrate.js';
import { buildApp } from './http/build-app.js';
import { createMetricsRegistry } from './http/metrics.js';
import type { ApiRoute } from './http/route.js';
import { auditRoutes } from './http/routes/audit.js';
import { conflictRoutes } from './http/routes/conflicts.js';
import { keyRoutes } from './http/routes/keys.js';
import { syncRoutes } from './http/routes/sync.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { createHubSpotGateway } from './hubspot/gateway.js';
import type { Logger } from './lib/logger.js';
import { SERVICE_VERSION } from './lib/version.js';
import { type SyncJobRunner, startSyncJobRunner } from './sync/inbound/customer-sync.js';
import { applyCreditLimit } from './sync/inbound/dependent-updates.js';
import { crmReaderFromGateway } from './sync/inbound/gateway-reader.js';
import { createInboundHooks } from './sync/inbound/hooks.js';
import { type InboxWorkers, startInboxWorkers } from './sync/inbound/inbox-worker.js';
import { createWebhookAuthenticator } from './sync/inbound/webhook-auth.js';
import { closedWonStagesFrom } from './sync/onboarding/closed-won.js';
import { smtpWelcomeMailer } from './sync/onboarding/mailer.js';
import { type OnboardingRunner, startOnboardingRunner } from './sync/onboarding/onboarding.js';
import { startOnboarding } from './store/onboardings.js';
import { pushCompanyProperties } from './sync/outbound/warp-changes.js';

/**
 * The composition root: builds every part from the config and wires them together. `main.ts`
 * adds the process concerns (listening, signals); tests call this directly with a test database.
 */
export interface Service {
  app: FastifyInstance;
  db: Database;
  inbox: InboxWorkers;
  /** Import/reconcile runner; undefined without a HubSpot connection. */
  jobs: SyncJobRunner | undefined;
  /** Onboarding of won deals; undefined without a HubSpot connection. */
  onboarding: OnboardingRunner | undefined;
  /** Stops accepting requests, waits for in-flight ones, then closes the database. */
  close(): Promise<void>;
}

export async function createService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase(config.database, logger);
  const stoppers: Array<() => Promise<void>> = [];
  try {
    const { clientSecret, accessToken, baseUrl } = config.hubspot;
    const gateway =
      accessToken && baseUrl
        ? createHubSpotGateway({ baseUrl, accessToken, pool: db.pool, accountKey: `hubspot-app-${config.hubspot.appId ?? 'default'}`, logger })
        : undefined;
    const closedWon = gateway ? closedWonStagesFrom(gateway, logger) : undefined;
    let onboarding: OnboardingRunner | undefined;
    const hooks = createInboundHooks({
      pushCompanyProperties,
      onCreditLimitChange: async (tx, customerId) => {
        await applyCreditLimit(tx, customerId);
      },
      onDealStageChange: async (tx, deal) => {
        const stage = deal.values['stage'];
        if (!closedWon || !stage || !(await closedWon.isClosedWon(stage))) return;
        if (await startOnboarding(tx, deal.hubspotId, deal.values['hubspot_company_id'] ?? null)) onboarding?.wake();
      },
    });
    const workers = startInboxWorkers({
      pool: db.pool,
      logger,
      hooks,
      reader: gateway ? crmReaderFromGateway(gateway, 'realtime') : undefined,
      appId: config.hubspot.appId,
      ...config.inbox,
    });
    stoppers.push(() => workers.stop());
    let jobs: SyncJobRunner | undefined;
    if (gateway) {
      const runner = startSyncJobRunner({ pool: db.pool, logger, reader: crmReaderFromGateway(gateway, 'backfill'), hooks, pollIntervalMs: config.inbox.pollIntervalMs * 4 });
      stoppers.push(() => runner.stop());
      jobs = runner;
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
      onboarding = onboardingRunner;
    }
    const routes: ApiRoute[] = [
      ...keyRoutes(db.pool),
      ...conflictRoutes(db.pool),
      ...auditRoutes(db.pool),
      ...syncRoutes({ pool: db.pool, jobsEnabled: jobs !== undefined, onQueued: () => jobs?.wake() }),
      ...webhookRoutes({
        db: db.pool,
        authenticator: clientSecret ? createWebhookAuthenticator({ clientSecret, ...config.webhooks }) : undefined,
        bodyLimitBytes: config.webhooks.bodyLimitBytes,
        onAccepted: () => workers.wake(),
      }),
    ];
    const expectedMigrations = (await readMigrations()).map((m) => m.version);
    const app = await buildApp({
      pool: db.pool,
      logger,
      metrics: createMetricsRegistry(),
      bodyLimitBytes: config.http.bodyLimitBytes,
      expectedMigrations,
      version: SERVICE_VERSION,
      routes,
    });
    return {
      app,
      db,
      inbox: workers,
      jobs,
      onboarding,
      close: async () => {
        await app.close();
        for (const stop of stoppers) await stop();
        await db.close();
      },
    };
  } catch (error) {
    for (const stop of stoppers) await stop();
    await db.close();
    throw error;
  }
}
