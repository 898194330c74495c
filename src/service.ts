import type { FastifyInstance } from 'fastify';

import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { readMigrations } from './db/migrate.js';
import { buildApp } from './http/build-app.js';
import { createMetricsRegistry } from './http/metrics.js';
import { connectHubSpot, type HubSpotConnection, provisionAtStart } from './hubspot-connection.js';
import type { ApiRoute } from './http/route.js';
import { keyRoutes } from './http/routes/keys.js';
import type { Logger } from './lib/logger.js';
import { SERVICE_VERSION } from './lib/version.js';

/**
 * The composition root: builds every part from the config and wires them together. `main.ts`
 * adds the process concerns (listening, signals); tests call this directly with a test database.
 */
export interface Service {
  app: FastifyInstance;
  db: Database;
  /** The HubSpot gateway and which HubSpot it talks to (the bundled simulator without a token). */
  hubspot: HubSpotConnection;
  /** Stops accepting requests, waits for in-flight ones, stops the simulator, closes the database. */
  close(): Promise<void>;
}

export async function createService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase(config.database, logger);
  let hubspot: HubSpotConnection | undefined;
  try {
    const metrics = createMetricsRegistry();
    hubspot = await connectHubSpot(config.hubspot, { pool: db.pool, logger, metrics });
    if (config.hubspot.provisionAtStart) await provisionAtStart(hubspot.gateway, logger);
    const routes: ApiRoute[] = [...keyRoutes(db.pool)];
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
    return {
      app,
      db,
      hubspot: connection,
      close: async () => {
        await app.close();
        await connection.close();
        await db.close();
      },
    };
  } catch (error) {
    await hubspot?.close();
    await db.close();
    throw error;
  }
}
