import { chmod, mkdtemp, rm, stat, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { canConnect, embeddedPostgresUsable, startEmbeddedDatabase } from '../../src/db/embedded.js';
import { freePort } from '../support/process.js';
import { startRawPostgres } from '../support/raw-postgres.js';

/** The embedded server's superuser: a random password per data directory (security audit L8). */

const usable = embeddedPostgresUsable();
const connects = canConnect;
const fixedPasswordUrl = (port: number) => `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;

/** A server as an older version (or another local user) would run it: the fixed password, or any. */
const foreignServer = (dataDir: string, port: number, auth: 'fixed' | 'any') =>
  startRawPostgres({
    dataDir,
    port,
    password: 'postgres',
    prepare: async (dir) => {
      if (auth === 'any') await writeFile(path.join(dir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
    },
  });

describe.skipIf(!usable.ok)('embedded PostgreSQL credentials', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'warp-pgpass-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a random password per data directory, stored 0600 next to it; the fixed one is refused', async () => {
    const port = await freePort();
    const dataDir = path.join(dir, 'fresh');
    const server = await startEmbeddedDatabase({ dataDir, port, durable: false });
    try {
      const file = `${dataDir}.password`;
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = (await readFile(file, 'utf8')).trim();
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect(server.adminUrl).toContain(encodeURIComponent(password));
      expect(await connects(server.adminUrl)).toBe(true);
      expect(await connects(fixedPasswordUrl(port))).toBe(false);
      // The CLI beside a running service: same directory, same port, the same server reused.
      const again = await startEmbeddedDatabase({ dataDir, port, durable: false });
      expect(again.owned).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('gives a data directory from an older version (fixed password) a random one on start', async () => {
    const port = await freePort();
    const dataDir = path.join(dir, 'legacy');
    await (await foreignServer(dataDir, port, 'fixed')).stop();
    const server = await startEmbeddedDatabase({ dataDir, port, durable: false });
    try {
      expect(server.owned).toBe(true);
      expect(await connects(server.adminUrl)).toBe(true);
      expect(await connects(fixedPasswordUrl(port))).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('never reuses a server that accepts the fixed password, or any password', async () => {
    const port = await freePort();
    const ours = path.join(dir, 'ours');
    await (await startEmbeddedDatabase({ dataDir: ours, port, durable: false })).stop();
    for (const auth of ['fixed', 'any'] as const) {
      const foreign = await foreignServer(path.join(dir, `foreign-${auth}`), port, auth);
      try {
        await expect(startEmbeddedDatabase({ dataDir: ours, port, durable: false })).rejects.toThrow(/EMBEDDED_PG_PORT/);
      } finally {
        await foreign.stop();
      }
    }
  });
}, 120_000);
