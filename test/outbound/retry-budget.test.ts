import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claim } from '../../src/queue/lease.js';
import { SCHEDULES } from '../../src/schedules/catalogue.js';
import { queueSlotRun, resolveSchedules } from '../../src/schedules/runtime.js';
import { OUTBOX_QUEUE } from '../../src/queue/tables.js';
import { enqueue, type OutboxRow, toEntry } from '../../src/store/outbox.js';
import { MAX_AUTOMATIC_RETRIES } from '../../src/sync/outbound/dead-letter-retry.js';
import { deadLetter } from '../../src/sync/outbound/dead-letters.js';
import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody } from './support.js';

/**
 * Issue 17 item 6 and the audit's L1: passing failures are retried for a time budget, not a
 * count, so a short HubSpot outage dead-letters nothing; a permanent failure is still
 * dead-lettered at once; dead-lettering never deletes a newer change of the same record.
 */

const TRUNK_UPSERT = '/crm/v3/objects/trunks/batch/upsert';

describe('retries of passing failures within a time budget', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    // One HTTP attempt per gateway call, so each injected 5xx costs an outbox attempt.
    f = await startOutboundFixture({ env: { HUBSPOT_MAX_ATTEMPTS: '1', OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RETRY_BUDGET_MS: '30000' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('an outage longer than three attempts dead-letters nothing: the record is written once HubSpot is back', async () => {
    const customer = await f.createCustomer();
    f.sim.addFault({ kind: 'status', status: 503, count: 5, pathPrefix: TRUNK_UPSERT });
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    await outboxDrained(f.db, 30_000);
    expect(f.sim.requestLog({ pathPrefix: TRUNK_UPSERT }).map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 200]);
    const trunks = (await f.records('trunks', ['trunk_id'])).filter((t) => t.properties['trunk_id'] === trunk.trunkId);
    expect(trunks).toHaveLength(1);
    expect((await f.api.call('listDeadLetters', {})).deadLetters).toHaveLength(0);
  });

  it('a permanent failure is dead-lettered at once, budget or not', async () => {
    const customer = await f.createCustomer();
    const before = f.sim.requestLog({ pathPrefix: TRUNK_UPSERT }).length;
    f.sim.addFault({ kind: 'status', status: 400, count: 1, pathPrefix: TRUNK_UPSERT });
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    await outboxDrained(f.db);
    expect(f.sim.requestLog({ pathPrefix: TRUNK_UPSERT }).length - before).toBe(1);
    const letters = (await f.api.call('listDeadLetters', {})).deadLetters;
    expect(letters.map((l) => l.recordKey)).toEqual([trunk.trunkId]);
  });

});

describe('dead letters of passing causes retried once HubSpot is healthy again (item 6)', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    // No retry budget: a record failing for passing reasons is dead-lettered after its 2 attempts.
    // The schedule's own slots never fall during the test: it runs the slot itself.
    f = await startOutboundFixture({ env: { HUBSPOT_MAX_ATTEMPTS: '1', OUTBOX_MAX_ATTEMPTS: '2', OUTBOX_RETRY_BUDGET_MS: '0', SCHEDULE_DEAD_LETTER_RETRY_CRON: '0 0 1 1 *' } });
  });
  afterAll(async () => {
    await f.close();
  });

  const schedule = resolveSchedules(SCHEDULES, {}).find((s) => s.name === 'dead-letter-retry')!;
  const runRetrySlot = async () => {
    await queueSlotRun(f.db.pool, schedule, new Date('2026-01-01T00:00:00Z'));
    await f.service.work!.jobs.drain();
  };
  const letters = async () =>
    (await f.db.pool.query<{ record_key: string; status: string; transient: boolean; retried_automatically: boolean }>(
      'SELECT record_key, status, transient, retried_automatically FROM dead_letters ORDER BY id',
    )).rows;

  it('only the transient ones, only while HubSpot answers, a few times a record at most; refusals stay for a person', async () => {
    const customer = await f.createCustomer();
    f.sim.addFault({ kind: 'status', status: 503, fraction: 1, pathPrefix: TRUNK_UPSERT });
    const outage = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    await outboxDrained(f.db);
    f.sim.clearFaults();
    f.sim.addFault({ kind: 'status', status: 400, count: 1, pathPrefix: TRUNK_UPSERT });
    const refused = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    await outboxDrained(f.db);
    expect(await letters()).toEqual([
      { record_key: outage.trunkId, status: 'open', transient: true, retried_automatically: false },
      { record_key: refused.trunkId, status: 'open', transient: false, retried_automatically: false },
    ]);

    // HubSpot still down (every request): the probe is not answered, nothing is queued.
    f.sim.addFault({ kind: 'status', status: 503, fraction: 1 });
    await runRetrySlot();
    expect((await letters()).map((l) => l.status)).toEqual(['open', 'open']);

    // HubSpot back: the transient letter goes back into the outbox and its trunk is written.
    f.sim.clearFaults();
    await runRetrySlot();
    await outboxDrained(f.db);
    expect((await f.records('trunks', ['trunk_id'])).filter((t) => t.properties['trunk_id'] === outage.trunkId)).toHaveLength(1);
    expect(await letters()).toEqual([
      { record_key: outage.trunkId, status: 'retried', transient: true, retried_automatically: true },
      { record_key: refused.trunkId, status: 'open', transient: false, retried_automatically: false },
    ]);

    // A record whose writes keep failing "transiently" is retried a few times, then left to a person.
    const other = await f.createCustomer();
    f.sim.addFault({ kind: 'status', status: 503, fraction: 1, pathPrefix: TRUNK_UPSERT });
    const stuck = await f.api.call('createTrunk', { params: { ban: other.ban }, body: trunkBody() });
    await outboxDrained(f.db);
    for (let i = 0; i < MAX_AUTOMATIC_RETRIES + 2; i++) {
      await runRetrySlot();
      await outboxDrained(f.db);
    }
    const stuckLetters = (await letters()).filter((l) => l.record_key === stuck.trunkId);
    expect(stuckLetters.map((l) => l.status)).toEqual([...Array<string>(MAX_AUTOMATIC_RETRIES).fill('retried'), 'open']);
    f.sim.clearFaults();
  });
});

describe('dead letters and coalescing', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    // No workers: the test claims the row itself.
    f = await startOutboundFixture({ env: { OUTBOX_WORKERS: '0' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('dead-lettering a failed attempt keeps a change that arrived meanwhile (L1)', async () => {
    const key = 'trunk_l1_test';
    await enqueue(f.db.pool, [{ objectType: 'trunk', recordKey: key }]);
    const [row] = await claim<OutboxRow>(f.db.pool, OUTBOX_QUEUE, { owner: 'me', leaseMs: 30_000, limit: 10, readyParams: ['trunk'] });
    const entry = toEntry(row!);
    // While "we" were sending, the record changed again: the pending row absorbed the change.
    await enqueue(f.db.pool, [{ objectType: 'trunk', recordKey: key }]);
    expect(await deadLetter(f.db.pool, entry, 'me', null, [{ at: new Date().toISOString(), message: 'refused' }], false)).not.toBeNull();
    const left = await f.db.pool.query<{ attempts: number; lease_owner: string | null }>(`SELECT attempts, lease_owner FROM outbox WHERE record_key = $1`, [key]);
    expect(left.rows).toEqual([{ attempts: 0, lease_owner: null }]);
  });
});
