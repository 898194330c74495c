import type { FastifyInstance } from 'fastify';

import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { readMigrations } from './db/migrate.js';
import { buildApp } from './http/build-app.js';
import { createMetricsRegistry } from './http/metrics.js';
import { connectHubSpot, type HubSpotConnection, provisionAtStart } from './hubspot-connection.js';
import type { ApiRoute } from './http/route.js';
import { accountRoutes } from './http/routes/accounts.js';
import { deadLetterRoutes } from './http/routes/dead-letters.js';
import { keyRoutes } from './http/routes/keys.js';
import { numberRoutes } from './http/routes/numbers.js';
import { trunkRoutes } from './http/routes/trunks.js';
import { userRoutes } from './http/routes/users.js';
import type { Logger } from './lib/logger.js';
import { SERVICE_VERSION } from './lib/version.js';
import { startOutboundSync } from './sync/outbound/outbound-sync.js';

/**
 * The composition root: builds every part from the config and wires them together. `main.ts`
 * adds the process concerns (listening, signals); tests call this directly with a test database.
 */
export interface Service {
  app: FastifyInstance;
  db: Database;
  /** The HubSpot gateway and which HubSpot it talks to (the bundled simulator without a token). */
  hubspot: HubSpotConnection;
  /** Stops accepting requests, waits for in-flight ones, stops the outbox workers and the simulator, closes the database. */
  close(): Promise<void>;
}

export async function createService(config: Config, logger: Logger): Promise<Service> {
  const db = await openDatabase(config.database, logger);
  let hubspot: HubSpotConnection | undefined;
  try {
    const metrics = createMetricsRegistry();
    hubspot = await connectHubSpot(config.hubspot, { pool: db.pool, logger, metrics });
    if (config.hubspot.provisionAtStart) await provisionAtStart(hubspot.gateway, logger);
    const routes: ApiRoute[] = [
      ...keyRoutes(db.pool),
      ...accountRoutes(db.pool),
      ...trunkRoutes(db.pool),
      ...numberRoutes(db.pool),
      ...userRoutes(db.pool),
      ...deadLetterRoutes(db.pool),
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
    const outbound = startOutboundSync({ pool: db.pool, gateway: connection.gateway, logger, config: config.outbound });
    return {
      app,
      db,
      hubspot: connection,
      close: async () => {
        await app.close();
        // Workers finish their in-flight batch before the HubSpot connection and the pool close.
        await outbound.stop();
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
