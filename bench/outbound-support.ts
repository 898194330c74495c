// Shared by the outbound benchmarks: a gateway and outbox workers against a simulator process,
// with the simulator's (time-scaled) burst window mirrored in the gateway's budget.
import { Registry } from 'prom-client';

import type { Pool } from '../src/db/pool.js';
import { createHubSpotGateway, type HubSpotGateway } from '../src/hubspot/gateway.js';
import { applyProvisioning, planProvisioning } from '../src/hubspot/provision.js';
import { createLogger } from '../src/lib/logger.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';

export const BURST_LIMIT = 100;
export const BURST_WINDOW_MS = 10_000;

export function benchGateway(pool: Pool, url: string, timeScale: number): HubSpotGateway {
  return createHubSpotGateway({
    baseUrl: url,
    accessToken: 'bench-token',
    budgetStore: createRateBudgetStore(pool),
    accountKey: `bench-${process.pid}`,
    limits: { burstLimit: BURST_LIMIT, burstWindowMs: BURST_WINDOW_MS * timeScale },
    metrics: new Registry(),
    logger: createLogger({ level: 'warn' }),
  });
}

export async function provision(gateway: HubSpotGateway): Promise<void> {
  const report = await applyProvisioning(await planProvisioning(gateway));
  if (report.failed > 0 || report.conflicts > 0) throw new Error('provisioning the simulator failed');
}

/** A customer whose company exists in HubSpot, as after onboarding. */
export async function createCustomer(pool: Pool, gateway: HubSpotGateway, name: string): Promise<{ id: string; ban: string }> {
  const company = await gateway.createObject('companies', { properties: { name } });
  const { rows } = await pool.query<{ id: string; ban: string }>(
    `INSERT INTO customers (ban, hubspot_company_id, name) VALUES (nextval('ban_seq')::text, $1, $2) RETURNING id, ban`,
    [company.id, name],
  );
  return { id: String(rows[0]!.id), ban: rows[0]!.ban };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const outboxEmpty = async (pool: Pool): Promise<boolean> =>
  (await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n === '0';

/** Write requests (object and note writes) and association requests in a request log. */
export function classify(requests: ReadonlyArray<{ method: string; path: string }>): { writes: number; associations: number; other: number } {
  let writes = 0;
  let associations = 0;
  for (const r of requests) {
    if (r.path.startsWith('/crm/v4/associations') || r.path.includes('/associations/')) associations++;
    else if (r.method !== 'GET' && r.path.startsWith('/crm/v3/objects/') && !r.path.includes('/search') && !r.path.includes('/batch/read')) writes++;
  }
  return { writes, associations, other: requests.length - writes - associations };
}

/** Requests per `METHOD path` (query strings dropped), most frequent first, for the summary. */
export function requestsByPath(requests: ReadonlyArray<{ method: string; path: string }>): string[] {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const key = `${r.method} ${r.path.split('?')[0]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([key, n]) => `    ${String(n).padStart(5)}  ${key}`);
}
