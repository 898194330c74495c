import { once } from 'node:events';

import pg from 'pg';

import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

import { migrate, readMigrations } from '../../src/db/migrate.js';
import { ensureDatabase } from '../../src/db/embedded.js';
import { createPool } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort, runTs, startTs, waitForOutput } from '../support/process.js';

// These tests start the service or the CLI as processes (tsx compiles on start): on a busy
// 2-core machine one start can take tens of seconds, more than the suite's default 30 s per test.
vi.setConfig({ testTimeout: 180_000 });

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('npm start (src/main.ts)', () => {
  it('refuses an invalid PORT with a message naming it, and exits 1', async () => {
    const result = await runTs('src/main.ts', [], { PORT: 'http', DATABASE_URL: db.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('"http"');
    expect(result.stderr).not.toContain('    at '); // no stack trace
  });

  it('starts, answers /healthz and /readyz, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = startTs('src/main.ts', [], { PORT: String(port), DATABASE_URL: db.url, LOG_LEVEL: 'info' });
    const banner = await waitForOutput(child, /listening on/);
    expect(banner).toContain(`http://127.0.0.1:${port}`);
    expect(banner).toMatch(/database: postgres:\/\/127\.0\.0\.1:\d+\/\S+ \(external\)/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  });
});

describe('npm run cli', () => {
  it('creates a key (printed once), lists it and revokes it', async () => {
    const env = { DATABASE_URL: db.url };
    const created = await runTs('src/cli/main.ts', ['keys', 'create', '--name', 'cli-test', '--scopes', 'read,write'], env);
    expect(created.code).toBe(0);
    const key = /Key \(shown once, store it now\): (whk_\S+)/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const listed = await runTs('src/cli/main.ts', ['keys', 'list'], env);
    expect(listed.stdout).toContain('cli-test');
    expect(listed.stdout).not.toContain(key);
    const revoked = await runTs('src/cli/main.ts', ['keys', 'revoke', 'cli-test'], env);
    expect(revoked.stdout).toContain('Revoked API key');
  });

  it('explains a usage mistake with exit code 2', async () => {
    const result = await runTs('src/cli/main.ts', ['keys', 'create', '--name', 'x', '--scopes', 'root'], { DATABASE_URL: db.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown scope(s): root');
    expect(result.stderr).toContain('Usage:');
  });
});

describe('migrations', () => {
  it('are safe when two instances start at once on an empty database', async () => {
    const name = `warp_test_concurrent_${process.pid}`;
    const url = await ensureDatabase(inject('pgAdminUrl'), name);
    const [a, b] = [createPool(url, 2), createPool(url, 2)];
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      // Together they applied every migration, each exactly once: one instance did it all.
      expect([...appliedA, ...appliedB].sort()).toEqual((await readMigrations()).map((m) => m.name).sort());
      expect(appliedA.length === 0 || appliedB.length === 0).toBe(true);
    } finally {
      await Promise.all([a.end(), b.end()]);
      const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
      await admin.end();
    }
  });
});
