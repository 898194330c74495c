import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claim } from '../../src/queue/lease.js';
import { OUTBOX_QUEUE } from '../../src/queue/tables.js';
import { enqueue, type OutboxRow, toEntry } from '../../src/store/outbox.js';
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
    expect(await deadLetter(f.db.pool, entry, 'me', null, [{ at: new Date().toISOString(), message: 'refused' }])).not.toBeNull();
    const left = await f.db.pool.query<{ attempts: number; lease_owner: string | null }>(`SELECT attempts, lease_owner FROM outbox WHERE record_key = $1`, [key]);
    expect(left.rows).toEqual([{ attempts: 0, lease_owner: null }]);
  });
});
