import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPool, type Pool } from '../../src/db/pool.js';
import { listPartitionDays } from '../../src/store/usage-partitions.js';
import { createIngestDeps, type IngestDeps, ingestCalls, ingestMessages, ingestSamples } from '../../src/usage/ingest.js';
import { recomputeRange } from '../../src/usage/recompute.js';
import { pruneRawUsage } from '../../src/usage/retention.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { callRecord, createUsageCustomer, type UsageCustomer } from './fixtures.js';

/** Roll-up semantics the property test does not reach: marks, moves, retention, atomicity. */

const NOW = Date.parse('2026-11-20T12:30:00Z');
let db: TestDatabase;
let pool: Pool;
let customer: UsageCustomer;
let deps: IngestDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, 4);
  customer = await createUsageCustomer(db.pool, 1, 10);
  deps = createIngestDeps({ pool, retentionDays: 35, now: () => NOW });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const call = (overrides: Record<string, unknown>) => {
  const startedAt = String(overrides['startedAt']);
  const startMs = Date.parse(startedAt);
  return callRecord(customer.trunks[0]!.trunkId, {
    answeredAt: new Date(startMs + 5_000).toISOString(),
    endedAt: new Date(startMs + 125_000).toISOString(),
    ...overrides,
  });
};
const dayRow = async (day: string) =>
  (await pool.query<Record<string, unknown>>(`SELECT calls_attempted::int, spend::text, revision::int, sent_revision::int FROM usage_customer_days WHERE customer_id = $1 AND day = $2`, [customer.customerId, day])).rows[0];

