import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPool, type Pool } from '../../src/db/pool.js';
import { createIngestDeps, type IngestDeps, ingestCalls, ingestMessages } from '../../src/usage/ingest.js';
import { recomputeRange } from '../../src/usage/recompute.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { callRecord, createUsageCustomer, type UsageCustomer } from './fixtures.js';

const NOW = Date.parse('2026-12-01T20:00:00Z');
const HOUR = 3_600_000;

/**
 * Records in any ISO 4217 currency (docs/usage.md "Money"): usage_currency_days counts the current
 * versions in a currency other than USD per customer and day, moved by the ingest statement like
 * the roll-ups (a correction takes its predecessor's currency back out, wherever its day was),
 * exact under concurrent, merged requests, and equal to what recompute rebuilds from the raw rows.
 */
describe('usage in currencies other than USD', () => {
  let db: TestDatabase;
  let pool: Pool;
  let customer: UsageCustomer;
  let deps: IngestDeps;
  const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR);
  const call = (id: string, hoursAgo: number, currency: string | undefined, cost: string, version = 1) => callRecord(customer.trunks[0]!.trunkId, {
    callId: id, startedAt: at(hoursAgo).toISOString(), answeredAt: new Date(at(hoursAgo).getTime() + 5_000).toISOString(),
    endedAt: new Date(at(hoursAgo).getTime() + 65_000).toISOString(), billableSeconds: 60, cost, version, ...(currency ? { currency } : {}),
  });
  const rows = async () => (await db.pool.query<{ day: string; currency: string; records: number; cost: string }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, records, cost::text FROM usage_currency_days WHERE customer_id = $1 AND records <> 0 ORDER BY day, currency`,
    [customer.customerId],
  )).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, 8);
    customer = await createUsageCustomer(db.pool, 1);
    deps = createIngestDeps({ pool, retentionDays: 35, now: () => NOW });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('accepts any ISO 4217 code, refuses others, and writes nothing for USD', async () => {
    const result = await ingestCalls(deps, [call('usd-1', 2, undefined, '1.00'), call('usd-2', 2, 'USD', '1.00'), call('bad-1', 2, 'EURO', '1.00'), call('bad-2', 2, 'XYZ', '1.00')]);
    expect(result.accepted).toBe(2);
    expect(result.rejected.map((r) => [r.index, r.errors[0]!.code])).toEqual([[2, 'unsupported_currency'], [3, 'unsupported_currency']]);
    expect(await rows()).toEqual([]);
  });

  it('counts calls and messages in other currencies; duplicates count once', async () => {
    await ingestCalls(deps, [call('eur-1', 3, 'EUR', '1.2500'), call('eur-2', 3, 'EUR', '0.7500'), call('eur-1', 3, 'EUR', '1.2500')]);
    const sentAt = at(30).toISOString();
    const message = { messageId: 'sms-1', trunkId: customer.trunks[0]!.trunkId, direction: 'outbound', sentAt, segments: 1, status: 'delivered', cost: '0.0100', currency: 'GBP' };
    expect(await ingestMessages(deps, [message, message])).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await rows()).toEqual([
      { day: '2026-11-30', currency: 'GBP', records: 1, cost: '0.0100' },
      { day: '2026-12-01', currency: 'EUR', records: 2, cost: '2.0000' },
    ]);
  });

  it('a correction moves the record out of its old currency and day, and stale versions change nothing', async () => {
    // eur-1 re-rated in USD; eur-2 re-rated in CHF and moved 20 hours back (another UTC day).
    await ingestCalls(deps, [call('eur-1', 3, 'USD', '1.3000', 2), call('eur-2', 23, 'CHF', '0.7000', 2)]);
    await ingestCalls(deps, [call('eur-2', 3, 'EUR', '9.9999', 1)]); // stale
    expect(await rows()).toEqual([
      { day: '2026-11-30', currency: 'CHF', records: 1, cost: '0.7000' },
      { day: '2026-11-30', currency: 'GBP', records: 1, cost: '0.0100' },
    ]);
  });

  it('stays exact under concurrent merged requests, and recompute rebuilds the same rows', async () => {
    const requests = Array.from({ length: 24 }, (_, i) => [call(`c-${i}`, 4 + (i % 5), i % 3 === 0 ? 'EUR' : 'USD', '0.1000'), call(`c-${i}`, 4 + (i % 5), i % 2 === 0 ? 'EUR' : 'JPY', '0.2000', 2)]);
    await Promise.all(requests.map((records, i) => ingestCalls(i % 2 === 0 ? deps : createIngestDeps({ pool, retentionDays: 35, now: () => NOW }), i % 4 === 0 ? [...records].reverse() : records)));
    const eur = requests.filter((_, i) => i % 2 === 0).length;
    const incremental = await rows();
    expect(incremental).toEqual([
      { day: '2026-11-30', currency: 'CHF', records: 1, cost: '0.7000' },
      { day: '2026-11-30', currency: 'GBP', records: 1, cost: '0.0100' },
      { day: '2026-12-01', currency: 'EUR', records: eur, cost: (eur * 0.2).toFixed(4) },
      { day: '2026-12-01', currency: 'JPY', records: 24 - eur, cost: ((24 - eur) * 0.2).toFixed(4) },
    ]);
    await recomputeRange(db.pool, '2026-11-30', '2026-12-01', NOW);
    expect(await rows()).toEqual(incremental);
  });
});
