import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { busiestWindows } from '../../bench/chaos-check.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, maxRequestsInWindow, startGatewayFixture } from '../support/hubspot.js';
import { createRateBudgetStore } from '../../src/store/rate-budget.js';

let db: TestDatabase;
let fx: GatewayFixture;
const pools: Pool[] = [];
let companyId: string;

// 20 requests per rolling window of 500 ms (10 s at time scale 0.05); searches: 5 per 50 ms (1 s).
const LIMIT = 20;
const SEARCH_PER_WINDOW = 5;
const SEARCH_WINDOW_MS = 1_000 * 0.05;

beforeAll(async () => {
  db = await createTestDatabase();
  fx = await startGatewayFixture(db, { seedDemo: true, burstLimit: LIMIT, dailyLimit: 1_000_000 });
  companyId = (await fx.gateway().listObjects('companies', { limit: 1 })).results[0]!.id;
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await fx?.close();
  await db?.drop();
});

/** Each gateway gets its own connection pool, as a separate process would. */
function ownPool(): Pool {
  const pool = createPool(db.url, 3);
  pools.push(pool);
  return pool;
}

describe('two gateways sharing one budget', () => {
  it('never exceed the burst window together, and get no 429', async () => {
    fx.sim.clearRequestLog();
    const [a, b] = [fx.gateway({ budgetStore: createRateBudgetStore(ownPool()) }), fx.gateway({ budgetStore: createRateBudgetStore(ownPool()) })];
    const started = Date.now();
    await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? a : b).getObject('companies', companyId)));
    const elapsedMs = Date.now() - started;
    const log = fx.sim.requestLog();
    expect(log).toHaveLength(80);
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    expect(maxRequestsInWindow(log.map((r) => r.atMs), fx.burstWindowMs)).toBeLessThanOrEqual(LIMIT);
    // 80 requests at 20 per window need at least three full windows after the first burst.
    expect(elapsedMs).toBeGreaterThanOrEqual(3 * fx.burstWindowMs);
  });

  it('keep the burst and the search limit each on its own, as HubSpot (and the chaos check) counts them', async () => {
    const key = `${fx.accountKey}-mixed`;
    const [a, b] = [fx.gateway({ accountKey: key, budgetStore: createRateBudgetStore(ownPool()) }), fx.gateway({ accountKey: key, budgetStore: createRateBudgetStore(ownPool()) })];
    await new Promise((resolve) => setTimeout(resolve, fx.burstWindowMs));
    fx.sim.clearRequestLog();
    // Record reads and writes of several kinds, and searches (the notes marker look-up), at once from two processes.
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).getObject('companies', companyId)),
      ...Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).updateObject('companies', companyId, { name: `Mixed ${i}` })),
      ...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).search('notes', { filterGroups: [], limit: 1 })),
    ]);
    const log = fx.sim.requestLog();
    expect(log).toHaveLength(70);
    expect(log.filter((r) => r.limit === 'search')).toHaveLength(30);
    const windows = busiestWindows(log, fx.burstWindowMs, SEARCH_WINDOW_MS);
    expect(windows).toEqual({ burst: expect.any(Number) as number, search: expect.any(Number) as number, refused: 0 });
    expect(windows.burst).toBeLessThanOrEqual(LIMIT);
    expect(windows.search).toBeLessThanOrEqual(SEARCH_PER_WINDOW);
    // Counted together, as the chaos check did, the same correct run looks like an overrun.
    expect(maxRequestsInWindow(log.map((r) => r.atMs), fx.burstWindowMs)).toBeGreaterThan(LIMIT);
  });

  it('serves real-time calls of one process before backfill calls of another', async () => {
    // A 3 s window, so the filled window stays full while the calls queue, even on a busy machine.
    const slow = await startGatewayFixture(db, { seedDemo: true, burstLimit: LIMIT, timeScale: 0.3 });
    try {
      const backfill = slow.gateway({ budgetStore: createRateBudgetStore(ownPool()) });
      const realtime = slow.gateway({ budgetStore: createRateBudgetStore(ownPool()) });
      const id = (await backfill.listObjects('companies', { limit: 1 })).results[0]!.id;
      // Fill the window, then queue 20 backfill calls, then 10 real-time ones.
      await Promise.all(Array.from({ length: LIMIT - 1 }, () => backfill.getObject('companies', id, { priority: 'backfill' })));
      const done: string[] = [];
      const backfills = Array.from({ length: 20 }, () => backfill.getObject('companies', id, { priority: 'backfill' }).then(() => done.push('backfill')));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const realtimes = Array.from({ length: 10 }, () => realtime.getObject('companies', id, { priority: 'realtime' }).then(() => done.push('realtime')));
      await Promise.all([...backfills, ...realtimes]);
      // The next window's 20 tokens: the 10 real-time calls are among them although they came later.
      expect(done.slice(0, LIMIT).filter((d) => d === 'realtime')).toHaveLength(10);
    } finally {
      await slow.close();
    }
  });

  it('learns from X-HubSpot-RateLimit-Remaining about requests it did not send, and waits instead of getting 429s', async () => {
    const key = `${fx.accountKey}-headers`;
    const gateway = fx.gateway({ accountKey: key });
    await new Promise((resolve) => setTimeout(resolve, fx.burstWindowMs));
    fx.sim.clearRequestLog();
    // Another client of the same app spends most of the window behind our back.
    for (let i = 0; i < LIMIT - 2; i++) {
      await fetch(`${fx.sim.url}/crm/v3/objects/companies/${companyId}`, { headers: { authorization: 'Bearer test-token' } });
    }
    await gateway.getObject('companies', companyId); // answered with Remaining: 1
    await gateway.getObject('companies', companyId);
    await gateway.getObject('companies', companyId);
    const log = fx.sim.requestLog();
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    expect(maxRequestsInWindow(log.map((r) => r.atMs), fx.burstWindowMs)).toBeLessThanOrEqual(LIMIT);
    const { rows } = await db.pool.query<{ tokens: number }>('SELECT tokens FROM hubspot_rate_grants WHERE account_key = $1 AND observed', [key]);
    expect(rows.map((r) => r.tokens)).toEqual([LIMIT - 2]);
  });

  it('pauses low-priority work first when the daily quota runs low, and says so', async () => {
    // An account of its own with a daily quota of 50: backfill must leave 20 % (10) to higher classes.
    const small = await startGatewayFixture(db, { seedDemo: true, burstLimit: 1_000, dailyLimit: 50 });
    const registry = new Registry();
    const backfill = small.gateway({ metrics: registry, maxBudgetWaitMs: 100 });
    const realtime = small.gateway({ metrics: registry, maxBudgetWaitMs: 100 });
    const id = (await backfill.listObjects('companies', { limit: 1, priority: 'backfill' })).results[0]!.id;
    for (let i = 0; i < 39; i++) await backfill.getObject('companies', id, { priority: 'backfill' });
    const requestsBefore = small.sim.requestLog().length;
    const paused = await backfill.getObject('companies', id, { priority: 'backfill' }).then(() => undefined, (e: unknown) => e);
    expect(paused).toMatchObject({ kind: 'rate_limited', policy: 'DAILY' });
    expect((await registry.getSingleMetric('warp_hubspot_gateway_paused')?.get())?.values).toContainEqual(
      expect.objectContaining({ labels: { priority: 'backfill' }, value: 1 }),
    );
    expect(small.sim.requestLog()).toHaveLength(requestsBefore);
    // Real-time work still has the reserve.
    await expect(realtime.getObject('companies', id, { priority: 'realtime' })).resolves.toMatchObject({ id });
    await small.close();
  });
});
