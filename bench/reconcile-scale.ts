// `npm run bench -- reconcile-scale [--scale 1] [--burst-limit 190]`: a full reconcile of a seeded,
// drifted portal (100,000 companies, 200,000 contacts, 50,000 trunks, 100,000 numbers at scale 1;
// 1 % of each drift kind and 12,000 companies on one last-modified timestamp), then an incremental
// run after 1,000 changes. The simulator runs in its own process without a practical burst limit;
// the reconcile's gateway keeps to the configured one, so the rate-limit bound is requests ÷ rate.
import { pino } from 'pino';
import { Registry } from 'prom-client';

import { createPool, withTransaction } from '../src/db/pool.js';
import { createHubSpotGateway } from '../src/hubspot/gateway.js';
import { applyProvisioning, planProvisioning } from '../src/hubspot/provision.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';
import { createOrGetActiveRun, getReconcileRun, markRunRunning, type ReconcileRun } from '../src/store/reconcile-runs.js';
import { createInboundHooks } from '../src/sync/inbound/hooks.js';
import { RECONCILE_OBJECT_TYPES } from '../src/sync/reconcile/catalogue.js';
import { type DriftReport, driftFound } from '../src/sync/reconcile/report.js';
import { executeRun, type RunnerDeps } from '../src/sync/reconcile/runner.js';
import { reconcileSource } from '../src/sync/reconcile/source.js';
import { buildReconcilePortal, injectDrift } from '../test/support/reconcile-portal.js';
import { flag, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';

export async function run(args: string[]): Promise<void> {
  const scale = flag(args, 'scale', 1);
  const burstLimit = flag(args, 'burst-limit', 190);
  const burstWindowMs = 10_000;
  const counts = { companies: Math.round(100_000 * scale), contacts: Math.round(200_000 * scale), trunks: Math.round(50_000 * scale), numbers: Math.round(100_000 * scale) };
  const sameTimestamp = Math.round(12_000 * scale);
  const db = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--burst-limit', '100000000', '--search-per-second', '100000', '--daily-limit', '1000000000']);
  const pool = createPool(db.url, 4);
  const logger = pino({ level: 'warn' });
  const gateway = createHubSpotGateway({
    baseUrl: sim.url,
    accessToken: 'bench',
    budgetStore: createRateBudgetStore(pool),
    accountKey: 'bench-reconcile',
    metrics: new Registry(),
    logger,
    limits: { burstLimit, burstWindowMs, searchWindowMs: 1_000, safetyMarginMs: 250, dailyLimit: 100_000_000 },
  });
  try {
    process.stdout.write(`reconcile-scale: building the portal (${Object.entries(counts).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ')})\n`);
    const buildStarted = performance.now();
    await applyProvisioning(await planProvisioning(gateway, { priority: 'realtime' }));
    await buildReconcilePortal(pool, sim.url, 'bench', counts);
    const injected = await injectDrift(sim.url, { changed: 0.01, deleted: 0.01, merged: 0.01, removedAssociations: 0.01, sameTimestamp: { objectType: 'companies', count: sameTimestamp }, seed: 14 });
    process.stdout.write(`  built and drifted in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s; injected ${JSON.stringify(injected.counts)}\n`);

    const deps: RunnerDeps = {
      pool,
      logger,
      source: reconcileSource(gateway),
      hooks: { ...createInboundHooks({}), needsFetch: () => undefined },
      searchLagMs: 0,
      firstLookbackMs: 86_400_000,
    };
    const execute = async (mode: 'full' | 'incremental'): Promise<{ run: ReconcileRun; wallMs: number; simRequests: number }> => {
      const { run: created } = await withTransaction(pool, (tx) => createOrGetActiveRun(tx, { mode, dryRun: false, objects: RECONCILE_OBJECT_TYPES, trigger: 'manual', estimate: {} }));
      const before = (await sim.requests()).length;
      const started = performance.now();
      await executeRun(deps, (await markRunRunning(pool, created.id, 1))!, new AbortController().signal);
      const wallMs = performance.now() - started;
      await pool.query(`UPDATE reconcile_runs SET status = 'succeeded', finished_at = now() WHERE id = $1`, [created.id]);
      const simRequests = (await sim.requests()).slice(before).filter((r) => r.path.startsWith('/crm')).length;
      return { run: (await getReconcileRun(pool, created.id))!, wallMs, simRequests };
    };

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const full = await execute('full');
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    // Ideal: one list page of 100 per 100 records of each type (associations come in the same request; deals: one empty page).
    const ideal = Object.values(counts).reduce((n, c) => n + Math.max(1, Math.ceil(c / 100)), 0) + 1;
    const boundMs = (full.run.requests / burstLimit) * burstWindowMs;
    const report = full.run.report as unknown as DriftReport;
    const found = driftFound(report);

    // 1,000 changes after the full run, a quarter on each type with a search index (companies, contacts, trunks, numbers).
    await pool.query('DELETE FROM outbox');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await injectDrift(sim.url, { changed: 250, objectTypes: ['companies', 'contacts', 'trunks', 'numbers'], seed: 15 });
    const incremental = await execute('incremental');
    const incReport = incremental.run.report as unknown as DriftReport;
    const changed = Object.values(incReport.objects).reduce((n, o) => n + (o?.changed ?? 0), 0);
    // The issue's ideal: ⌈1,000 / 200⌉ search pages plus the association reads of those pages (contacts 1, trunks 1, numbers 2 per page).
    const incrementalIdeal = Math.ceil(1_000 / 200) + Math.ceil(250 / 200) * (1 + 1 + 2);

    const mb = (bytes: number) => Math.round(bytes / 1048576);
    const lines = [
      `full run: ${full.run.requests.toLocaleString('en-US')} HubSpot requests (simulator counted ${full.simRequests.toLocaleString('en-US')})  ideal ${ideal.toLocaleString('en-US')}  ratio ${(full.run.requests / ideal).toFixed(3)}  goal ≤ 1.05`,
      `  wall ${(full.wallMs / 1000).toFixed(1)} s  rate-limit bound ${(boundMs / 1000).toFixed(1)} s at ${burstLimit}/${burstWindowMs / 1000} s  ratio ${(full.wallMs / boundMs).toFixed(3)}  goal ≤ 1.10`,
      `  peak RSS of the reconciling process ${mb(peakRss)} MB  goal < 256 MB`,
      `  drift found ${found.toLocaleString('en-US')}  injected ${injected.counts['total']?.toLocaleString('en-US')}  goal equal`,
      ...Object.entries(report.objects).map(([type, o]) => `    ${type.padEnd(8)} read ${o.read}, changed ${o.changed}, created ${o.created}, deleted ${o.deleted}, merged ${o.merged}, unknown ${o.unknown}, invalid ${o.invalid}`),
      ...Object.entries(report.associations).map(([pair, a]) => `    ${pair.padEnd(16)} compared ${a.compared}, differing ${a.differing}, following from other drift ${a.consequential}`),
      `incremental run after 1,000 changes: ${incremental.run.requests} requests (simulator counted ${incremental.simRequests})  ideal ${incrementalIdeal}  goal ≤ ideal; ${changed} changed records found; ${(incremental.wallMs / 1000).toFixed(2)} s`,
    ];
    for (const line of lines) process.stdout.write(`${line}\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'reconcile-scale',
        requests: full.run.requests,
        ideal,
        wall_ratio: Number((full.wallMs / boundMs).toFixed(3)),
        rss_mb: mb(peakRss),
        drift_found: found,
        drift_injected: injected.counts['total'],
        incremental_requests: incremental.run.requests,
        incremental_ideal: incrementalIdeal,
      })}\n`,
    );
  } finally {
    await gateway.close();
    await pool.end();
    await sim.stop();
    await db.stop();
  }
}
