import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { createPool, type Pool } from '../../src/db/pool.js';
import { createIngestDeps, type IngestDeps, type IngestResult, ingestCalls, ingestMessages, ingestSamples } from '../../src/usage/ingest.js';
import { recomputeRange } from '../../src/usage/recompute.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createUsageCustomer, type UsageCustomer } from './fixtures.js';
import { actualRollups, currentVersions, expectedRollups, type ModelRecord } from './model.js';

/**
 * Random streams of usage (duplicates, corrections, stale versions, any order, records for any
 * of the last ten days) are ingested concurrently by several workers over separate connections,
 * as four service instances (each merges its workers' concurrent requests into shared
 * statements, and the instances' statements race each other); afterwards every roll-up level equals a
 * recomputation from the current records, recompute changes nothing, and month-to-date spend is
 * the current month's. USAGE_PROPERTY_RUNS=200 for a longer run (default 12 keeps `npm test` quick).
 */

const RUNS = Number(process.env['USAGE_PROPERTY_RUNS'] ?? 12);
const WORKERS = 8;
// Each instance runs one statement at a time, so the requests of its two workers are often merged.
const INSTANCES = 4;
const NOW = Date.parse('2026-12-01T20:00:00Z');
const HOUR = 3_600_000;

let db: TestDatabase;
let pool: Pool;
let customers: UsageCustomer[];
let instances: IngestDeps[];
const trunkIndexOf = new Map<string, number>();
const customerIndexOf = new Map<string, number>();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, WORKERS + 2);
  customers = [await createUsageCustomer(db.pool, 2), await createUsageCustomer(db.pool, 1), await createUsageCustomer(db.pool, 2)];
  customers.flatMap((c) => c.trunks).forEach((t, i) => trunkIndexOf.set(t.id, i));
  customers.forEach((c, i) => customerIndexOf.set(c.customerId, i));
  instances = Array.from({ length: INSTANCES }, () => createIngestDeps({ pool, retentionDays: 35, now: () => NOW, statementsInFlight: 1 }));
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const trunks = () => customers.flatMap((c) => c.trunks);
const customerOfTrunk = (trunkIndex: number): number => customers.findIndex((c) => c.trunks.some((t) => t.id === trunks()[trunkIndex]!.id));

// One logical record: up to three versions, all starting within twelve hours of each other (a
// correction may move a start by at most a day; see the start_moved test).
const versionFields = fc.record({
  trunkIndex: fc.nat({ max: 4 }),
  outbound: fc.boolean(),
  offsetMs: fc.integer({ min: 0, max: 12 * HOUR }),
  answered: fc.boolean(),
  billableSeconds: fc.integer({ min: 1, max: 3600 }),
  costUnits: fc.integer({ min: 0, max: 50_000 }),
  failed: fc.boolean(),
});
const logicalRecord = fc.record({
  kind: fc.constantFrom('call' as const, 'message' as const),
  baseMs: fc.integer({ min: NOW - 10 * 24 * HOUR, max: NOW - 13 * HOUR }),
  versions: fc.array(versionFields, { minLength: 1, maxLength: 3 }),
  copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
});
const sample = fc.record({ trunkIndex: fc.nat({ max: 4 }), minute: fc.integer({ min: 0, max: 48 * 60 }), activeCalls: fc.nat({ max: 30 }) });

const scenario = fc.record({
  records: fc.array(logicalRecord, { minLength: 1, maxLength: 60 }),
  samples: fc.array(sample, { maxLength: 40 }),
  seed: fc.integer(),
  batchSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
});

const costString = (units: number): string => (units / 10_000).toFixed(4);

function toWire(r: ModelRecord): Record<string, unknown> {
  const trunkId = trunks()[r.trunkIndex]!.trunkId;
  if (r.kind === 'message') {
    return { messageId: r.id, trunkId, direction: r.outbound ? 'outbound' : 'inbound', sentAt: new Date(r.sentAtMs).toISOString(), segments: 1, status: r.failed ? 'failed' : 'delivered', cost: costString(r.costUnits), version: r.version };
  }
  return {
    callId: r.id,
    trunkId,
    direction: r.outbound ? 'outbound' : 'inbound',
    startedAt: new Date(r.startedAtMs).toISOString(),
    answeredAt: r.answered ? new Date(r.startedAtMs + 5_000).toISOString() : null,
    endedAt: new Date(r.startedAtMs + 5_000 + r.billableSeconds * 1000).toISOString(),
    billableSeconds: r.answered ? r.billableSeconds : 0,
    sipCode: r.answered ? 200 : 486,
    cost: costString(r.costUnits),
    version: r.version,
  };
}

