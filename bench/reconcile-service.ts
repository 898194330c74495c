// The reconciling side of `npm run bench -- reconcile-scale`: the whole service (`createService`:
// HTTP API, job runner, schedules, pools, gateway), in a process of its own, so the peak RSS it
// reports is the service's and not the bench's (which builds the portal) or the simulator's. A run
// is started as an operator starts one, `POST /api/v1/sync/customers/reconcile`, and runs as a
// background job. Over IPC, `{ mode }` runs one reconcile to its end and replies with its run id,
// wall time (the run's own start to finish), the process's CPU time meanwhile and its peak RSS
// so far (getrusage maxrss: the high-water mark, not a sample).
import { z } from 'zod';

import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import { createService } from '../src/service.js';
import { createApiKey } from '../src/store/api-keys.js';
import { getReconcileRun } from '../src/store/reconcile-runs.js';

export const reconcileServiceConfig = z.object({ databaseUrl: z.string(), simulatorUrl: z.string(), accountKey: z.string(), burstLimit: z.number().int().positive(), burstWindowMs: z.number().int().positive() });
export type ReconcileServiceConfig = z.infer<typeof reconcileServiceConfig>;
const command = z.discriminatedUnion('kind', [z.object({ kind: z.literal('run'), mode: z.enum(['full', 'incremental']) }), z.object({ kind: z.literal('stop') })]);

export interface ReconcileServiceResult {
  runId: string;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
}

const POLL_MS = 200;

const settings = reconcileServiceConfig.parse(JSON.parse(process.argv[2] ?? '{}'));
const logger = createLogger({ level: 'warn' });
const service = await createService(
  loadConfig({
    DATABASE_URL: settings.databaseUrl,
    HUBSPOT_BASE_URL: settings.simulatorUrl,
    HUBSPOT_ACCESS_TOKEN: 'bench',
    // The bench process provisions with the same account key: both keep to one rate budget.
    HUBSPOT_ACCOUNT_KEY: settings.accountKey,
    HUBSPOT_BURST_LIMIT: String(settings.burstLimit),
    HUBSPOT_BURST_WINDOW_MS: String(settings.burstWindowMs),
    HUBSPOT_DAILY_LIMIT: '100000000',
    // The bench provisioned the portal; the run's requests are the only ones measured, so no
    // webhook or outbox work runs beside it (repairs stay queued in the outbox).
    HUBSPOT_PROVISION_AT_START: 'false',
    INBOX_WORKERS: '0',
    OUTBOX_WORKERS: '0',
    JOB_CONCURRENCY: '1',
    RECONCILE_SEARCH_LAG_MS: '0',
    LOG_LEVEL: 'warn',
  }),
  logger,
);
const baseUrl = await service.app.listen({ port: 0, host: '127.0.0.1' });
const pool = createPool(settings.databaseUrl, 1);
const { key } = await createApiKey(pool, 'bench-reconcile', ['admin']);

async function runOnce(mode: 'full' | 'incremental'): Promise<ReconcileServiceResult> {
  const cpuBefore = process.cpuUsage();
  const response = await fetch(`${baseUrl}/api/v1/sync/customers/reconcile${mode === 'incremental' ? '?incremental=true' : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
  if (response.status !== 202) throw new Error(`reconcile start answered ${response.status}: ${await response.text()}`);
  const { run: started } = z.object({ run: z.object({ id: z.string() }) }).parse(await response.json());
  for (;;) {
    const run = await getReconcileRun(pool, started.id);
    if (run?.status === 'failed') throw new Error(`reconcile run ${started.id} failed: ${JSON.stringify(run.error)}`);
    if (run?.status === 'succeeded' && run.startedAt && run.finishedAt) {
      const cpu = process.cpuUsage(cpuBefore);
      return {
        runId: run.id,
        wallMs: run.finishedAt.getTime() - run.startedAt.getTime(),
        cpuMs: (cpu.user + cpu.system) / 1000,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

process.on('message', (message) => {
  const parsed = command.parse(message);
  if (parsed.kind === 'stop') {
    void service.close().then(() => pool.end()).then(() => process.exit(0));
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
