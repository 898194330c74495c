import { expect, it } from 'vitest';

import { pushTrunkHour } from '../../src/usage/push/hourly.js';
import { queueCompanyWrites } from '../../src/usage/push/live.js';
import { useTestDatabase } from '../support/db.js';

/**
 * The first usage runs find every company and every trunk changed (nothing was queued before):
 * they take them a page at a time, and still queue each one once and record what they queued, so
 * the next run queues nothing.
 */

const db = useTestDatabase();
const deps = () => ({
  pool: db().pool,
  metrics: { queued: () => undefined, writes: () => undefined },
  creditLimit: { limitedReason: 'credit_limit', apply: async () => undefined },
  deliverAlert: async () => undefined,
  now: () => new Date(),
});
const queued = async (objectType: string) =>
  (await db().pool.query<{ n: number; distinct: number }>(`SELECT count(*)::int AS n, count(DISTINCT record_key)::int AS distinct FROM outbox WHERE object_type = $1`, [objectType])).rows[0];

it('queues every changed company across pages, once each, and nothing on the next run', async () => {
  const { pool } = db();
  const companies = 2_345; // more than two pages
  await pool.query(
    `INSERT INTO customers (ban, hubspot_company_id, name, active_calls)
     SELECT nextval('ban_seq')::text, 'hs-' || i, 'Company ' || i, i % 3 FROM generate_series(1, $1::int) AS i`,
    [companies],
  );
  let written = 0;
  const counting = { ...deps(), metrics: { queued: () => undefined, writes: (_kind: string, n: number) => void (written += n) } };
  expect(await queueCompanyWrites(counting, ['active_calls', 'mtd_spend'], [], new Date())).toBe(companies);
  expect(written).toBe(companies);
  expect(await queued('company')).toEqual({ n: companies, distinct: companies });
  expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_company_sent')).rows[0]?.n).toBe(companies);
  expect(await queueCompanyWrites(counting, ['active_calls', 'mtd_spend'], [], new Date())).toBe(0);
});

it('sets and queues every trunk of an hour across pages, once each, and nothing when run again', async () => {
  const { pool } = db();
  const trunks = 2_345;
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO customers (ban, hubspot_company_id, name) VALUES (nextval('ban_seq')::text, 'hs-trunks', 'Trunks Co') RETURNING id::text`);
  await pool.query(
    `INSERT INTO trunks (trunk_id, customer_id, name, concurrent_calls, monthly_minutes)
     SELECT 'trunk_paged_' || i, $1::bigint, 'Trunk ' || i, 10, 1000 FROM generate_series(1, $2::int) AS i`,
    [rows[0]!.id, trunks],
  );
  const slot = new Date();
  expect(await pushTrunkHour(deps(), slot)).toEqual({ trunkWrites: trunks });
  expect(await queued('trunk')).toEqual({ n: trunks, distinct: trunks });
  const unset = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM trunks WHERE peak_concurrent_calls IS NULL OR utilization_pct IS NULL');
  expect(unset.rows[0]?.n).toBe(0);
  expect(await pushTrunkHour(deps(), slot)).toEqual({ trunkWrites: 0 });
});
