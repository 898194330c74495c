import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/pool.js';
import { createOrGetActiveRun, getReconcileRun, markRunRunning, type ReconcileRun } from '../../src/store/reconcile-runs.js';
import { RECONCILE_OBJECT_TYPES } from '../../src/sync/reconcile/catalogue.js';
import { type DriftReport, driftFound, renderReport } from '../../src/sync/reconcile/report.js';
import { executeRun, type RunnerDeps } from '../../src/sync/reconcile/runner.js';
import type { ReconcileSource } from '../../src/sync/reconcile/source.js';
import { queueReconcile } from '../../src/sync/reconcile/task.js';
import type { TestDatabase } from '../support/db.js';
import type { GatewayFixture } from '../support/hubspot.js';
import { type ReconcileFixture, startReconcileFixture } from '../support/reconcile-fixture.js';
import { injectDrift, type PortalCounts } from '../support/reconcile-portal.js';

const COUNTS: PortalCounts = { companies: 200, contacts: 400, tickets: 100, trunks: 100, numbers: 200 };
/** List pages of 100 per type (deals: one empty page). */
const IDEAL_LIST_PAGES = [COUNTS.companies, COUNTS.contacts, COUNTS.tickets!, COUNTS.trunks, COUNTS.numbers].reduce((n, c) => n + Math.ceil(c / 100), 0) + 1;

