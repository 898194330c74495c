import type { Queryable } from '../../src/db/pool.js';

let nextCompanyId = 70_000;

/**
 * An onboarded customer straight in the cache (a BAN from `ban_seq`, a HubSpot company id that no
 * HubSpot holds): for tests of the WARP commands that need no HubSpot.
 */
export async function insertCustomer(db: Queryable, name = 'Test Co'): Promise<{ id: string; ban: string; companyId: string }> {
  const companyId = String(nextCompanyId++);
  const { rows } = await db.query<{ id: string; ban: string }>(
    `INSERT INTO customers (ban, hubspot_company_id, name) VALUES (nextval('ban_seq')::text, $1, $2) RETURNING id::text, ban`,
    [companyId, name],
  );
  return { ...rows[0]!, companyId };
}
