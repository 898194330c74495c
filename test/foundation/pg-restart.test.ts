import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { freePort, startTs, waitForOutput } from '../support/process.js';
import { waitFor } from '../support/wait.js';

/**
 * A real PostgreSQL restart under a running service (issue: instances crashed on it, and LISTEN
 * never came back): its own embedded server, stopped and started again on the same port and data
 * directory while the service (a child process, as in production) answers requests.
 */
describe('a PostgreSQL restart while the service runs', () => {
  let dir: string;
  let port: number;
  let server: EmbeddedDatabase;
  let url: string;
  let pool: Pool;
  let service: ChildProcess;
  let base: string;
  let key: string;
  let log = '';
  const lines = () => log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

  const startServer = async () => {
    server = await startEmbeddedDatabase({ dataDir: path.join(dir, 'data'), port, durable: false });
  };
  const call = async (method: string, url2: string, body?: unknown): Promise<{ status: number; code?: string }> => {
    try {
      const response = await fetch(`${base}/api/v1${url2}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(20_000),
      });
      const json = (await response.json().catch(() => ({}))) as { error?: { code: string } };
      return { status: response.status, code: json.error?.code };
    } catch {
      return { status: 0 }; // the service did not answer at all
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'warp-hubspot-restart-'));
    await chmod(dir, 0o755); // as root, the postgres OS user must traverse it
    port = 20_000 + Math.floor(Math.random() * 20_000);
    await startServer();
    url = await ensureDatabase(server.adminUrl, 'restart_test');
    const httpPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    service = startTs('src/main.ts', [], {
      DATABASE_URL: url,
      PORT: String(httpPort),
      SIMULATOR_PORT: '0',
      LOG_LEVEL: 'info',
      // Only NOTIFY can wake the workers quickly: the polls are ten minutes apart.
      OUTBOX_POLL_INTERVAL_MS: '600000',
      INBOX_POLL_INTERVAL_MS: '600000',
    });
    service.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    service.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    await waitForOutput(service, /warp-hubspot listening on/, 60_000);
    pool = createPool(url, 2);
    key = (await createApiKey(pool, 'restart-test', ['read', 'write'])).key;
    await pool.query(`INSERT INTO customers (ban, hubspot_company_id, name) VALUES ('7770001', '880001', 'Restart Corp')`);
  }, 120_000);

  afterAll(async () => {
    service?.kill('SIGKILL');
    await pool?.end().catch(() => undefined); // ended already when the test failed during the restart
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 database_unavailable meanwhile, never crashes, and works normally (wake-ups included) afterwards', async () => {
    const trunk = { name: 'Restart trunk', ipAddresses: ['198.51.100.10'], concurrentCalls: 10, monthlyMinutes: 1000 };
    expect((await call('GET', '/whoami')).status).toBe(200);

    // Writers keep going through the restart: some are inside a transaction when it happens.
    const statuses: Array<{ status: number; code?: string }> = [];
    let writing = true;
    const writers = Array.from({ length: 6 }, async () => {
      while (writing) statuses.push(await call('POST', '/customers/7770001/trunks', trunk));
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await pool.end();
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during = await call('GET', '/customers/7770001/trunks');
    const ready = await fetch(`${base}/readyz`).catch(() => ({ status: 0 }));
    await startServer();
    pool = createPool(url, 2);
    await waitFor(async () => (await call('GET', '/customers/7770001/trunks')).status === 200, 30_000, 'answers after the restart');
    writing = false;
    await Promise.all(writers);

    expect(during).toEqual({ status: 503, code: 'database_unavailable' });
    expect(ready.status).toBe(503);
    expect(service.exitCode).toBeNull(); // still running, no supervisor
    expect(statuses.some((s) => s.status === 201)).toBe(true);
    expect(statuses.some((s) => s.status === 503)).toBe(true);
    // Never a 500 or a dropped connection: either it was committed (201) or the client may retry (503).
    expect(statuses.filter((s) => s.status !== 201 && !(s.status === 503 && s.code === 'database_unavailable'))).toEqual([]);

    // LISTEN is back on both queues, and NOTIFY wakes the workers again (polls are 10 minutes apart).
    await waitFor(async () => ['inbox', 'outbox'].every((channel) => lines().some((l) => l['msg'] === 'LISTEN connection re-established' && l['channel'] === channel)), 30_000, 'LISTEN reconnected');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/warp_hubspot_queue_listen_reconnects_total\{channel="outbox"\} [1-9]/);
    expect(metrics).toMatch(/warp_hubspot_queue_listen_connected\{channel="inbox"\} 1/);
    const { rows } = await pool.query<{ id: string }>(`INSERT INTO webhook_batches (body, event_count) VALUES ('[]', 0) RETURNING id`);
    await pool.query(`SELECT pg_notify('inbox', '')`); // what a receiving instance sends after committing a batch
    await waitFor(async () => (await pool.query(`SELECT 1 FROM webhook_batches WHERE id = $1 AND expanded_at IS NOT NULL`, [rows[0]!.id])).rowCount === 1, 5_000, 'the inbox woken by NOTIFY');
    const trunkAfter = await call('POST', '/customers/7770001/trunks', trunk);
    expect(trunkAfter.status).toBe(201);
    await waitFor(async () => ((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE attempts = 0`)).rows[0]!.n === 0), 5_000, 'the outbox woken by NOTIFY');

    // The job system carries on too: an import queued now runs to the end.
    expect((await call('POST', '/sync/customers/hubspot')).status).toBe(202);
    await waitFor(async () => ((await pool.query(`SELECT status FROM sync_jobs ORDER BY id DESC LIMIT 1`)).rows[0] as { status: string }).status === 'succeeded', 30_000, 'the import');

    expect(service.exitCode).toBeNull();
    expect(lines().filter((l) => l['msg'] === 'unhandled error' || l['level'] === 'fatal')).toEqual([]);
    expect(log).not.toMatch(/Unhandled|uncaught/i);
  }, 180_000);
});