/** A deterministic shuffle, so a failing case replays exactly. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  for (let i = items.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function reset(): Promise<void> {
  await pool.query(`TRUNCATE usage_record_versions, usage_calls, usage_messages, usage_active_samples, usage_trunk_hours,
    usage_customer_days, usage_customer_months, usage_late_days`);
  await pool.query('UPDATE customers SET mtd_spend = 0, mtd_minutes = 0');
}

it('keeps every roll-up equal to a recomputation from the current records, whatever the delivery', { timeout: 600_000 }, async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async ({ records, samples, seed, batchSizes }) => {
      await reset();
      run++;
      const model: ModelRecord[] = records.flatMap((logical, n) =>
        logical.versions.map((v, i): ModelRecord => {
          const id = `r${run}-${n}`;
          const at = logical.baseMs + v.offsetMs;
          return logical.kind === 'call'
            ? { kind: 'call', id, version: i + 1, trunkIndex: v.trunkIndex, outbound: v.outbound, startedAtMs: at, answered: v.answered, billableSeconds: v.answered ? v.billableSeconds : 0, costUnits: v.costUnits }
            : { kind: 'message', id, version: i + 1, trunkIndex: v.trunkIndex, outbound: v.outbound, sentAtMs: at, failed: v.failed, costUnits: v.costUnits };
        }),
      );
      const deliveries = shuffle(
        records.flatMap((logical, n) => logical.versions.flatMap((_, i) => Array.from({ length: logical.copies[i]! }, () => model.find((m) => m.id === `r${run}-${n}` && m.version === i + 1)!))),
        seed,
      );
      // Cut the stream into batches of the kinds' endpoints and deal them to the workers.
      const batches: Array<{ kind: 'call' | 'message'; records: ModelRecord[] }> = [];
      for (let i = 0, b = 0; i < deliveries.length; b++) {
        const size = batchSizes[b % batchSizes.length]!;
        const slice = deliveries.slice(i, i + size);
        i += size;
        for (const kind of ['call', 'message'] as const) {
          const ofKind = slice.filter((r) => r.kind === kind);
          if (ofKind.length > 0) batches.push({ kind, records: ofKind });
        }
      }
      const sampleBatch = samples.map((s) => ({ trunkId: trunks()[s.trunkIndex]!.trunkId, at: new Date(NOW - 48 * HOUR + s.minute * 60_000).toISOString(), activeCalls: s.activeCalls }));
      const results: IngestResult[] = [];
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          const deps = instances[w % INSTANCES]!;
          const mine = batches.filter((_, i) => i % WORKERS === w);
          // Two requests at a time, so an instance often has several waiting to be merged.
          for (let i = 0; i < mine.length; i += 2) {
            const sent = mine.slice(i, i + 2).map((batch) => {
              const wire = batch.records.map(toWire);
              return batch.kind === 'call' ? ingestCalls(deps, wire) : ingestMessages(deps, wire);
            });
            results.push(...(await Promise.all(sent)));
            if (i === 0 && sampleBatch.length > 0) await ingestSamples(deps, shuffle([...sampleBatch, ...sampleBatch.slice(0, 5)], seed + w));
          }
        }),
      );

      const current = currentVersions(model);
      const total = results.reduce((n, r) => ({ accepted: n.accepted + r.accepted, other: n.other + r.duplicates + r.corrected + r.stale, rejected: n.rejected + r.rejected.length }), { accepted: 0, other: 0, rejected: 0 });
      expect(total.rejected).toBe(0);
      expect(total.accepted).toBe(current.length);
      expect(total.accepted + total.other).toBe(deliveries.length);

      const expected = expectedRollups(current, customerOfTrunk);
      expect(await actualRollups(pool, trunkIndexOf, customerIndexOf)).toEqual(expected);

      // Peaks: the highest reading of each trunk-hour.
      const peaks = new Map<string, number>();
      for (const s of samples) {
        const key = `${trunks()[s.trunkIndex]!.id}|${new Date(NOW - 48 * HOUR + s.minute * 60_000).toISOString().slice(0, 13)}`;
        peaks.set(key, Math.max(peaks.get(key) ?? 0, s.activeCalls));
      }
      const { rows: peakRows } = await pool.query<{ key: string; peak: number }>(
        `SELECT trunk_id || '|' || to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS key, peak_active_calls AS peak
         FROM usage_trunk_hours WHERE peak_active_calls IS NOT NULL`,
      );
      expect(new Map(peakRows.map((r) => [r.key, r.peak]))).toEqual(peaks);

      // Month-to-date spend is the current month's, to the cent.
      const { rows: mtd } = await pool.query<{ id: string; mtd: string }>('SELECT id, mtd_spend::text AS mtd FROM customers WHERE id = ANY($1::bigint[])', [customers.map((c) => c.customerId)]);
      for (const row of mtd) {
        const units = expected.customerMonths.get(`${customerIndexOf.get(String(row.id))}|2026-12`)?.spend ?? 0n;
        expect(Math.round(Number(units) / 100) / 100).toBe(Number(row.mtd));
      }

      // Rebuilding from the raw records agrees with the incremental result and changes nothing.
      const before = await pool.query('SELECT * FROM usage_customer_days ORDER BY customer_id, day');
      const recomputed = await recomputeRange(pool, '2026-11-20', '2026-12-01', NOW);
      expect(recomputed.every((d) => d.status === 'recomputed' && d.changedRows === 0)).toBe(true);
      expect((await pool.query('SELECT * FROM usage_customer_days ORDER BY customer_id, day')).rows).toEqual(before.rows);
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
});
