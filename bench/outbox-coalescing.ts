// `npm run bench -- outbox-coalescing`: 1,000 WARP changes spread over 100 trunks, committed while
// no worker runs (a burst of edits), then synced. Prints the HubSpot write requests used; target
// ≤ 2 plus association calls (a naive one-request-per-change sync uses 1,000).
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import { outboundHubSpot } from '../src/sync/outbound/gateway-adapter.js';
import { startOutboxWorkers } from '../src/sync/outbound/outbox-worker.js';
import { valueOf } from '../src/warp/result.js';
import { createTrunk, updateTrunk } from '../src/warp/trunks.js';
import { startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import { benchGateway, classify, createCustomer, outboxEmpty, provision, requestsByPath, waitUntil } from './outbound-support.js';

const TRUNKS = 100;
const CHANGES = 1_000;
const TIME_SCALE = 0.05;

export async function run(): Promise<void> {
  const database = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--time-scale', String(TIME_SCALE)]);
  const pool = createPool(database.url, 10);
  try {
    const gateway = benchGateway(pool, sim.url, TIME_SCALE);
    await provision(gateway);
    const customer = await createCustomer(pool, gateway, 'Coalescing Corp');
    const settings = { workers: 2, batchSize: 100, pollIntervalMs: 50, leaseMs: 30_000, maxAttempts: 3, retryBudgetMs: 0, retryBaseDelayMs: 200, deferDelayMs: 200 };
    const deps = {
      pool,
      hubspot: outboundHubSpot(gateway),
      logger: createLogger({ level: 'warn' }),
      alerts: { webhookUrl: undefined, webhookTimeoutMs: 1_000 },
      timelineTemplates: {},
    };

    // Setup (not measured): 100 trunks that already exist in HubSpot.
    const trunkIds: string[] = [];
    for (let i = 0; i < TRUNKS; i++) {
      const trunk = valueOf(await createTrunk({ pool }, customer.ban, { name: `trunk ${i}`, ipAddresses: ['198.51.100.10'], concurrentCalls: 10, monthlyMinutes: 1000 }));
      trunkIds.push(trunk.trunkId);
    }
    let workers = startOutboxWorkers(deps, settings);
    await waitUntil(() => outboxEmpty(pool), 60_000, 'the setup to sync');
    await workers.stop();

    // Measured: 1,000 changes, one transaction each (as 1,000 API calls would be), round-robin.
    const before = (await sim.requests()).length;
    const startedAt = performance.now();
    for (let i = 0; i < CHANGES; i++) {
      valueOf(await updateTrunk({ pool }, customer.ban, { trunkId: trunkIds[i % TRUNKS]!, concurrentCalls: 11 + i }));
    }
    workers = startOutboxWorkers(deps, settings);
    await waitUntil(() => outboxEmpty(pool), 60_000, 'the changes to sync');
    const seconds = (performance.now() - startedAt) / 1000;
    await workers.stop();
    const requests = (await sim.requests()).slice(before);
    const { writes, associations, other } = classify(requests);

    process.stdout.write(
      [
        `outbox-coalescing: ${CHANGES} changes over ${TRUNKS} trunks (committed while no worker ran), synced in ${seconds.toFixed(2)} s`,
        `  HubSpot write requests:        ${writes}   target ≤ 2 plus association calls (naive sync: ${CHANGES})`,
        `  association requests:          ${associations}`,
        `  other requests (reads/search): ${other}`,
        '  requests by path:',
        ...requestsByPath(requests),
        '',
      ].join('\n'),
    );
    process.stdout.write(`${JSON.stringify({ bench: 'outbox-coalescing', changes: CHANGES, write_requests: writes, association_requests: associations })}\n`);
  } finally {
    await pool.end();
    await sim.stop();
    await database.stop();
  }
}
