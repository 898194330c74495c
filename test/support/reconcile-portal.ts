import type { Pool } from '../../src/db/pool.js';

/**
 * A seeded simulator portal and the WARP side that matches it, for reconcile's tests and its
 * benchmark: `/__sim/seed` builds companies, contacts, tickets, trunks and numbers with their associations;
 * the cache and WARP's tables get the same records by SQL (`generate_series`, following the
 * seeder's naming: `Company 1`, `trunk_0000001`, `+15550000001`, …); the WARP-owned values HubSpot
 * lacks after seeding (BANs as WARP issues them, trunk limits, …) are written to the portal in
 * batches, so a reconcile of the fresh portal finds no drift at all.
 */

export interface PortalCounts {
  companies: number;
  contacts: number;
  trunks: number;
  numbers: number;
  /** Tickets (default none), each linked to a company like contacts. */
  tickets?: number;
}

interface SeededRange {
  firstId?: string;
}

const ban = (i: number) => String(i + 1).padStart(7, '0');

async function sim(url: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Batch updates of 100, a few at a time (straight to the simulator, not through the service). */
async function updateAll(url: string, token: string, objectType: string, firstId: number, count: number, properties: (i: number) => Record<string, string>): Promise<void> {
  const batches: number[] = [];
  for (let start = 0; start < count; start += 100) batches.push(start);
  const worker = async () => {
    for (let start = batches.shift(); start !== undefined; start = batches.shift()) {
      const inputs = [];
      for (let i = start; i < Math.min(count, start + 100); i++) inputs.push({ id: String(firstId + i), properties: properties(i) });
      await sim(url, `/crm/v3/objects/${objectType}/batch/update`, { inputs }, token);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

export interface BuiltPortal {
  firstIds: Record<'companies' | 'contacts' | 'tickets' | 'trunks' | 'numbers', number>;
}

/** Seeds the portal (its schemas must be provisioned first), fills WARP's tables and aligns the WARP-owned values. */
export async function buildReconcilePortal(pool: Pool, simUrl: string, token: string, counts: PortalCounts): Promise<BuiltPortal> {
  const seeded = (await sim(simUrl, '/__sim/seed', { ...counts, stepMs: 1 })) as { created: Record<string, SeededRange> };
  const first = (name: keyof BuiltPortal['firstIds']) => Number(seeded.created[name]?.firstId ?? 0);
  const firstIds = { companies: first('companies'), contacts: first('contacts'), tickets: first('tickets'), trunks: first('trunks'), numbers: first('numbers') };
  const { companies: C, trunks: T } = counts;
  await pool.query(
    `INSERT INTO customers (hubspot_company_id, name, domain, ban)
     SELECT ($1 + i)::text, 'Company ' || (i + 1), 'company' || (i + 1) || '.example', lpad((i + 1)::text, 7, '0') FROM generate_series(0, $2 - 1) AS i`,
    [firstIds.companies, C],
  );
  await pool.query(
    `INSERT INTO users (hubspot_contact_id, email, firstname, lastname, customer_id)
     SELECT ($1 + i)::text, 'contact' || (i + 1) || '@company' || (i % $3 + 1) || '.example', 'First' || (i + 1), 'Last' || (i + 1), c.id
     FROM generate_series(0, $2 - 1) AS i JOIN customers c ON c.hubspot_company_id = ($4 + i % $3)::text`,
    [firstIds.contacts, counts.contacts, C, firstIds.companies],
  );
  await pool.query(
    `INSERT INTO trunks (trunk_id, customer_id, name, status, concurrent_calls, monthly_minutes, created_date, hubspot_object_id)
     SELECT 'trunk_' || lpad((i + 1)::text, 7, '0'), c.id, 'Trunk ' || (i + 1), (ARRAY['active', 'active', 'active', 'suspended'])[i % 4 + 1],
       10, 1000, DATE '2026-01-01', ($1 + i)::text
     FROM generate_series(0, $2 - 1) AS i JOIN customers c ON c.hubspot_company_id = ($4 + i % $3)::text`,
    [firstIds.trunks, T, C, firstIds.companies],
  );
  await pool.query(
    `INSERT INTO numbers (number, customer_id, trunk_id, type, monthly_cost, hubspot_object_id)
     SELECT '+1555' || lpad((i + 1)::text, 7, '0'), t.customer_id, t.id, 'local', 0, ($1 + i)::text
     FROM generate_series(0, $2 - 1) AS i JOIN trunks t ON t.trunk_id = 'trunk_' || lpad((i % $3 + 1)::text, 7, '0')`,
    [firstIds.numbers, counts.numbers, Math.max(1, T)],
  );
  await pool.query(
    `INSERT INTO ticket_cache (hubspot_id, customer_id, subject, pipeline, stage, priority)
     SELECT ($1 + i)::text, c.id, 'Ticket ' || (i + 1), '0', CASE WHEN i % 4 = 3 THEN '4' ELSE '1' END, (ARRAY['LOW', 'MEDIUM', 'HIGH'])[i % 3 + 1]
     FROM generate_series(0, $2 - 1) AS i JOIN customers c ON c.hubspot_company_id = ($4 + i % $3)::text`,
    [firstIds.tickets, counts.tickets ?? 0, C, firstIds.companies],
  );
  await pool.query('ANALYZE customers, users, ticket_cache, trunks, numbers');
  await updateAll(simUrl, token, 'companies', firstIds.companies, C, (i) => ({
    warp_ban: ban(i), warp_status: 'active', warp_mtd_minutes: '0', warp_mtd_spend: '0', warp_api_enabled: 'false', warp_sms_enabled: 'false', warp_active_calls: '0',
  }));
  await updateAll(simUrl, token, 'trunks', firstIds.trunks, T, (i) => ({ company_id: ban(i % C), concurrent_calls: '10', monthly_minutes: '1000', created_date: '2026-01-01', monthly_fee: '0' }));
  await updateAll(simUrl, token, 'numbers', firstIds.numbers, counts.numbers, (i) => ({ company_id: ban((i % Math.max(1, T)) % C), monthly_cost: '0' }));
  return { firstIds };
}

/** Injects drift into the portal; returns what the simulator says it injected. */
export async function injectDrift(simUrl: string, spec: Record<string, unknown>): Promise<{ counts: Record<string, number>; sameTimestamp?: { at: string; count: number } }> {
  return (await sim(simUrl, '/__sim/drift', spec)) as { counts: Record<string, number> };
}

