// `npm run bench -- shared-budget [--processes 4] [--records 40000] [--time-scale 0.5] [--burst-limit 100]`
//
// N processes, each with its own gateway and connection pool, share one rate budget (one account
// key in one PostgreSQL) and push records to one simulator (its own process). Prints the most
// requests the simulator saw in any rolling window (must be <= the limit), the 429s, and the
// combined throughput against the ceiling (burst limit per second x 100 records per batch).
// Until the workers' common start time the parent keeps pushing batches itself, so the workers
// start in steady state (a full, rolling window) rather than with a free first window.
import { spawn } from 'node:child_process';
import path from 'node:path';

import { pino } from 'pino';
import { Registry } from 'prom-client';

import { createPool } from '../src/db/pool.js';
import { createHubSpotGateway, type HubSpotGateway } from '../src/hubspot/gateway.js';
import { companies, flag, maxInWindow, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';

const RECORDS_PER_BATCH = 100;
const ACCOUNT_KEY = 'bench-shared';
const START_DELAY_MS = 4_000;
const RESULT_PREFIX = 'RESULT ';

function gatewayFor(dbUrl: string, simUrl: string, timeScale: number, burstLimit: number): { gateway: HubSpotGateway; close(): Promise<void> } {
  const pool = createPool(dbUrl, 4);
  const gateway = createHubSpotGateway({
    baseUrl: simUrl,
    accessToken: 'bench',
    budgetStore: createRateBudgetStore(pool),
    accountKey: ACCOUNT_KEY,
    metrics: new Registry(),
    logger: pino({ level: 'warn' }),
    chunkConcurrency: 16,
    limits: { burstLimit, burstWindowMs: 10_000 * timeScale, searchWindowMs: 1_000 * timeScale, safetyMarginMs: 250 * timeScale, dailyLimit: 10_000_000 },
  });
  return {
    gateway,
    close: async () => {
      await gateway.close();
      await pool.end();
    },
  };
}

/** One worker process: waits for the common start time, pushes its records, reports as JSON. */
async function worker(args: string[]): Promise<void> {
  const value = (name: string): string => args[args.indexOf(`--${name}`) + 1] ?? '';
  const { gateway, ...pool } = gatewayFor(value('db'), value('sim'), flag(args, 'time-scale', 0.5), flag(args, 'burst-limit', 100));
  const inputs = companies(flag(args, 'records', 10_000), `w${value('index')}`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(value('start-at')) - Date.now())));
  const { results, failures } = await gateway.batchCreate('companies', inputs);
  const finishedAtMs = Date.now();
  await pool.close();
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ created: results.length, failed: failures.length, finishedAtMs })}\n`);
}

interface WorkerReport {
  created: number;
  failed: number;
  finishedAtMs: number;
}

function spawnWorker(
  index: number,
  o: { db: string; sim: string; perProcess: number; timeScale: number; burstLimit: number; startAt: number },
): Promise<WorkerReport> {
  return new Promise<WorkerReport>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'main.ts'), 'shared-budget', '--worker', '--db', o.db, '--sim', o.sim,
        '--records', String(o.perProcess), '--time-scale', String(o.timeScale), '--burst-limit', String(o.burstLimit),
        '--index', String(index), '--start-at', String(o.startAt)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerReport);
      else reject(new Error(`worker ${index} exited with ${code}: ${out}`));
    });
  });
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--worker')) return worker(args);
  const processes = flag(args, 'processes', 4);
  const records = flag(args, 'records', 40_000);
  const timeScale = flag(args, 'time-scale', 0.5);
  const burstLimit = flag(args, 'burst-limit', 100);
  const windowMs = 10_000 * timeScale;

  const db = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--time-scale', String(timeScale), '--burst-limit', String(burstLimit), '--daily-limit', '10000000']);
  try {
    const startAt = Date.now() + Math.max(START_DELAY_MS, 2 * windowMs);
    const perProcess = Math.ceil(records / processes);
    const workers = Array.from({ length: processes }, (_, index) => spawnWorker(index, { db: db.url, sim: sim.url, perProcess, timeScale, burstLimit, startAt }));
    // Observed by Promise.all below; this only keeps an early worker failure from being "unhandled".
    for (const w of workers) w.catch(() => undefined);
    const warm = gatewayFor(db.url, sim.url, timeScale, burstLimit);
    while (Date.now() < startAt - windowMs / 10) await warm.gateway.batchCreate('companies', companies(10 * RECORDS_PER_BATCH, 'warmup'));
    await warm.close();
    const reports = await Promise.all(workers);
    const all = await sim.requests();
    const log = all.filter((r) => r.atMs >= startAt);
    const created = reports.reduce((n, r) => n + r.created, 0);
    const failed = reports.reduce((n, r) => n + r.failed, 0);
    const elapsedS = (Math.max(...reports.map((r) => r.finishedAtMs)) - startAt) / 1000;
    const maxWindow = maxInWindow(all.map((r) => r.atMs), windowMs);
    const http429 = log.filter((r) => r.status === 429).length;
    const recordsPerS = created / elapsedS;
    const ceiling = (burstLimit / (windowMs / 1000)) * RECORDS_PER_BATCH;
    process.stdout.write(
      [
        `shared-budget: ${processes} processes, one budget, one simulator (burst limit ${burstLimit} per ${windowMs} ms, time scale ${timeScale})`,
        `  ${created} records created in ${log.length} requests, ${failed} failed, in ${elapsedS.toFixed(2)} s`,
        `  most requests in any ${windowMs} ms window: ${maxWindow} (limit ${burstLimit})   429s: ${http429} (target 0)`,
        `  combined ${recordsPerS.toFixed(0)} records/s; ceiling ${ceiling.toFixed(0)} records/s; ratio ${(recordsPerS / ceiling).toFixed(3)}`,
      ].join('\n') + '\n',
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'shared-budget',
        processes,
        max_requests_in_window: maxWindow,
        limit: burstLimit,
        http_429: http429,
        records: created,
        failed,
        elapsed_s: Number(elapsedS.toFixed(3)),
        records_per_s: Math.round(recordsPerS),
        ceiling_records_per_s: Math.round(ceiling),
        ratio: Number((recordsPerS / ceiling).toFixed(3)),
        time_scale: timeScale,
      })}\n`,
    );
  } finally {
    await sim.stop();
    await db.stop();
  }
}
