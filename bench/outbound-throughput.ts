// `npm run bench -- outbound-throughput [--records 20000] [--time-scale 0.1] [--burst-limit 100]`
//
// Pushes records through the gateway (batch create, 100 per request) to the simulator at its
// burst limit and compares records/s with the ceiling: burst limit per second × 100 records per
// batch. Target: ≥ 0.9 of the ceiling with zero 429s.
//
// The simulator runs time-scaled (default 0.5: the 10 s window is 5 s) in its own process; its own
// time per request is not scaled, so much smaller scales measure the simulator, not the gateway. A
// warm-up pushes two windows' worth of batches first, so the measurement starts in steady state:
// an empty window would let the first 100 batches through at once and flatter the figure (with
// 200 requests in all, close to 2x). It also warms the simulator's JIT.
import { pino } from 'pino';
import { Registry } from 'prom-client';

import { createPool } from '../src/db/pool.js';
import { createHubSpotGateway } from '../src/hubspot/gateway.js';
import { companies, flag, maxInWindow, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';

const RECORDS_PER_BATCH = 100;

export async function run(args: string[]): Promise<void> {
  const records = flag(args, 'records', 20_000);
  const timeScale = flag(args, 'time-scale', 0.5);
  const burstLimit = flag(args, 'burst-limit', 100);
  const windowMs = 10_000 * timeScale;

  const db = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--time-scale', String(timeScale), '--burst-limit', String(burstLimit), '--daily-limit', '10000000']);
  const pool = createPool(db.url, 4);
  try {
    const metrics = new Registry();
    const gateway = createHubSpotGateway({
      baseUrl: sim.url,
      accessToken: 'bench',
      budgetStore: createRateBudgetStore(pool),
      accountKey: 'bench-outbound',
      metrics,
      logger: pino({ level: 'warn' }),
      chunkConcurrency: 32,
      limits: { burstLimit, burstWindowMs: windowMs, searchWindowMs: 1_000 * timeScale, safetyMarginMs: 250 * timeScale, dailyLimit: 10_000_000 },
    });
    const warmup = await gateway.batchCreate('companies', companies(2 * burstLimit * RECORDS_PER_BATCH, 'warmup'));
    if (warmup.failures.length > 0) throw new Error(`warm-up failed: ${warmup.failures[0]?.message}`);
    const logBefore = (await sim.requests()).length;
    const inputs = companies(records, 'bench');
    const started = performance.now();
    const { results, failures } = await gateway.batchCreate('companies', inputs);
    const elapsedS = (performance.now() - started) / 1000;
    await gateway.close();
    const log = (await sim.requests()).slice(logBefore);
    const http429 = log.filter((r) => r.status === 429).length;
    const recordsPerS = results.length / elapsedS;
    const ceiling = (burstLimit / (windowMs / 1000)) * RECORDS_PER_BATCH;
    const ratio = recordsPerS / ceiling;
    const maxWindow = maxInWindow((await sim.requests()).map((r) => r.atMs), windowMs);
    const lines = [
      `outbound-throughput: ${results.length} records created in ${log.length} batch requests, ${failures.length} failed`,
      `  simulator: burst limit ${burstLimit} per ${windowMs} ms (time scale ${timeScale}), in its own process`,
      `  elapsed ${elapsedS.toFixed(2)} s -> ${recordsPerS.toFixed(0)} records/s; ceiling ${ceiling.toFixed(0)} records/s`,
      `  ratio ${ratio.toFixed(3)} (target >= 0.9)   429s received: ${http429} (target 0)   most requests in one window: ${maxWindow} (limit ${burstLimit})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'outbound-throughput',
        records: results.length,
        failed: failures.length,
        requests: log.length,
        elapsed_s: Number(elapsedS.toFixed(3)),
        records_per_s: Math.round(recordsPerS),
        ceiling_records_per_s: Math.round(ceiling),
        ratio: Number(ratio.toFixed(3)),
        http_429: http429,
        max_requests_in_window: maxWindow,
        limit: burstLimit,
        time_scale: timeScale,
      })}\n`,
    );
  } finally {
    await pool.end();
    await sim.stop();
    await db.stop();
  }
}
