// The reconciling side of `npm run bench -- reconcile-scale`, in a process of its own, so the peak
// RSS it reports is the reconcile's and not the bench's (which builds the portal) or the
// simulator's. It wires the runner as the service does (its own pool and gateway) and answers
// over IPC: `{ mode }` runs one reconcile to its end and replies with its run id, wall time, CPU
// time and the process's peak RSS so far (getrusage maxrss: the high-water mark, not a sample).
import { pino } from 'pino';
import { z } from 'zod';

import { createPool, withTransaction } from '../src/db/pool.js';
import { createOrGetActiveRun, markRunRunning } from '../src/store/reconcile-runs.js';
import { createInboundHooks } from '../src/sync/inbound/hooks.js';
import { RECONCILE_OBJECT_TYPES } from '../src/sync/reconcile/catalogue.js';
import { executeRun, type RunnerDeps } from '../src/sync/reconcile/runner.js';
import { reconcileSource } from '../src/sync/reconcile/source.js';

import { reconcileBenchGateway } from './reconcile-gateway.js';

export const reconcileServiceConfig = z.object({ databaseUrl: z.string(), simulatorUrl: z.string(), burstLimit: z.number().int().positive(), burstWindowMs: z.number().int().positive() });
export type ReconcileServiceConfig = z.infer<typeof reconcileServiceConfig>;
const command = z.discriminatedUnion('kind', [z.object({ kind: z.literal('run'), mode: z.enum(['full', 'incremental']) }), z.object({ kind: z.literal('stop') })]);

export interface ReconcileServiceResult {
  runId: string;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

const config = reconcileServiceConfig.parse(JSON.parse(process.argv[2] ?? '{}'));
const pool = createPool(config.databaseUrl, 4);
const logger = pino({ level: 'warn' });
const gateway = reconcileBenchGateway(pool, config.simulatorUrl, { burstLimit: config.burstLimit, burstWindowMs: config.burstWindowMs }, logger);
const deps: RunnerDeps = {
  pool,
  logger,
  source: reconcileSource(gateway),
  hooks: { ...createInboundHooks({}), needsFetch: () => undefined },
  searchLagMs: 0,
  firstLookbackMs: 86_400_000,
};

async function runOnce(mode: 'full' | 'incremental'): Promise<ReconcileServiceResult> {
  const { run } = await withTransaction(pool, (tx) => createOrGetActiveRun(tx, { mode, dryRun: false, objects: RECONCILE_OBJECT_TYPES, trigger: 'manual', estimate: {} }));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await executeRun(deps, (await markRunRunning(pool, run.id, 1))!, new AbortController().signal);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await pool.query(`UPDATE reconcile_runs SET status = 'succeeded', finished_at = now() WHERE id = $1`, [run.id]);
  return { runId: run.id, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
}

process.on('message', (message) => {
  const parsed = command.parse(message);
  if (parsed.kind === 'stop') {
    void gateway.close().then(() => pool.end()).then(() => process.exit(0));
    return;
  }
  runOnce(parsed.mode).then(
    (result) => process.send?.(result),
    (error: unknown) => {
      process.stderr.write(`reconcile service: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
process.send?.({ ready: true });
