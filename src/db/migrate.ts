import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runMigrations as runJobSchemaMigrations } from 'graphile-worker';

import { graphileLogger } from '../lib/graphile-logger.js';
import type { Logger } from '../lib/logger.js';
import type { Pool } from './pool.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

// Any fixed 64-bit number works; it only has to be the same for every instance of the service.
const MIGRATION_LOCK_KEY = 7_304_118_552;
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  version: string;
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({ version: name.slice(0, 4), name, sql: await readFile(path.join(dir, name), 'utf8') })),
  );
}

/**
 * Applies pending forward-only migrations, each in its own transaction. A session-level advisory
 * lock serialises instances that start at the same moment: the second waits, then finds nothing
 * left to do. Returns the names applied by this call.
 *
 * The job system's own schema (`graphile_worker`, see src/jobs/) is migrated first, by the library
 * (it serialises concurrent starts itself), so every database that has our tables also has the job
 * queue, and our migrations may queue jobs with `graphile_worker.add_job`.
 */
export async function migrate(pool: Pool, options: { dir?: string; logger?: Logger } = {}): Promise<string[]> {
  const { dir = MIGRATIONS_DIR, logger } = options;
  await runJobSchemaMigrations({ pgPool: pool, ...(logger ? { logger: graphileLogger(logger) } : {}) });
  const migrations = await readMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`Migration ${migration.name} failed`, { cause: error });
      }
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** True when every expected migration version has been applied: what `/readyz` reports. */
export async function migrationsApplied(pool: Pool, expectedVersions: readonly string[]): Promise<boolean> {
  const { rows } = await pool.query<{ version: string }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((row) => row.version));
  return expectedVersions.every((version) => done.has(version));
}
