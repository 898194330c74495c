// `npm run bench -- outbound-e2e [--records N] [--time-scale S] [--clients C]`: N trunk creations
// through the real service's HTTP API (API key, validation, transaction + outbox), synced by its
// outbox workers through the gateway to a simulator process. Prints the time until every trunk is
// in the simulator, HubSpot requests, 429s, and the ratio of the request rate to the rate-limit
// ceiling (burst limit per window; target ≥ 0.85). The simulator's windows are time-scaled.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';
import { createService } from '../src/service.js';
import { createApiKey } from '../src/store/api-keys.js';
import { flag, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import { BURST_LIMIT, BURST_WINDOW_MS, classify, createCustomer, outboxEmpty, requestsByPath, waitUntil } from './outbound-support.js';

const CUSTOMERS = 100;

export async function run(args: string[]): Promise<void> {
  const records = flag(args, 'records', 20_000);
  const timeScale = flag(args, 'time-scale', 0.5);
  const clients = flag(args, 'clients', 32);
  const windowMs = BURST_WINDOW_MS * timeScale;
  const database = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--time-scale', String(timeScale), '--burst-limit', String(BURST_LIMIT)]);
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '30',
    PORT: '1',
    LOG_LEVEL: 'warn',
    HUBSPOT_ACCESS_TOKEN: 'bench-token',
    HUBSPOT_BASE_URL: sim.url,
    HUBSPOT_ACCOUNT_KEY: `bench-e2e-${process.pid}`,
    HUBSPOT_BURST_LIMIT: String(BURST_LIMIT),
    HUBSPOT_BURST_WINDOW_MS: String(windowMs),
    OUTBOX_WORKERS: '4',
    OUTBOX_POLL_INTERVAL_MS: '200',
  });
  const service = await createService(config, createLogger({ level: 'warn' }));
  try {
    const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const { key } = await createApiKey(service.db.pool, 'bench', ['write']);
    const customers: Array<{ ban: string }> = [];
    for (let i = 0; i < CUSTOMERS; i++) customers.push(await createCustomer(service.db.pool, service.hubspot.gateway, `E2E customer ${i}`));
    await waitUntil(() => outboxEmpty(service.db.pool), 60_000, 'setup to settle');
    const before = (await sim.requests()).length;

    const startedAt = performance.now();
    let next = 0;
    let refused = 0;
    const client = async (): Promise<void> => {
      while (next < records) {
        const i = next++;
        const ban = customers[i % CUSTOMERS]!.ban;
        const response = await fetch(`${address}/api/v1/customers/${ban}/trunks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `trunk ${i}`, ipAddresses: [`198.51.${(i >> 8) & 255}.${i & 255}`], concurrentCalls: 10 + (i % 90), monthlyMinutes: 100_000 }),
        });
        if (response.status !== 201) refused++;
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
    const apiSeconds = (performance.now() - startedAt) / 1000;
    const unsynced = async (): Promise<number> =>
      Number((await service.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM trunks WHERE hubspot_object_id IS NULL')).rows[0]!.n);
    await waitUntil(async () => {
      if (!(await outboxEmpty(service.db.pool))) return false;
      const left = await unsynced();
      if (left > 0) throw new Error(`the outbox is empty but ${left} trunks never reached the simulator (see the dead_letters table)`);
      return true;
    }, 30 * 60_000, 'every trunk in the simulator');
    const seconds = (performance.now() - startedAt) / 1000;

    const requests = (await sim.requests()).slice(before);
    const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as { schemas: Record<string, { name: string; objectTypeId: string }>; objects: Record<string, Record<string, unknown>> };
    const trunkType = Object.values(state.schemas).find((s) => s.name === 'trunks')!.objectTypeId;
    const inSimulator = Object.keys(state.objects[trunkType] ?? {}).length;
    const http429 = requests.filter((r) => r.status === 429).length;
    const upserts = requests.filter((r) => r.path.startsWith('/crm/v3/objects/trunks/batch/upsert')).length;
    const ceilingPerSecond = BURST_LIMIT / (windowMs / 1000);
    const ratio = requests.length / seconds / ceilingPerSecond;
    const { writes, associations } = classify(requests);

    process.stdout.write(
      [
        `outbound-e2e: ${records} trunk creations through the API (${clients} concurrent clients, ${CUSTOMERS} customers), simulator time scale ${timeScale}`,
        `  API calls done after:          ${apiSeconds.toFixed(1)} s (${(records / apiSeconds).toFixed(0)} calls/s, ${refused} refused)`,
        `  all trunks in the simulator:   ${seconds.toFixed(1)} s (${inSimulator} trunk records there)`,
        `  HubSpot requests:              ${requests.length} (${writes} writes, ${associations} association calls; ${upserts} trunk upserts, ${(records / Math.max(upserts, 1)).toFixed(1)} trunks each)`,
        `  429 responses:                 ${http429}   target 0`,
        `  request rate / ceiling:        ${(requests.length / seconds).toFixed(1)} / ${ceilingPerSecond.toFixed(1)} per s = ${ratio.toFixed(3)}   target ≥ 0.85`,
        '  requests by path:',
        ...requestsByPath(requests),
        '',
      ].join('\n'),
    );
    process.stdout.write(`${JSON.stringify({ bench: 'outbound-e2e', records, seconds: Number(seconds.toFixed(2)), requests: requests.length, http_429: http429, ratio: Number(ratio.toFixed(3)) })}\n`);
  } finally {
    await service.close();
    await sim.stop();
    await database.stop();
  }
}
