import type { Logger } from '../lib/logger.js';
import { ensureDatabase, startEmbeddedDatabase } from './embedded.js';
import { migrate } from './migrate.js';
import { createPool, describeConnectionError, type Pool } from './pool.js';

export interface DatabaseSettings {
  url: string | undefined;
  embeddedDir: string;
  embeddedPort: number;
  poolMax: number;
}

export interface Database {
  pool: Pool;
  /** The connection string, for parts that need connections of their own (the job runtime's pool). */
  url: string;
  /** Where we are connected, without the password: printed at start. */
  description: string;
  close(): Promise<void>;
}

const EMBEDDED_DATABASE_NAME = 'warp_hubspot';

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL server when it is not set, then
 * applies pending migrations. Used by the service and by the CLI alike.
 */
export async function openDatabase(settings: DatabaseSettings, logger: Logger): Promise<Database> {
  let url = settings.url;
  let stopEmbedded: () => Promise<void> = async () => undefined;
  if (!url) {
    const embedded = await startEmbeddedDatabase({ dataDir: settings.embeddedDir, port: settings.embeddedPort, durable: true });
    url = await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE_NAME);
    stopEmbedded = () => embedded.stop();
    logger.debug({ dataDir: settings.embeddedDir, owned: embedded.owned }, 'embedded PostgreSQL ready');
  }
  const pool = createPool(url, settings.poolMax, (error) => logger.warn(describeConnectionError(error), 'database connection lost; it is replaced at the next checkout'));
  try {
    const applied = await migrate(pool, { logger });
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');
  } catch (error) {
    await pool.end();
    await stopEmbedded();
    throw error;
  }
  const description = describe(url, settings.url ? 'external' : `embedded, data in ${settings.embeddedDir}`);
  return {
    pool,
    url,
    description,
    close: async () => {
      await pool.end();
      await stopEmbedded();
    },
  };
}

function describe(url: string, kind: string): string {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  return `postgres://${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname} (${kind}${sslmode ? `, sslmode=${sslmode}` : ''})`;
}
