// `npm run bench -- reconcile-scale [--scale 1] [--burst-limit 190]`: a full reconcile of a seeded,
// drifted portal (100,000 companies, 200,000 contacts, 50,000 trunks, 100,000 numbers at scale 1;
// 1 % of each drift kind and 12,000 companies on one last-modified timestamp), then an incremental
// run after 1,000 changes. The simulator runs in its own process without a practical burst limit;
// the reconcile's gateway keeps to the configured one. The rate-limit bound is the least time the
// limit allows for the run's requests: the first `burst-limit` go at once, then that many per
// window (⌊(requests − 1) / limit⌋ windows); requests ÷ rate, the smooth bound, is printed beside
// it. The reconcile runs in the whole service, in a process of its own (bench/reconcile-service.ts),
// so the peak RSS is the service's, not the bench's, which builds the portal. The CPU time of the reconciling process and of the
// simulator (which shares the machine) is printed too, so a slow run says where the time went.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { pino } from 'pino';
import { Registry } from 'prom-client';

import { createPool } from '../src/db/pool.js';
import { createHubSpotGateway } from '../src/hubspot/gateway.js';
import { applyProvisioning, planProvisioning } from '../src/hubspot/provision.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';
import { getReconcileRun, type ReconcileRun } from '../src/store/reconcile-runs.js';
import { type DriftReport, driftFound } from '../src/sync/reconcile/report.js';
import { buildReconcilePortal, injectDrift } from '../test/support/reconcile-portal.js';
import { flag, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import type { ReconcileServiceConfig, ReconcileServiceResult } from './reconcile-service.js';

const ACCOUNT_KEY = 'bench-reconcile';

/** CPU time (user + system) of a process, from /proc; null where there is none. */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 a second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

interface ReconcileService {
  pid: number | undefined;
  run(mode: 'full' | 'incremental'): Promise<ReconcileServiceResult>;
  stop(): Promise<void>;
}

/**
 * The Node flags `npm start` runs the service with (package.json; the heap limit, README
 * "Production start"): the forked service runs as users run it, and its peak RSS depends on them.
 */
function serviceNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  return manifest.scripts.start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** Forks bench/reconcile-service.ts; resolves once it has its pool and gateway. */
async function startReconcileService(config: ReconcileServiceConfig): Promise<ReconcileService> {
  const child = fork(path.join(import.meta.dirname, 'reconcile-service.ts'), [JSON.stringify(config)], { execArgv: ['--import', 'tsx', ...serviceNodeFlags()] });
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`reconcile service exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });
  await next();
  return {
    pid: child.pid,
    run: async (mode) => {
      const reply = next();
      child.send({ kind: 'run', mode });
      return (await reply) as ReconcileServiceResult;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ kind: 'stop' });
      }),
  };
}

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
  // Provisioning and the portal's seeding go through the same account's budget as the service's runs.
  const gateway = createHubSpotGateway({
    baseUrl: sim.url,
    accessToken: 'bench',
    budgetStore: createRateBudgetStore(pool),
    accountKey: ACCOUNT_KEY,
    metrics: new Registry(),
    logger,
    limits: { burstLimit, burstWindowMs, searchWindowMs: 1_000, safetyMarginMs: 250, dailyLimit: 100_000_000 },
  });
  let service: ReconcileService | undefined;
  try {
    process.stdout.write(`reconcile-scale: building the portal (${Object.entries(counts).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ')})\n`);
    const buildStarted = performance.now();
    await applyProvisioning(await planProvisioning(gateway, { priority: 'realtime' }));
    await buildReconcilePortal(pool, sim.url, 'bench', counts);
    const injected = await injectDrift(sim.url, { changed: 0.01, deleted: 0.01, merged: 0.01, removedAssociations: 0.01, extraAssociations: 0.01, sameTimestamp: { objectType: 'companies', count: sameTimestamp }, seed: 14 });
    process.stdout.write(`  built and drifted in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s; injected ${JSON.stringify(injected.counts)}\n`);

    const started = await startReconcileService({ databaseUrl: db.url, simulatorUrl: sim.url, accountKey: ACCOUNT_KEY, burstLimit, burstWindowMs });
    service = started;
    const execute = async (mode: 'full' | 'incremental'): Promise<{ run: ReconcileRun; wallMs: number; simRequests: number; cpuMs: number; simCpuMs: number | null; peakRssMb: number }> => {
      const before = (await sim.requests()).length;
      const simCpuBefore = processCpuMs(sim.child.pid);
      const result = await started.run(mode);
      const simCpuAfter = processCpuMs(sim.child.pid);
      const simCpuMs = simCpuBefore === null || simCpuAfter === null ? null : simCpuAfter - simCpuBefore;
      const simRequests = (await sim.requests()).slice(before).filter((r) => r.path.startsWith('/crm')).length;
      return { run: (await getReconcileRun(pool, result.runId))!, wallMs: result.wallMs, simRequests, cpuMs: result.cpuMs, simCpuMs, peakRssMb: result.peakRssMb };
    };

    const full = await execute('full');
    // Ideal: one list page of 100 per 100 records of each type (associations come in the same
    // request); deals and tickets, which the portal has none of: one empty page each.
    const ideal = Object.values(counts).reduce((n, c) => n + Math.max(1, Math.ceil(c / 100)), 0) + 2;
    const boundMs = Math.floor((full.run.requests - 1) / burstLimit) * burstWindowMs;
    const smoothBoundMs = (full.run.requests / burstLimit) * burstWindowMs;
    const report = full.run.report as unknown as DriftReport;
    const found = driftFound(report);

    // 1,000 changes after the full run, a quarter on each type with a search index (companies, contacts, trunks, numbers).
    await pool.query('DELETE FROM outbox');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const perType = 250;
    await injectDrift(sim.url, { changed: perType, objectTypes: ['companies', 'contacts', 'trunks', 'numbers'], seed: 15 });
    const incremental = await execute('incremental');
    const incReport = incremental.run.report as unknown as DriftReport;
    const changed = Object.values(incReport.objects).reduce((n, o) => n + (o?.changed ?? 0), 0);
    // The least a search can do: per type ⌈changes / 200⌉ search pages (deals, tickets: one empty search) and
    // one association read per target for each 1,000 records found (contacts 1, trunks 1, numbers 2).
    // ⌈1,000 / 200⌉ = 5 search pages holds only for changes on one type; spread over four it is 8.
    const targets = { companies: 0, contacts: 1, trunks: 1, numbers: 2 };
    const incrementalIdeal = 2 + Object.values(targets).reduce((n, t) => n + Math.ceil(perType / 200) + t * Math.ceil(perType / 1000), 0);

    const lines = [
      `full run: ${full.run.requests.toLocaleString('en-US')} HubSpot requests (simulator counted ${full.simRequests.toLocaleString('en-US')})  ideal ${ideal.toLocaleString('en-US')}  ratio ${(full.run.requests / ideal).toFixed(3)}  goal ≤ 1.05`,
      `  wall ${(full.wallMs / 1000).toFixed(1)} s  rate-limit bound ${(boundMs / 1000).toFixed(1)} s at ${burstLimit}/${burstWindowMs / 1000} s  ratio ${(full.wallMs / boundMs).toFixed(3)}  goal ≤ 1.10` +
        `  (smooth bound ${(smoothBoundMs / 1000).toFixed(1)} s: ratio ${(full.wallMs / smoothBoundMs).toFixed(3)})`,
      `  CPU: reconciling process ${(full.cpuMs / 1000).toFixed(1)} s, simulator ${full.simCpuMs === null ? '?' : (full.simCpuMs / 1000).toFixed(1)} s (${full.simCpuMs === null ? '?' : (full.simCpuMs / Math.max(1, full.simRequests)).toFixed(1)} ms a request)`,
      `  peak RSS of the service process ${full.peakRssMb} MB (getrusage maxrss; ${incremental.peakRssMb} MB after the incremental run)  goal < 256 MB`,
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
        rss_mb: full.peakRssMb,
        drift_found: found,
        drift_injected: injected.counts['total'],
        incremental_requests: incremental.run.requests,
        incremental_ideal: incrementalIdeal,
      })}\n`,
    );
  } finally {
    await service?.stop();
    await gateway.close();
    await pool.end();
    await sim.stop();
    await db.stop();
  }
}
