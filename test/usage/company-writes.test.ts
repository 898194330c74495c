import { expect, it } from 'vitest';

import { queueCompanyWrites } from '../../src/usage/push/live.js';
import { useTestDatabase } from '../support/db.js';

/**
 * The first usage run finds every company changed (nothing was queued before): it takes them a
 * page at a time, and still queues each company once and records what it queued, so the next
 * run queues nothing.
 */

const db = useTestDatabase();

it('queues every changed company across pages, once each, and nothing on the next run', async () => {
  const { pool } = db();
  const companies = 2_345; // more than two pages
  await pool.query(
    `INSERT INTO customers (ban, hubspot_company_id, name, active_calls)
     SELECT nextval('ban_seq')::text, 'hs-' || i, 'Company ' || i, i % 3 FROM generate_series(1, $1::int) AS i`,
    [companies],
  );
  let written = 0;
  const deps = {
    pool,
    metrics: { queued: () => undefined, writes: (_kind: string, n: number) => void (written += n) },
    creditLimit: { limitedReason: 'credit_limit', apply: async () => undefined },
    deliverAlert: async () => undefined,
    now: () => new Date(),
  };
  expect(await queueCompanyWrites(deps, ['active_calls', 'mtd_spend'], [], new Date())).toBe(companies);
  expect(written).toBe(companies);
  const { rows } = await pool.query<{ queued: number; distinct: number; sent: number }>(
    `SELECT (SELECT count(*)::int FROM outbox WHERE object_type = 'company') AS queued,
            (SELECT count(DISTINCT record_key)::int FROM outbox WHERE object_type = 'company') AS distinct,
            (SELECT count(*)::int FROM usage_company_sent) AS sent`,
  );
  expect(rows[0]).toEqual({ queued: companies, distinct: companies, sent: companies });
  expect(await queueCompanyWrites(deps, ['active_calls', 'mtd_spend'], [], new Date())).toBe(0);
});
