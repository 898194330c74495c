import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPool, type Pool } from '../../src/db/pool.js';
import { createIngestDeps, ingestCalls } from '../../src/usage/ingest.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { callRecord, createUsageCustomer, type UsageCustomer } from './fixtures.js';

/**
 * The ingest statement's cost is O(request) whatever the registry holds (docs/usage.md
 * "Throughput"). Its plan must not depend on fresh statistics: the registry grows by thousands of
 * ids per second, and between two ANALYZE runs the planner believes it small. It then used to
 * read every call id of the registry — to find a request's known ids, and to write a request's
 * corrections — so each statement cost O(registry) and ingest slowed down as the table grew.
 */

const FILLER_IDS = 30_000;
const BATCH = 1_000;
const CORRECTIONS = 200;

let db: TestDatabase;
let pool: Pool;
let customer: UsageCustomer;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, 4);
  customer = await createUsageCustomer(db.pool, 1, 10);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

interface PlanNode {
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows of usage_record_versions (heap or primary key) that the plan read, over all loops. */
function registryRowsRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'usage_record_versions' || node['Index Name'] === 'usage_record_versions_pkey'
      ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops']
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + registryRowsRead(child), 0);
}

/** A pool whose ingest statements run under EXPLAIN ANALYZE (which executes them) and keep their plans. */
function explainingPool(plans: Array<{ Plan: PlanNode; Plans?: never }>): Pool {
  return new Proxy(pool, {
    get(target, key) {
      if (key !== 'query') {
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return async (config: unknown, values?: unknown[]) => {
        const named = typeof config === 'object' && config !== null ? (config as { name?: string; text: string; values?: unknown[] }) : undefined;
        if (!named?.name?.startsWith('usage-')) return target.query(config as string, values);
        const { rows } = await target.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${named.text}`, named.values);
        plans.push(...rows[0]!['QUERY PLAN']);
        return { rows: [] };
      };
    },
  });
}

describe('ingest statement plan', () => {
  it('reads only the request’s ids from a registry whose statistics are stale', async () => {
    const trunkId = customer.trunks[0]!.trunkId;
    const startedAt = new Date(Date.now() - 3_600_000).toISOString();
    const deps = createIngestDeps({ pool, retentionDays: 35 });
    const known = Array.from({ length: CORRECTIONS }, (_, i) => callRecord(trunkId, { callId: `known-${i}`, startedAt }));
    expect(await ingestCalls(deps, known)).toMatchObject({ accepted: CORRECTIONS });
    // Statistics taken while the registry is small, then the registry grows (as during a busy hour).
    await pool.query('ANALYZE usage_record_versions');
    await pool.query(
      `INSERT INTO usage_record_versions (kind, record_id, version, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost)
       SELECT 'c', 'filler-' || g, 1, $1, $2, now() - interval '2 hours', true, true, 60, 0.01 FROM generate_series(1, $3::int) g`,
      [customer.trunks[0]!.id, customer.customerId, FILLER_IDS],
    );

    const plans: Array<{ Plan: PlanNode }> = [];
    const explained = createIngestDeps({ pool: explainingPool(plans), retentionDays: 35 });
    const batch = [
      ...known.map((r) => ({ ...r, version: 2, cost: '0.0300' })),
      ...Array.from({ length: BATCH - CORRECTIONS }, () => callRecord(trunkId, { startedAt })),
    ];
    await ingestCalls(explained, batch);

    expect(plans).toHaveLength(1);
    // Each id of the request is looked up, inserted or updated a few times; the filler is never read.
    expect(registryRowsRead(plans[0]!.Plan)).toBeLessThan(4 * BATCH);
  });
});
