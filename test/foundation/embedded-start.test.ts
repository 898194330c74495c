import { once } from 'node:events';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { expect, it } from 'vitest';

import { embeddedPostgresUsable } from '../../src/db/embedded.js';
import { freePort, startTs, waitForOutput } from '../support/process.js';

const usable = embeddedPostgresUsable();
if (!usable.ok) process.stdout.write(`embedded PostgreSQL start test skipped: ${usable.reason}\n`);

// The README's first command with no DATABASE_URL: a real PostgreSQL from npm, in a fresh data dir.
it.skipIf(!usable.ok)('npm start with no DATABASE_URL runs embedded PostgreSQL, then stops it on SIGINT', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warp-embedded-'));
  await chmod(dir, 0o755);
  const [port, pgPort, simPort] = [await freePort(), await freePort(), await freePort()];
  try {
    const child = startTs('src/main.ts', [], {
      PORT: String(port),
      EMBEDDED_PG_DIR: path.join(dir, 'pg'),
      EMBEDDED_PG_PORT: String(pgPort),
      SIMULATOR_PORT: String(simPort),
    });
    const banner = await waitForOutput(child, /listening on/, 60_000);
    expect(banner).toContain(`database: postgres://127.0.0.1:${pgPort}/warp_hubspot (embedded`);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    // The embedded server was stopped with the service: its port is free again.
    await expect(fetch(`http://127.0.0.1:${pgPort}`)).rejects.toThrow();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 90_000);
