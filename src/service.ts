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
import { webhookRoutes } from './http/routes/webhooks.js';
import type { Logger } from './lib/logger.js';
import { SERVICE_VERSION } from './lib/version.js';
import { createInboundHooks } from './sync/inbound/hooks.js';
import { type InboxWorkers, startInboxWorkers } from './sync/inbound/inbox-worker.js';
import { createWebhookAuthenticator } from './sync/inbound/webhook-auth.js';

/**
 * The composition root: builds every part from the config and wires them together. `main.ts`
 * adds the process concerns (listening, signals); tests call this directly with a test database.
 */
export interface Service {
  app: FastifyInstance;
  db: Database;
  inbox: InboxWorkers;
  /** Stops accepting requests, waits for in-flight ones, then closes the database. */
  close(): Promise<void>;
}

export async function createService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase(config.database, logger);
  let inbox: InboxWorkers | undefined;
  try {
    const { clientSecret } = config.hubspot;
    const workers = startInboxWorkers({
      pool: db.pool,
      logger,
      hooks: createInboundHooks({}),
      reader: undefined,
      appId: config.hubspot.appId,
      ...config.inbox,
    });
    inbox = workers;
    const routes: ApiRoute[] = [
      ...keyRoutes(db.pool),
      ...conflictRoutes(db.pool),
      ...auditRoutes(db.pool),
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
      close: async () => {
        await app.close();
        await workers.stop();
        await db.close();
      },
    };
  } catch (error) {
    await inbox?.stop();
    await db.close();
    throw error;
  }
}
