import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_RATE_LIMITS } from '../../src/hubspot/rate-budget.js';
import { startJobs } from '../../src/jobs/runtime.js';
import { createLogger } from '../../src/lib/logger.js';
import { getReconcileRun } from '../../src/store/reconcile-runs.js';
import { reconcileSource } from '../../src/sync/reconcile/source.js';
import { queueReconcile, reconcileTask } from '../../src/sync/reconcile/task.js';
import type { TestDatabase } from '../support/db.js';
import type { GatewayFixture } from '../support/hubspot.js';
import { type ReconcileFixture, startReconcileFixture } from '../support/reconcile-fixture.js';
import type { PortalCounts } from '../support/reconcile-portal.js';

/**
 * Issue 14, "Bad input": a HubSpot daily quota near its end pauses reconcile (the lowest priority)
 * until the quota resets, saying so in the run's status, and the run then goes on from its last
 * committed page. The run goes through its real task in the job system; the quota is the shared
 * rate budget's daily count (hubspot_rate_accounts), as the live demo set it (evidence §5).
 */

const COUNTS: PortalCounts = { companies: 300, contacts: 200, trunks: 100, numbers: 100 };
/** List pages of 100: companies 3, contacts 2, trunks 1, numbers 1, and one empty page of deals and of tickets. */
const IDEAL_LIST_PAGES = 3 + 2 + 1 + 1 + 1 + 1;
/** The quota of this test's gateway; reconcile must leave its share (20 %) to higher priorities. */
const DAILY_LIMIT = 1_000;
const RECONCILE_MAY_USE = DAILY_LIMIT - Math.floor(DAILY_LIMIT * DEFAULT_RATE_LIMITS.dailyReserveFraction.reconcile);
/** Pages the run reads before it reaches the reserve. */
const BEFORE_PAUSE = 4;

describe('reconcile when the HubSpot daily quota nears its end', () => {
  let fx: ReconcileFixture;
  let db: TestDatabase;
  let hs: GatewayFixture;

  beforeAll(async () => {
    fx = await startReconcileFixture(COUNTS);
    ({ db, hs } = fx);
  }, 120_000);
  afterAll(async () => {
    await fx.close();
  });

  it('pauses until the quota resets, says so in its status, and then finishes reading no page twice', async () => {
    const gateway = hs.gateway({ limits: { dailyLimit: DAILY_LIMIT } });
    const deps = { ...fx.deps, source: reconcileSource(gateway) };
    // Today's count as the budget keeps it: BEFORE_PAUSE requests left before the reserve.
    await db.pool.query(
      `INSERT INTO hubspot_rate_accounts (account_key, day, daily_used) VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2)
       ON CONFLICT (account_key) DO UPDATE SET day = EXCLUDED.day, daily_used = EXCLUDED.daily_used`,
      [hs.accountKey, RECONCILE_MAY_USE - BEFORE_PAUSE],
    );
    const jobs = await startJobs({ databaseUrl: db.url, logger: createLogger({ level: 'silent' }), concurrency: 1, tasks: [reconcileTask(deps)] });
    try {
      const listGets = () => hs.sim.requestLog({ method: 'GET', pathPrefix: '/crm/v3/objects/' }).filter((e) => e.status === 200);
      const seqBefore = hs.sim.requestLog().at(-1)?.seq ?? 0;
      const { run: queued } = await queueReconcile(db.pool, { mode: 'full', dryRun: false, objects: [], trigger: 'manual' });
      await jobs.drain();

      const paused = (await getReconcileRun(db.pool, queued.id))!;
      const { rows: [day] } = await db.pool.query<{ midnight: Date }>(`SELECT ((now() AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC' AS midnight`);
      expect(paused).toMatchObject({ status: 'paused', attempts: 1, requests: BEFORE_PAUSE, error: null });
      expect(paused.pauseReason).toBe(`HubSpot daily quota reserved for higher priorities; reconcile paused until ${paused.pausedUntil!.toISOString()}`);
      // Until the budget's day ends (UTC midnight by the database clock).
      expect(Math.abs(paused.pausedUntil!.getTime() - day!.midnight.getTime())).toBeLessThan(5_000);
      // Its job waits for that time; nothing runs meanwhile.
      const { rows: waiting } = await db.pool.query<{ run_at: Date }>(`SELECT run_at FROM graphile_worker.jobs WHERE key = $1`, [`reconcile:${queued.id}`]);
      expect(waiting.map((j) => j.run_at.getTime())).toEqual([paused.pausedUntil!.getTime()]);
      const readBefore = listGets().filter((e) => e.seq > seqBefore);
      expect(readBefore).toHaveLength(BEFORE_PAUSE);

      // Midnight: the budget's day turns over (its count starts from zero), and the job falls due.
      await db.pool.query(`UPDATE hubspot_rate_accounts SET day = day - 1 WHERE account_key = $1`, [hs.accountKey]);
      await db.pool.query(`SELECT graphile_worker.reschedule_jobs(ARRAY(SELECT id FROM graphile_worker.jobs WHERE key = $1), run_at := now())`, [`reconcile:${queued.id}`]);
      await jobs.drain();

      const done = (await getReconcileRun(db.pool, queued.id))!;
      expect(done).toMatchObject({ status: 'succeeded', requests: IDEAL_LIST_PAGES, pausedUntil: null, pauseReason: null, error: null });
      const read = listGets().filter((e) => e.seq > seqBefore).map((e) => e.path);
      // Every list page once over both attempts: the resumed one started after the last committed page.
      expect(read).toHaveLength(IDEAL_LIST_PAGES);
      expect(new Set(read).size).toBe(IDEAL_LIST_PAGES);
      expect(read.slice(0, BEFORE_PAUSE)).toEqual(readBefore.map((e) => e.path));
    } finally {
      await jobs.stop();
    }
  }, 60_000);
});
