
import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { ensureDatabase, startThrowawayDatabase } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Maintenance connection to the test server; test files clone `templateDatabase` from it. */
    pgAdminUrl: string;
    templateDatabase: string;
  }
}

/**
 * Starts one real PostgreSQL for the whole run (embedded, or the server in DATABASE_URL), and
 * prepares a migrated template database. Each test file clones the template into a database of
 * its own (test/support/db.ts), so files run in parallel without seeing each other's rows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env['DATABASE_URL'];
  let stopServer = async (): Promise<void> => undefined;
  if (!adminUrl) {
    const server = await startThrowawayDatabase({ durable: false });
    adminUrl = server.adminUrl;
    stopServer = () => server.stop();
  }

  const templateDatabase = `warp_test_template_${process.pid}`;
  const templateUrl = await ensureDatabase(adminUrl, templateDatabase);
  const pool = createPool(templateUrl, 1);
  await migrate(pool);
  await pool.end();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`warp_test_%_${process.pid}%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    await admin.end();
    await stopServer();
  };
}
