// `npm run bench -- usage-sync [--customers N] [--changed-share S]`: N customers (default 10,000)
// whose companies exist in HubSpot and whose usage was already sent; then usage changes for a share
// of them (default 10 %: new calls, half of them also an active-calls sample) and one 5-minute
// usage tick runs, followed by the outbox. Goal: HubSpot requests ≤ ⌈changed / 100⌉ (+ association
// calls), and 0 requests carrying an unchanged customer.
import { randomBytes } from 'node:crypto';

import { createPool, type Pool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import { outboundHubSpot } from '../src/sync/outbound/gateway-adapter.js';
import { startOutboxWorkers } from '../src/sync/outbound/outbox-worker.js';
import { createIngestDeps, ingestCalls, ingestSamples } from '../src/usage/ingest.js';
import { usageWork } from '../src/worker.js';
import { flag, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import { benchGateway, classify, outboxEmpty, provision, requestsByPath, waitUntil } from './outbound-support.js';

const TIME_SCALE = 0.05;
const BATCH = 1_000;

export async function run(args: string[]): Promise<void> {
  const customers = flag(args, 'customers', 10_000);
  const share = flag(args, 'changed-share', 0.1);
  const database = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--time-scale', String(TIME_SCALE)]);
  const pool = createPool(database.url, 10);
  try {
    const gateway = benchGateway(pool, sim.url, TIME_SCALE);
    await provision(gateway);
    const seeded = await fetch(`${sim.url}/__sim/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ companies: customers }) });
    const firstId = Number(((await seeded.json()) as { created: { companies: { firstId: string } } }).created.companies.firstId);
    const trunks = await insertCustomers(pool, customers, firstId);
    const ingest = createIngestDeps({ pool, retentionDays: 35 });
    const work = usageWork(pool, createLogger({ level: 'warn' }), undefined, { webhookUrl: undefined, webhookTimeoutMs: 1_000 });
    const tick = () => work['usage-live']({ slotAt: new Date(), signal: new AbortController().signal });
    const settings = { workers: 2, batchSize: 100, pollIntervalMs: 50, leaseMs: 30_000, maxAttempts: 3, retryBudgetMs: 0, retryBaseDelayMs: 200, deferDelayMs: 200 };
    const outbound = { pool, hubspot: outboundHubSpot(gateway), logger: createLogger({ level: 'warn' }), alerts: { webhookUrl: undefined, webhookTimeoutMs: 1_000 }, timelineTemplates: {} };
    const sync = async (what: string): Promise<void> => {
      const workers = startOutboxWorkers(outbound, settings);
      await waitUntil(() => outboxEmpty(pool), 300_000, what);
      await workers.stop();
    };

    // Setup (not measured): a month of usage so far for everyone, sent once.
    for (let i = 0; i < trunks.length; i += BATCH) await ingestCalls(ingest, trunks.slice(i, i + BATCH).map((t) => unansweredCall(t, '0.10')));
    await tick();
    await sync('the first full send');

    // Measured: usage changes for `share` of the customers, then one tick and the outbox.
    const changed = pickDistinct(customers, Math.round(customers * share));
    const changedTrunks = changed.map((i) => trunks[i]!);
    for (let i = 0; i < changedTrunks.length; i += BATCH) await ingestCalls(ingest, changedTrunks.slice(i, i + BATCH).map((t) => unansweredCall(t, '0.25')));
    const sampled = changedTrunks.filter((_, i) => i % 2 === 0);
    await ingestSamples(ingest, sampled.map((trunkId) => ({ trunkId, at: new Date(Date.now() - 30_000).toISOString(), activeCalls: 3 })));
    const before = (await sim.requests()).length;
    const startedAt = performance.now();
    const counts = await tick();
    const tickMs = performance.now() - startedAt;
    await sync('the tick to sync');
    const seconds = (performance.now() - startedAt) / 1000;
    const requests = (await sim.requests()).slice(before);
    const { writes, associations, other } = classify(requests);
    const unchangedWritten = await unchangedCompaniesWritten(sim.url, before, new Set(changed.map((i) => String(firstId + i))));
    const ideal = Math.ceil(changed.length / 100);

    process.stdout.write(
      [
        `usage-sync: ${customers} customers, ${changed.length} with new usage (${sampled.length} also an active-calls sample), one 5-minute tick`,
        `  tick: ${tickMs.toFixed(0)} ms (${JSON.stringify(counts)}); synced to HubSpot in ${seconds.toFixed(2)} s`,
        `  HubSpot requests:              ${requests.length}   goal ≤ ${ideal} (⌈${changed.length} / 100⌉) + association calls`,
        `    writes ${writes}, associations ${associations}, other ${other}`,
        `  unchanged customers written:   ${unchangedWritten}   goal 0`,
        '  requests by path:',
        ...requestsByPath(requests),
        '',
      ].join('\n'),
    );
    process.stdout.write(`${JSON.stringify({ bench: 'usage-sync', customers, changed: changed.length, requests: requests.length, ideal, unchanged_written: unchangedWritten })}\n`);
  } finally {
    await pool.end();
    await sim.stop();
    await database.stop();
  }
}

/** Customers with a BAN, the seeded companies' ids, and one trunk each; returns the trunk ids in customer order. */
async function insertCustomers(pool: Pool, count: number, firstCompanyId: number): Promise<string[]> {
  const { rows } = await pool.query<{ trunk_id: string }>(
    `WITH c AS (
       INSERT INTO customers (ban, hubspot_company_id, name)
       SELECT (2000000 + i)::text, ($2 + i)::text, 'Company ' || (i + 1) FROM generate_series(0, $1 - 1) AS i
       RETURNING id, ban)
     INSERT INTO trunks (trunk_id, customer_id, name, ip_addresses, concurrent_calls, monthly_minutes)
     SELECT 'trunk_bench' || c.ban, c.id, 'Trunk ' || c.ban, ARRAY['198.51.100.10']::inet[], 30, 100000 FROM c
     RETURNING trunk_id`,
    [count, firstCompanyId],
  );
  return rows.map((r) => r.trunk_id).sort();
}

function unansweredCall(trunkId: string, cost: string): Record<string, unknown> {
  const startMs = Date.now() - 5 * 60_000;
  return {
    callId: `bench-${randomBytes(12).toString('base64url')}`,
    trunkId,
    direction: 'outbound',
    startedAt: new Date(startMs).toISOString(),
    answeredAt: null,
    endedAt: new Date(startMs + 30_000).toISOString(),
    billableSeconds: 0,
    sipCode: 486,
    cost,
  };
}

function pickDistinct(n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, k).sort((a, b) => a - b);
}

/** Company ids in the write requests after `sinceSeq` that are not in `changed`. */
async function unchangedCompaniesWritten(simUrl: string, sinceIndex: number, changed: ReadonlySet<string>): Promise<number> {
  const body = (await (await fetch(`${simUrl}/__sim/requests`)).json()) as { results: Array<{ path: string; body?: { inputs?: Array<{ id?: string }> } }> };
  let unchanged = 0;
  for (const r of body.results.slice(sinceIndex)) {
    if (!r.path.startsWith('/crm/v3/objects/companies/batch/')) continue;
    for (const input of r.body?.inputs ?? []) if (input.id !== undefined && !changed.has(input.id)) unchanged++;
  }
  return unchanged;
}
