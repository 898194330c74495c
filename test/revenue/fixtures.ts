import type { Pool } from '../../src/db/pool.js';
import type { HubSpotGateway } from '../../src/hubspot/gateway.js';
import { createIngestDeps, type IngestDeps, ingestCalls } from '../../src/usage/ingest.js';

/** Fixtures of the revenue tests: customers whose trunks and numbers existed from given days, and their calls. */

export async function revenueCustomer(pool: Pool, gateway: HubSpotGateway | null, name: string): Promise<{ id: string; ban: string; companyId: string | null }> {
  const company = gateway ? await gateway.createObject('companies', { properties: { name } }) : null;
  const { rows } = await pool.query<{ id: string; ban: string }>(
    `INSERT INTO customers (ban, hubspot_company_id, name, payment_terms) VALUES (nextval('ban_seq')::text, $1, $2, 'NET15') RETURNING id::text, ban`,
    [company?.id ?? null, name],
  );
  return { ...rows[0]!, companyId: company?.id ?? null };
}

/** A trunk that exists from `fromDay` (and was deleted on `untilDay`). */
export async function trunkFrom(pool: Pool, customerId: string, name: string, fee: string, fromDay: string, untilDay: string | null = null): Promise<string> {
  const trunkId = `trunk_${name.replace(/\W/g, '')}${Math.floor(Math.random() * 1e9)}`;
  await pool.query(
    `INSERT INTO trunks (trunk_id, customer_id, name, concurrent_calls, monthly_minutes, monthly_fee, created_at, created_date, deleted_at)
     VALUES ($1, $2, $3, 10, 1000, $4, $5::timestamptz, $5::date, $6::timestamptz)`,
    [trunkId, customerId, name, fee, `${fromDay}T08:00:00Z`, untilDay ? `${untilDay}T18:00:00Z` : null],
  );
  return trunkId;
}

let nextNumber = 3035550000;
/** A number that exists from `fromDay` (and was released on `releasedDay`). */
export async function numberFrom(pool: Pool, customerId: string, type: 'local' | 'tollfree', cost: string, fromDay: string, releasedDay: string | null = null): Promise<void> {
  await pool.query(
    `INSERT INTO numbers (number, customer_id, type, monthly_cost, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6::timestamptz, COALESCE($7::timestamptz, $6::timestamptz))`,
    [`+1${nextNumber++}`, customerId, type, cost, releasedDay ? 'released' : 'active', `${fromDay}T09:00:00Z`, releasedDay ? `${releasedDay}T12:00:00Z` : null],
  );
}

export function usageDeps(pool: Pool): IngestDeps {
  return createIngestDeps({ pool, retentionDays: 400 });
}

/** One answered outbound call of `seconds` at `at`, costing `cost`. */
export async function call(deps: IngestDeps, trunkId: string, id: string, at: string, cost: string, version = 1, seconds = 120): Promise<void> {
  const start = Date.parse(at);
  const result = await ingestCalls(deps, [{
    callId: id, trunkId, direction: 'outbound', startedAt: new Date(start).toISOString(), answeredAt: new Date(start + 5_000).toISOString(),
    endedAt: new Date(start + 5_000 + seconds * 1000).toISOString(), billableSeconds: seconds, sipCode: 200, cost, version,
  }]);
  if (result.rejected.length > 0) throw new Error(JSON.stringify(result.rejected));
}
