import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody, waitFor } from './support.js';

/**
 * Associations as durable outbox work of their own (issue 17 items 3–5): a failed association
 * after a successful upsert is retried until it exists, a number moved to another trunk loses the
 * old association, and one refused pair fails its own record only.
 */

const ASSOCIATION_WRITES = '/crm/v4/associations/numbers';

describe('associations as their own outbox work', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    // One HTTP attempt per gateway call: each injected fault is an outbox attempt of its own.
    f = await startOutboundFixture({ env: { HUBSPOT_MAX_ATTEMPTS: '1' } });
  });
  afterAll(async () => {
    await f.close();
  });

  const gateway = () => f.service.hubspot.gateway;
  const associated = async (from: string, id: string, to: string) => (await gateway().listAssociations({ objectType: from, id }, to)).map((a) => a.toObjectId).sort();
  const hubspotIdOf = async (table: 'trunks' | 'numbers', column: 'trunk_id' | 'number', key: string) =>
    (await f.db.pool.query<{ id: string | null }>(`SELECT hubspot_object_id AS id FROM ${table} WHERE ${column} = $1`, [key])).rows[0]?.id ?? null;
  const openLetters = async () => (await f.api.call('listDeadLetters', {})).deadLetters;

  it('an association that fails after the upsert succeeded is retried until it exists', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const { trunkId } = await f.api.call('createTrunk', { params, body: trunkBody() });
    await outboxDrained(f.db);
    // Every number association write fails twice; the number upserts themselves succeed.
    f.sim.addFault({ kind: 'status', status: 503, count: 2, pathPrefix: ASSOCIATION_WRITES, method: 'POST' });
    await f.api.call('addNumber', { params, body: { number: '+13035552001', type: 'local', capabilities: ['voice'], monthlyCost: 1, trunkId } });
    await outboxDrained(f.db);
    const numberId = (await hubspotIdOf('numbers', 'number', '+13035552001'))!;
    expect(numberId).not.toBeNull();
    expect(await associated('numbers', numberId, 'companies')).toEqual([customer.companyId]);
    expect(await associated('numbers', numberId, 'trunks')).toEqual([await hubspotIdOf('trunks', 'trunk_id', trunkId)]);
    expect(f.sim.requestLog({ pathPrefix: ASSOCIATION_WRITES }).some((r) => r.status === 503)).toBe(true);
    expect(await openLetters()).toHaveLength(0);
  });

  it('moving a number to another trunk removes the old association', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const first = await f.api.call('createTrunk', { params, body: trunkBody({ name: 'first' }) });
    const second = await f.api.call('createTrunk', { params, body: trunkBody({ name: 'second' }) });
    await f.api.call('addNumber', { params, body: { number: '+13035552002', type: 'local', capabilities: ['voice'], monthlyCost: 1, trunkId: first.trunkId } });
    await outboxDrained(f.db);
    const numberId = (await hubspotIdOf('numbers', 'number', '+13035552002'))!;
    expect(await associated('numbers', numberId, 'trunks')).toEqual([await hubspotIdOf('trunks', 'trunk_id', first.trunkId)]);

    await f.api.call('updateNumber', { params: { ...params, number: '+13035552002' }, body: { trunkId: second.trunkId } });
    await outboxDrained(f.db);
    expect(await associated('numbers', numberId, 'trunks')).toEqual([await hubspotIdOf('trunks', 'trunk_id', second.trunkId)]);
    expect(await associated('numbers', numberId, 'companies')).toEqual([customer.companyId]);
  });

  it('a refused pair (its trunk gone from HubSpot) dead-letters that number only; the rest of the batch is associated', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const kept = await f.api.call('createTrunk', { params, body: trunkBody({ name: 'kept' }) });
    const lost = await f.api.call('createTrunk', { params, body: trunkBody({ name: 'lost' }) });
    await outboxDrained(f.db);
    // Someone archives a trunk in HubSpot; WARP still routes a number to it.
    await gateway().batchArchive('trunks', [(await hubspotIdOf('trunks', 'trunk_id', lost.trunkId))!]);
    const good = ['+13035552010', '+13035552011', '+13035552012', '+13035552013'];
    await Promise.all([
      ...good.map((number) => f.api.call('addNumber', { params, body: { number, type: 'local', capabilities: ['voice'], monthlyCost: 1, trunkId: kept.trunkId } })),
      f.api.call('addNumber', { params, body: { number: '+13035552019', type: 'local', capabilities: ['voice'], monthlyCost: 1, trunkId: lost.trunkId } }),
    ]);
    await outboxDrained(f.db);
    for (const number of good) expect(await associated('numbers', (await hubspotIdOf('numbers', 'number', number))!, 'trunks')).toEqual([await hubspotIdOf('trunks', 'trunk_id', kept.trunkId)]);
    const letters = await openLetters();
    expect(letters.map((l) => [l.objectType, l.recordKey])).toEqual([['association', 'number:+13035552019']]);
    expect(letters[0]!.errors.at(-1)!.message).toContain('OBJECT_NOT_FOUND');
  });

  it('a number released and archived while its association is written: the work is done, no dead letter', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const number = '+13035552030';
    const { trunkId } = await f.api.call('createTrunk', { params, body: trunkBody() });
    await f.api.call('addNumber', { params, body: { number, type: 'local', capabilities: ['voice'], monthlyCost: 1, trunkId } });
    await outboxDrained(f.db);
    const numberId = (await hubspotIdOf('numbers', 'number', number))!;
    await gateway().removeAssociation({ objectType: 'numbers', id: numberId }, { objectType: 'companies', id: customer.companyId });
    // The association work reads WARP's rows (the number is live), then HubSpot's associations slowly ...
    f.sim.addFault({ kind: 'latency', latencyMs: 1_500, count: 1, pathPrefix: '/crm/v4/associations/numbers/companies/batch/read' });
    await f.db.pool.query(`INSERT INTO outbox (object_type, record_key) VALUES ('association', $1)`, [`number:${number}`]);
    await waitFor(async () => ((await f.db.pool.query(`SELECT 1 FROM outbox WHERE record_key = $1 AND lease_owner IS NOT NULL`, [`number:${number}`])).rowCount ? true : undefined), 10_000, 'the association claimed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ... and meanwhile the number is released, and its record archived in HubSpot, by the number's own sync.
    await f.db.pool.query(`UPDATE numbers SET status = 'released', hubspot_object_id = NULL WHERE number = $1`, [number]);
    await gateway().batchArchive('numbers', [numberId]);
    await outboxDrained(f.db);
    expect(f.sim.requestLog({ pathPrefix: '/crm/v4/associations/numbers/companies/batch/associate' }).at(-1)?.status).toBe(207);
    expect((await openLetters()).filter((l) => l.recordKey === `number:${number}`)).toEqual([]);
  });

  it('a dead-lettered association is repaired by retrying the dead letter', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const { trunkId } = await f.api.call('createTrunk', { params, body: trunkBody() });
    await outboxDrained(f.db);
    const trunkHubspotId = (await hubspotIdOf('trunks', 'trunk_id', trunkId))!;
    // The company association of the trunk is refused for good once (a 400), then HubSpot accepts it.
    await gateway().removeAssociation({ objectType: 'trunks', id: trunkHubspotId }, { objectType: 'companies', id: customer.companyId });
    f.sim.addFault({ kind: 'status', status: 400, count: 1, pathPrefix: '/crm/v4/associations/trunks', method: 'POST' });
    await f.db.pool.query(`INSERT INTO outbox (object_type, record_key) VALUES ('association', $1)`, [`trunk:${trunkId}`]);
    await waitFor(async () => (await openLetters()).some((l) => l.recordKey === `trunk:${trunkId}`), 10_000, 'the dead letter');
    expect(await associated('trunks', trunkHubspotId, 'companies')).toEqual([]);
    const letter = (await openLetters()).find((l) => l.recordKey === `trunk:${trunkId}`)!;
    await f.api.call('retryDeadLetter', { params: { id: letter.id } });
    await outboxDrained(f.db);
    expect(await associated('trunks', trunkHubspotId, 'companies')).toEqual([customer.companyId]);
  });
});