describe('reconcile against a seeded, drifted simulator portal', () => {
  let fx: ReconcileFixture;
  let db: TestDatabase;
  let hs: GatewayFixture;
  let deps: RunnerDeps;
  let run: ReconcileFixture['run'];
  let resume: ReconcileFixture['resume'];

  beforeAll(async () => {
    fx = await startReconcileFixture(COUNTS);
    ({ db, hs, deps, run, resume } = fx);
  }, 120_000);
  afterAll(async () => {
    await fx.close();
  });

  const report = (r: ReconcileRun) => r.report as unknown as DriftReport;
  const sum = (r: ReconcileRun, key: 'changed' | 'deleted' | 'merged' | 'created' | 'unknown') =>
    Object.values(report(r).objects).reduce((n, o) => n + (o?.[key] ?? 0), 0);
  const differing = (r: ReconcileRun) => Object.values(report(r).associations).reduce((n, a) => n + a.differing, 0);

  it('finds no drift in the freshly built portal, in list pages of 100 with associations in the same request', async () => {
    const before = hs.sim.requestLog().length;
    const baseline = await run('full', false);
    expect(driftFound(report(baseline))).toBe(0);
    expect(baseline.requests).toBe(IDEAL_LIST_PAGES);
    expect(hs.sim.requestLog().length - before).toBe(IDEAL_LIST_PAGES);
  }, 120_000);

  it('finds each drift kind in a dry run (nothing changes), then repairs it', async () => {
    const injected = await injectDrift(hs.sim.url, { changed: 4, deleted: 3, merged: 2, removedAssociations: 3, extraAssociations: 2, seed: 7 });
    const dry = await run('full', true);
    const lines = renderReport(report(dry), true);
    expect(lines.join('\n')).toMatch(/would /);
    expect({ changed: sum(dry, 'changed'), deleted: sum(dry, 'deleted'), merged: sum(dry, 'merged'), removedAssociations: differing(dry) }).toEqual({
      changed: injected.counts['changed'],
      deleted: injected.counts['deleted'],
      merged: injected.counts['merged'],
      removedAssociations: injected.counts['removedAssociations']! + injected.counts['extraAssociations']!,
    });
    expect(driftFound(report(dry))).toBe(injected.counts['total']);
    // Tickets too, against the ticket cache: 4 changed, 3 deleted, 2 merged away, 3 lost companies.
    expect(report(dry).objects.ticket).toMatchObject({ read: 100 - 3 - 2, changed: 4, deleted: 3, merged: 2 });
    expect(report(dry).associations['ticket→company']?.differing).toBe(3);
    const { rows: outboxBefore } = await db.pool.query('SELECT 1 FROM outbox');
    expect(outboxBefore).toHaveLength(0);

    const repaired = await run('full', false);
    expect(driftFound(report(repaired))).toBe(injected.counts['total']);
    // HubSpot's data is in the cache now; WARP's differences wait in the outbox for the outbound sync.
    const after = await run('full', true);
    const cacheDrift = (['company', 'contact', 'deal', 'ticket'] as const).reduce((n, t) => n + (report(after).objects[t]?.changed ?? 0) + (report(after).objects[t]?.deleted ?? 0) + (report(after).objects[t]?.merged ?? 0), 0);
    expect(cacheDrift).toBe(0);
    expect(['contact→company', 'deal→company', 'ticket→company'].map((p) => report(after).associations[p]?.differing ?? 0)).toEqual([0, 0, 0]);
    const { rows: queued } = await db.pool.query<{ object_type: string; n: number }>(`SELECT object_type, count(*)::int AS n FROM outbox GROUP BY 1 ORDER BY 1`);
    expect(queued.reduce((n, r) => n + r.n, 0)).toBeGreaterThan(0);
    await db.pool.query('DELETE FROM outbox');
  }, 180_000);

  it('resumes a run killed mid-way from its last committed page: no page read twice beyond the one in flight', async () => {
    const listed: string[] = [];
    const stop = new AbortController();
    const killing: ReconcileSource = {
      ...deps.source,
      listPage: async (entry, after, signal) => {
        listed.push(`${entry.objectType}:${after ?? ''}`);
        // The 6th page is in flight when the process "dies".
        if (listed.length === 6) {
          stop.abort(new Error('killed'));
          throw new Error('killed');
        }
        return deps.source.listPage(entry, after, signal);
      },
    };
    const { run: created } = await withTransaction(db.pool, (tx) => createOrGetActiveRun(tx, { mode: 'full', dryRun: true, objects: RECONCILE_OBJECT_TYPES, trigger: 'manual', estimate: {} }));
    const running = (await markRunRunning(db.pool, created.id, 1))!;
    await expect(executeRun({ ...deps, source: killing }, running, stop.signal)).rejects.toThrow('killed');
    expect((await getReconcileRun(db.pool, created.id))!.requests).toBe(5);
    const resumed: string[] = [];
    const counting: ReconcileSource = { ...deps.source, listPage: (entry, after, signal) => (resumed.push(`${entry.objectType}:${after ?? ''}`), deps.source.listPage(entry, after, signal)) };
    const done = await resume(created.id, counting);
    expect(resumed[0]).toBe(listed[5]); // it starts with the page that was in flight
    expect(new Set([...listed, ...resumed]).size).toBe(IDEAL_LIST_PAGES);
    // 5 committed pages, the one in flight read twice, every other page once.
    expect(listed.length + resumed.length).toBe(IDEAL_LIST_PAGES + 1);
    expect(done.requests).toBe(IDEAL_LIST_PAGES);
  }, 120_000);

  it('returns the active run instead of starting a second one', async () => {
    const first = await queueReconcile(db.pool, { mode: 'full', dryRun: true, objects: ['company'], trigger: 'manual' });
    const second = await queueReconcile(db.pool, { mode: 'incremental', dryRun: false, objects: [], trigger: 'manual' });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, run: { id: first.run.id } });
    await db.pool.query(`UPDATE reconcile_runs SET status = 'succeeded' WHERE id = $1`, [first.run.id]);
  });

  it('incremental: walks more than 10,000 records on one last-modified timestamp by hs_object_id, each once', async () => {
    // Everything compared up to now (the watermark); then 10,500 companies appear in HubSpot at one instant.
    await run('full', false);
    await db.pool.query('DELETE FROM outbox');
    await db.pool.query(`UPDATE reconcile_watermarks SET modified_through = now()`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seeded = (await (await fetch(`${hs.sim.url}/__sim/seed`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ companies: 10_500, stepMs: 0, startAt: Date.now() }),
    })).json()) as { created: { companies: { count: number } } };
    expect(seeded.created.companies.count).toBe(10_500);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const searchesBefore = hs.sim.requestLog().filter((e) => e.path.endsWith('/search')).length;
    const { run: created } = await withTransaction(db.pool, (tx) => createOrGetActiveRun(tx, { mode: 'incremental', dryRun: true, objects: RECONCILE_OBJECT_TYPES, trigger: 'manual', estimate: {} }));
    const running = (await markRunRunning(db.pool, created.id, 1))!;
    await executeRun({ ...deps, searchLagMs: 0 }, running, new AbortController().signal);
    const incremental = (await getReconcileRun(db.pool, created.id))!;
    expect(report(incremental).objects.company).toMatchObject({ read: 10_500, created: 10_500 });
    const searches = hs.sim.requestLog().filter((e) => e.path.endsWith('/search')).length - searchesBefore;
    // 50 pages fill the first window (the cap); the timestamp by id takes 53 pages in two queries (the
    // second past the cap's last id); one empty search per other type.
    expect(searches).toBeLessThanOrEqual(50 + Math.ceil(10_500 / 200) + 1 + 5);
    await db.pool.query(`UPDATE reconcile_runs SET status = 'succeeded' WHERE id = $1`, [created.id]);
  }, 240_000);

  it('incremental: reads the associations of up to five search pages in one batch per target', async () => {
    await db.pool.query(`UPDATE reconcile_watermarks SET modified_through = now()`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const changed = await injectDrift(hs.sim.url, { changed: 300, objectTypes: ['contacts'], seed: 9 });
    expect(changed.counts['changed']).toBe(300);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = hs.sim.requestLog().length;
    const { run: created } = await withTransaction(db.pool, (tx) => createOrGetActiveRun(tx, { mode: 'incremental', dryRun: true, objects: RECONCILE_OBJECT_TYPES, trigger: 'manual', estimate: {} }));
    await executeRun({ ...deps, searchLagMs: 0 }, (await markRunRunning(db.pool, created.id, 1))!, new AbortController().signal);
    const incremental = (await getReconcileRun(db.pool, created.id))!;
    expect(report(incremental).objects.contact).toMatchObject({ read: 300, changed: 300 });
    // Contacts: 2 search pages and 1 read of their companies; one empty search for each other type.
    expect(incremental.requests).toBe(2 + 1 + 5);
    expect(hs.sim.requestLog().length - before).toBe(2 + 1 + 5);
    await db.pool.query(`UPDATE reconcile_runs SET status = 'succeeded' WHERE id = $1`, [created.id]);
  }, 120_000);
});