describe('incremental roll-ups', () => {
  it('moves a corrected call between days and marks the late day', async () => {
    const first = call({ callId: 'move-1', startedAt: '2026-11-18T23:59:00Z', cost: '1.00' });
    expect(await ingestCalls(deps, [first])).toMatchObject({ accepted: 1 });
    const moved = call({ callId: 'move-1', version: 2, startedAt: '2026-11-19T00:01:00Z', cost: '1.50' });
    expect(await ingestCalls(deps, [moved])).toMatchObject({ corrected: 1 });
    expect(await dayRow('2026-11-18')).toMatchObject({ calls_attempted: 0, spend: '0.00', revision: 2 });
    expect(await dayRow('2026-11-19')).toMatchObject({ calls_attempted: 1, spend: '1.50', revision: 1 });
    const late = await pool.query<{ day: string; changes: number }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day, changes::int FROM usage_late_days WHERE customer_id = $1 ORDER BY day`, [customer.customerId]);
    expect(late.rows).toEqual([
      { day: '2026-11-18', changes: 2 },
      { day: '2026-11-19', changes: 1 },
    ]);
  });

  it('rejects a correction that moves the start by more than a day, and keeps the predecessor', async () => {
    expect(await ingestCalls(deps, [call({ callId: 'far-1', startedAt: '2026-11-10T10:00:00Z' })])).toMatchObject({ accepted: 1 });
    const result = await ingestCalls(deps, [call({ callId: 'far-1', version: 2, startedAt: '2026-11-12T10:00:00Z' })]);
    expect(result.rejected).toEqual([{ index: 0, id: 'far-1', errors: [expect.objectContaining({ code: 'start_moved' })] }]);
    expect(await dayRow('2026-11-10')).toMatchObject({ calls_attempted: 1 });
  });

  it('does not bump revisions for a correction that changes no figure', async () => {
    await ingestCalls(deps, [call({ callId: 'same-1', startedAt: '2026-11-20T08:00:00Z', cost: '0.10' })]);
    const before = await dayRow('2026-11-20');
    expect(await ingestCalls(deps, [call({ callId: 'same-1', version: 2, startedAt: '2026-11-20T08:00:00Z', cost: '0.10', sipCode: 200 })])).toMatchObject({ corrected: 1 });
    expect(await dayRow('2026-11-20')).toEqual(before);
  });

  it('keeps customers.mtd_spend at the current month to the cent', async () => {
    await ingestMessages(deps, [
      { messageId: 'm-1', trunkId: customer.trunks[0]!.trunkId, direction: 'outbound', sentAt: '2026-11-20T09:00:00Z', segments: 2, status: 'delivered', cost: '0.005' },
    ]);
    const { rows } = await pool.query<{ mtd_spend: string }>(`SELECT mtd_spend::text FROM customers WHERE id = $1`, [customer.customerId]);
    const month = await pool.query<{ spend: string }>(`SELECT spend::text FROM usage_customer_months WHERE customer_id = $1 AND month = '2026-11-01'`, [customer.customerId]);
    expect(Number(rows[0]!.mtd_spend)).toBe(Math.round(Number(month.rows[0]!.spend) * 100) / 100);
  });

  it('keeps the highest active-calls sample per trunk-hour', async () => {
    const trunkId = customer.trunks[0]!.trunkId;
    const s = (at: string, activeCalls: number) => ({ trunkId, at, activeCalls });
    expect(await ingestSamples(deps, [s('2026-11-20T10:01:00Z', 4), s('2026-11-20T10:02:00Z', 7)])).toMatchObject({ accepted: 2 });
    expect(await ingestSamples(deps, [s('2026-11-20T10:01:00Z', 9), s('2026-11-20T10:02:00Z', 7), s('2026-11-20T10:02:00Z', 3)])).toMatchObject({
      corrected: 1,
      duplicates: 1,
      stale: 1,
    });
    const { rows } = await pool.query<{ peak_active_calls: number }>(`SELECT peak_active_calls FROM usage_trunk_hours WHERE trunk_id = $1 AND hour = '2026-11-20T10:00:00Z'`, [customer.trunks[0]!.id]);
    expect(rows[0]!.peak_active_calls).toBe(9);
  });
});

describe('merged requests', () => {
  const until = async (condition: () => Promise<boolean> | boolean): Promise<void> => {
    for (let waited = 0; !(await condition()); waited += 20) {
      if (waited > 10_000) throw new Error('condition not reached');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('commits the requests that waited for a statement together, each with its own outcomes', async () => {
    const merged = createIngestDeps({ pool, retentionDays: 35, now: () => NOW, statementsInFlight: 1 });
    const at = (minute: number) => `2026-11-16T06:${String(minute).padStart(2, '0')}:00Z`;
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE usage_customer_months IN SHARE MODE');
    const first = ingestCalls(merged, [call({ callId: 'merge-0', startedAt: at(0), cost: '1.00' })]);
    await until(async () => (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rowCount === 1);
    // Waiting behind `first`, in this order: the same new id in three requests (v1, v2, v1 again), and a resend.
    const requests = [
      [call({ callId: 'merge-x', startedAt: at(1), cost: '2.00' }), call({ callId: 'merge-b', startedAt: at(2), cost: '3.00' })],
      [call({ callId: 'merge-x', version: 2, startedAt: at(1), cost: '2.50' }), call({ callId: 'merge-c', startedAt: at(3), cost: '4.00' })],
      [call({ callId: 'merge-x', startedAt: at(1), cost: '2.00' }), call({ callId: 'merge-b', startedAt: at(2), cost: '3.00' })],
    ];
    const answers = [];
    for (const records of requests) {
      answers.push(ingestCalls(merged, records));
      await until(() => merged.calls.waiting() === answers.length);
    }
    await blocker.query('COMMIT');
    blocker.release();
    expect(await first).toMatchObject({ accepted: 1, duplicates: 0, corrected: 0, stale: 0 });
    expect(await Promise.all(answers)).toEqual([
      { accepted: 1, duplicates: 0, corrected: 0, stale: 1, rejected: [] },
      { accepted: 2, duplicates: 0, corrected: 0, stale: 0, rejected: [] },
      { accepted: 0, duplicates: 1, corrected: 0, stale: 1, rejected: [] },
    ]);
    const { rows } = await pool.query<{ calls: number; spend: string }>(
      `SELECT calls_attempted::int AS calls, spend::text FROM usage_trunk_hours WHERE trunk_id = $1 AND hour = '2026-11-16T06:00:00Z'`,
      [customer.trunks[0]!.id],
    );
    expect(rows).toEqual([{ calls: 4, spend: '10.50' }]);
    const versions = await pool.query<{ version: number }>(`SELECT version FROM usage_record_versions WHERE record_id = 'merge-x'`);
    expect(versions.rows).toEqual([{ version: 2 }]);
  });
});

describe('atomicity', () => {
  it('leaves nothing of a request that fails after its records were written, and accepts its retry', async () => {
    // A fault injected at the last roll-up level: raw rows and the first levels are already written.
    await pool.query(`CREATE FUNCTION usage_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`);
    await pool.query(`CREATE TRIGGER usage_fault BEFORE INSERT OR UPDATE ON usage_customer_months FOR EACH ROW EXECUTE FUNCTION usage_fault()`);
    const records = [call({ callId: 'atomic-1', startedAt: '2026-11-20T11:00:00Z' }), call({ callId: 'atomic-2', startedAt: '2026-11-20T11:05:00Z' })];
    await expect(ingestCalls(deps, records)).rejects.toThrow(/injected fault/);
    const left = await pool.query(`SELECT (SELECT count(*)::int FROM usage_record_versions WHERE record_id LIKE 'atomic-%') AS ids,
      (SELECT count(*)::int FROM usage_calls WHERE call_id LIKE 'atomic-%') AS raw,
      (SELECT coalesce(sum(calls_attempted), 0)::int FROM usage_trunk_hours WHERE hour = '2026-11-20T11:00:00Z') AS attempts`);
    expect(left.rows[0]).toEqual({ ids: 0, raw: 0, attempts: 0 });
    await pool.query('DROP TRIGGER usage_fault ON usage_customer_months');
    expect(await ingestCalls(deps, records)).toMatchObject({ accepted: 2, duplicates: 0 });
  });

  it('survives the database connection dying mid-request', async () => {
    await pool.query(`CREATE OR REPLACE FUNCTION usage_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$`);
    await pool.query(`CREATE TRIGGER usage_fault BEFORE INSERT OR UPDATE ON usage_customer_months FOR EACH ROW EXECUTE FUNCTION usage_fault()`);
    const records = [call({ callId: 'killed-1', startedAt: '2026-11-20T11:10:00Z' })];
    // Settled into a value at once: a rejection that arrives before the assertion below must not
    // count as unhandled.
    const pending = ingestCalls(deps, records).then(() => 'accepted', (error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const killed = await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()`);
    expect(killed.rowCount).toBe(1);
    expect(await pending).toBeInstanceOf(Error);
    await pool.query('DROP TRIGGER usage_fault ON usage_customer_months');
    expect((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM usage_record_versions WHERE record_id = 'killed-1'`)).rows[0]!.n).toBe(0);
    expect(await ingestCalls(deps, records)).toMatchObject({ accepted: 1 });
  });
});

describe('retention and recompute', () => {
  it('drops whole expired days, refuses their records, and recompute keeps their roll-ups', async () => {
    const old = call({ callId: 'old-1', startedAt: '2026-10-20T10:00:00Z', cost: '2.00' });
    expect(await ingestCalls(deps, [old])).toMatchObject({ accepted: 1 });
    expect(await listPartitionDays(pool)).toContain('2026-10-20');

    // Five days later, with a 30-day retention, 2026-10-20 is past it.
    const later = NOW + 5 * 86_400_000;
    const pruned = await pruneRawUsage(pool, 30, later);
    expect(pruned.cutoffDay).toBe('2026-10-26');
    expect(pruned.droppedDays).toContain('2026-10-20');
    expect(await listPartitionDays(pool)).not.toContain('2026-10-20');
    expect(await dayRow('2026-10-20')).toMatchObject({ calls_attempted: 1, spend: '2.00' });

    // A client whose clock still allows the day is refused all the same: the day is gone.
    const refused = await ingestCalls(deps, [call({ callId: 'old-2', startedAt: '2026-10-20T11:00:00Z' })]);
    expect(refused.rejected[0]?.errors[0]?.code).toBe('too_old');

    const recomputed = await recomputeRange(pool, '2026-10-20', '2026-10-21', later);
    expect(recomputed[0]).toEqual({ day: '2026-10-20', status: 'raw_dropped' });
    expect(await dayRow('2026-10-20')).toMatchObject({ calls_attempted: 1, spend: '2.00' });
  });

  it('rebuilds roll-ups that drifted from the raw records', async () => {
    await pool.query(`UPDATE usage_customer_days SET calls_attempted = calls_attempted + 100 WHERE customer_id = $1 AND day = '2026-11-19'`, [customer.customerId]);
    const [result] = await recomputeRange(pool, '2026-11-19', '2026-11-19', NOW);
    expect(result).toMatchObject({ status: 'recomputed', records: 1 });
    expect(await dayRow('2026-11-19')).toMatchObject({ calls_attempted: 1 });
  });
});
