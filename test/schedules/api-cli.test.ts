import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { SCHEDULES } from '../../src/schedules/catalogue.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runTs } from '../support/process.js';
import { startTestService, type TestService } from '../support/service.js';

// These tests start the service or the CLI as processes (tsx compiles on start): on a busy
// 2-core machine one start can take tens of seconds, more than the suite's default 30 s per test.
vi.setConfig({ testTimeout: 180_000 });

describe('schedules API and CLI', () => {
  let db: TestDatabase;
  let service: TestService;
  let base: string;
  let key: string;
  const get = async (path: string) => {
    const response = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { SCHEDULE_RETENTION_CRON: '15 3 * * *', SCHEDULE_CUSTOMER_RECONCILE_CRON: '30 1 1 1 *', SCHEDULE_RECONCILE_INCREMENTAL_CRON: '0 0 1 1 *' });
    base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    key = (await createApiKey(db.pool, 'schedules-test', ['read'])).key;
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('lists every schedule with its cron, status, last and next run', async () => {
    const { status, body } = await get('/schedules');
    expect(status).toBe(200);
    const schedules = body['schedules'] as Array<Record<string, unknown>>;
    expect(schedules.slice(0, 3).map((s) => [s['name'], s['cron'], s['setting'], s['status'], s['lastRun']])).toEqual([
      ['customer-reconcile', '30 1 1 1 *', 'SCHEDULE_CUSTOMER_RECONCILE_CRON', 'never_run', null],
      ['reconcile-incremental', '0 0 1 1 *', 'SCHEDULE_RECONCILE_INCREMENTAL_CRON', 'never_run', null],
      ['retention', '15 3 * * *', 'SCHEDULE_RETENTION_CRON', 'never_run', null],
    ]);
    expect(schedules.map((s) => s['name'])).toEqual(SCHEDULES.map((s) => s.name));
    const next = new Date(schedules[2]!['nextRunAt'] as string);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([3, 15]);
    expect(next.getTime()).toBeGreaterThan(Date.now());
  });

  it('runs one slot from the command line, idempotent per slot, and shows it in the run history', async () => {
    const env = { DATABASE_URL: db.url, SCHEDULE_RETENTION_CRON: '15 3 * * *', SCHEDULE_CUSTOMER_RECONCILE_CRON: '30 1 1 1 *', SCHEDULE_RECONCILE_INCREMENTAL_CRON: '0 0 1 1 *' };
    const run = await runTs('src/cli/main.ts', ['schedules', 'run', 'retention', '--at', '2026-05-01T03:15:00Z', '--wait-s', '60'], env, 90_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Queued retention for slot 2026-05-01T03:15:00.000Z.');
    expect(run.stdout).toMatch(/retention\s+2026-05-01T03:15:00.000Z\s+succeeded\s+manual/);

    const { body } = await get('/schedules/runs?name=retention&limit=5');
    const runs = body['runs'] as Array<Record<string, unknown>>;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ name: 'retention', slot: '2026-05-01T03:15:00.000Z', trigger: 'manual', outcome: 'succeeded', attempt: 1, error: null, counts: { inboxEvents: 0, webhookBatches: 0, replayGuards: 0 } });
    expect(typeof runs[0]!['instance']).toBe('string');
    expect(runs[0]!['durationMs']).toBeGreaterThanOrEqual(0);
    const listed = (await get('/schedules')).body['schedules'] as Array<Record<string, unknown>>;
    expect(listed[2]).toMatchObject({ name: 'retention', status: 'succeeded' });

    const list = await runTs('src/cli/main.ts', ['schedules', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/retention\s+15 3 \* \* \*\s+succeeded\s+2026-05-01T03:15:00.000Z/);
    expect(list.stdout).toMatch(/customer-reconcile\s+30 1 1 1 \*\s+never_run/);
  });

  it('answers 404 for runs of an unknown schedule', async () => {
    const { status, body } = await get('/schedules/runs?name=monthly-invoices');
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: `No schedule named "monthly-invoices" (known: ${SCHEDULES.map((s) => s.name).join(', ')})` } });
  });

  it.each([
    [['run', 'nope'], 'Unknown schedule "nope"'],
    [['run', 'retention', '--at', 'last tuesday'], '--at must be an ISO time with a zone'],
    [['run', 'retention', '--at', '2026-05-01T03:16:00Z'], 'is not a slot of "retention" (0 2 * * *, UTC); the slot before it is 2026-05-01T02:00:00.000Z'],
    [['run', 'month-close', '--at', '2099-01-01T03:00:00Z'], 'has not come yet: "month-close" runs only slots in the past'],
    [['run'], 'Give exactly one schedule name'],
    [['launch'], 'Unknown schedules action "launch"'],
  ])('schedules %j exits 2 with usage', async (args, message) => {
    const result = await runTs('src/cli/main.ts', ['schedules', ...args], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage:');
  });

  it('refuses to start the service on a schedule setting that is not a cron expression', async () => {
    const result = await runTs('src/main.ts', [], { DATABASE_URL: db.url, SCHEDULE_CUSTOMER_RECONCILE_CRON: '30 25 * * *' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SCHEDULE_CUSTOMER_RECONCILE_CRON: not a valid cron expression');
    expect(result.stderr).toContain("Too large value '25' in hours range");
  });
});
