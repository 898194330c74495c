import http from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claim } from '../../src/queue/lease.js';
import { OUTBOX_QUEUE } from '../../src/queue/tables.js';
import type { OutboxObjectType } from '../../src/store/outbox.js';
import { freePort, startTs } from '../support/process.js';
import { type OutboundFixture, outboundEnv, outboxDrained, startOutboundFixture, trunkBody, waitFor } from './support.js';

const TRUNK_UPSERT = '/crm/v3/objects/trunks/batch/upsert';

describe('coalescing', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture({ env: { OUTBOX_WORKERS: '0' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('sends ten edits of a trunk as one write with the latest values and one timeline entry', async () => {
    const customer = await f.createCustomer();
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    for (let i = 1; i <= 10; i++) {
      expect((await f.api.call('updateTrunk', { params: { ban: customer.ban, trunkId: trunk.trunkId }, body: { concurrentCalls: 100 + i } })).concurrentCalls).toBe(100 + i);
    }
    const since = f.sim.requestLog().at(-1)?.seq ?? 0;
    f.startWorkers();
    await outboxDrained(f.db);
    const writes = f.sim.requestLog({ sinceSeq: since, method: 'POST' });
    const upserts = writes.filter((w) => w.path.startsWith(TRUNK_UPSERT));
    expect(upserts).toHaveLength(1);
    expect(JSON.stringify(upserts[0]!.body)).toContain('"concurrent_calls":"110"');
    const noteWrites = writes.filter((w) => w.path.startsWith('/crm/v3/objects/notes/batch/create'));
    expect(noteWrites).toHaveLength(1);
    const { events } = await f.api.call('listAccountEvents', { params: { ban: customer.ban } });
    expect(events.map((e) => [e.kind, e.changeCount])).toEqual([['trunk_created', 1], ['trunk_modified', 10]]);
  });
});

describe('HubSpot faults, dead letters and alerts', () => {
  let f: OutboundFixture;
  let alertServer: http.Server;
  const alerts: unknown[] = [];
  beforeAll(async () => {
    alertServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        alerts.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => alertServer.listen(0, '127.0.0.1', resolve));
    const { port } = alertServer.address() as { port: number };
    // One HTTP attempt per gateway call, so every injected 5xx is an outbox attempt.
    // No retry budget: a record is dead-lettered after its attempts (retry-budget.test.ts has the budget).
    f = await startOutboundFixture({ env: { HUBSPOT_MAX_ATTEMPTS: '1', OUTBOX_RETRY_BUDGET_MS: '0', OPS_ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/hook` } });
  });
  afterAll(async () => {
    await f.close();
    await new Promise((resolve) => alertServer.close(resolve));
  });

  const trunkInHubSpot = async (trunkId: string) => (await f.records('trunks', ['trunk_id'])).filter((t) => t.properties['trunk_id'] === trunkId);

  it('retries after injected 5xx and writes the record once', async () => {
    const customer = await f.createCustomer();
    f.sim.addFault({ kind: 'status', status: 503, count: 2, pathPrefix: TRUNK_UPSERT });
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    await outboxDrained(f.db);
    expect(await trunkInHubSpot(trunk.trunkId)).toHaveLength(1);
    expect(f.sim.requestLog({ pathPrefix: TRUNK_UPSERT }).map((r) => r.status)).toEqual([503, 503, 200]);
    expect((await f.api.call('listDeadLetters', {})).deadLetters).toHaveLength(0);
  });

  it('dead-letters after three failed attempts, alerts ops, and retries through the API', async () => {
    const customer = await f.createCustomer();
    f.sim.addFault({ kind: 'status', status: 502, count: 3, pathPrefix: TRUNK_UPSERT });
    const trunk = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody() });
    await outboxDrained(f.db);
    const letters = (await f.api.call('listDeadLetters', {})).deadLetters;
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ objectType: 'trunk', recordKey: trunk.trunkId, status: 'open' });
    expect(letters[0]!.errors.map((e) => e.status)).toEqual([502, 502, 502]);
    expect(await trunkInHubSpot(trunk.trunkId)).toHaveLength(0);
    await waitFor(async () => alerts.length > 0, 5_000, 'the alert webhook');
    expect(JSON.stringify(alerts[0])).toContain('dead-lettered');
    const recorded = await f.db.pool.query<{ delivered_at: Date | null }>(`SELECT delivered_at FROM ops_alerts`);
    expect(recorded.rows).toHaveLength(1);
    expect(recorded.rows[0]!.delivered_at).not.toBeNull();
    const metrics = (await f.service.app.inject('/metrics')).body;
    expect(metrics).toContain('warp_hubspot_dead_letters_open 1');
    expect(metrics).toContain('warp_hubspot_outbox_depth 0');

    const retried = await f.api.call('retryDeadLetter', { params: { id: letters[0]!.id } });
    expect(retried.status).toBe('retried');
    await outboxDrained(f.db);
    expect(await trunkInHubSpot(trunk.trunkId)).toHaveLength(1);
    expect(await f.api.refusal('retryDeadLetter', { params: { id: letters[0]!.id } })).toMatchObject({ status: 409, code: 'dead_letter_closed' });
    expect((await f.api.call('listDeadLetters', {})).deadLetters).toHaveLength(0);
  });

  it('dead-letters only the failed records of a 207, and discards through the API', async () => {
    const customer = await f.createCustomer();
    const gateway = f.service.hubspot.gateway;
    // HubSpot refuses a trunk whose status is not an option of the property: one input of the batch.
    await gateway.updateProperty('trunks', 'status', { options: ['active', 'suspended', 'disabled'].map((value, i) => ({ value, label: value, displayOrder: i, hidden: false })) });
    const ok = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: 'ok' }) });
    const refused = await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: 'refused' }) });
    await f.api.call('updateTrunk', { params: { ban: customer.ban, trunkId: refused.trunkId }, body: { status: 'limited' } });
    await outboxDrained(f.db);
    expect(await trunkInHubSpot(ok.trunkId)).toHaveLength(1);
    const letters = (await f.api.call('listDeadLetters', {})).deadLetters;
    expect(letters.map((l) => l.recordKey)).toEqual([refused.trunkId]);
    expect(letters[0]!.errors).toHaveLength(1);
    expect(letters[0]!.errors[0]!.message).toContain('VALIDATION_ERROR');

    const discarded = await f.api.call('discardDeadLetter', { params: { id: letters[0]!.id } });
    expect(discarded.status).toBe('discarded');
    expect((await f.api.call('listDeadLetters', {})).deadLetters).toHaveLength(0);
    expect((await f.api.call('listDeadLetters', { query: { status: 'discarded' } })).deadLetters).toHaveLength(1);
  });
});

describe('a worker that dies mid-batch', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture({ env: { OUTBOX_WORKERS: '0', OUTBOX_LEASE_MS: '1000' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('loses nothing and duplicates nothing once its lease expires, even after HubSpot accepted its writes', async () => {
    const customer = await f.createCustomer();
    const trunks: string[] = [];
    for (let i = 0; i < 5; i++) trunks.push((await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: `t${i}` }) })).trunkId);

    // The dead worker: it claimed everything, then got as far as HubSpot accepting the trunk upsert
    // and the notes, and died before recording anything.
    for (const type of ['company', 'trunk', 'event'] as OutboxObjectType[]) await claim(f.db.pool, OUTBOX_QUEUE, { owner: 'dead-worker', leaseMs: 1000, limit: 100, readyParams: [type] });
    const gateway = f.service.hubspot.gateway;
    await gateway.batchUpsert('trunks', trunks.map((id) => ({ id, idProperty: 'trunk_id', properties: { name: 'stale' } })));
    const { rows: events } = await f.db.pool.query<{ id: string }>('UPDATE account_events SET dispatched_at = now() RETURNING id');
    for (const e of events) {
      await gateway.createNote({ body: `earlier attempt [warp-event-${e.id}]`, timestamp: new Date(), associations: [{ toObjectType: 'companies', toObjectId: customer.companyId, associationTypeId: 190 }] });
    }

    f.startWorkers();
    await outboxDrained(f.db);
    const inHubSpot = (await f.records('trunks', ['trunk_id', 'name'])).filter((t) => trunks.includes(t.properties['trunk_id'] ?? ''));
    expect(inHubSpot).toHaveLength(5);
    expect(inHubSpot.map((t) => t.properties['name']).sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const notes = await f.records('notes', ['hs_note_body']);
    for (const e of events) expect(notes.filter((n) => n.properties['hs_note_body']?.includes(`warp-event-${e.id}]`))).toHaveLength(1);
    const sent = await f.api.call('listAccountEvents', { params: { ban: customer.ban } });
    expect(sent.events.every((e) => e.sentAt !== null)).toBe(true);
  });
});

describe('the note marker of a retried event', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture({ env: { OUTBOX_WORKERS: '0' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('is not found in a note someone else wrote, or in a note on another company (L12)', async () => {
    const customer = await f.createCustomer();
    const other = await f.createCustomer();
    await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: 'marker-test' }) });
    // As after an attempt that died before HubSpot answered: the retry looks for the marker first.
    const { rows: events } = await f.db.pool.query<{ id: string }>('UPDATE account_events SET dispatched_at = now() WHERE customer_id = $1 RETURNING id', [customer.id]);
    expect(events.length).toBeGreaterThan(0);
    const gateway = f.service.hubspot.gateway;
    for (const e of events) {
      const note = (companyId: string, body: string) =>
        gateway.createNote({ body, timestamp: new Date(), associations: [{ toObjectType: 'companies', toObjectId: companyId, associationTypeId: 190 }] });
      await note(other.companyId, `copied here [warp-event-${e.id}]`);
      await note(customer.companyId, `a person mentions warp-event-${e.id} in passing`);
    }
    f.startWorkers();
    await outboxDrained(f.db);
    const notes = await f.records('notes', ['hs_note_body'], ['companies']);
    const onCustomer = notes.filter((n) => n.associations?.['companies']?.results.some((a) => a.id === customer.companyId));
    for (const e of events) expect(onCustomer.filter((n) => n.properties['hs_note_body']?.includes(`[warp-event-${e.id}]`))).toHaveLength(1);
  });
});

describe('a worker process killed with SIGKILL mid-batch', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture({ env: { OUTBOX_WORKERS: '0' } });
  });
  afterAll(async () => {
    await f.close();
  });

  it('leaves its batch to the next worker: every change arrives once', async () => {
    const customer = await f.createCustomer();
    const trunks: string[] = [];
    for (let i = 0; i < 5; i++) trunks.push((await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: `k${i}` }) })).trunkId);
    // HubSpot is slow to answer the trunk upsert: the child is killed while it waits.
    f.sim.addFault({ kind: 'latency', latencyMs: 3_000, count: 1, pathPrefix: TRUNK_UPSERT });
    const child = startTs('src/main.ts', [], {
      ...outboundEnv(f.sim, { OUTBOX_WORKERS: '1', OUTBOX_LEASE_MS: '1500', HUBSPOT_PROVISION_AT_START: 'false' }),
      DATABASE_URL: f.db.url,
      PORT: String(await freePort()),
    });
    try {
      await waitFor(async () => (await leasedTrunks()) > 0, 30_000, 'the child to lease the trunk batch');
      // Its upsert is now on the wire, held by the simulator's latency fault.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      child.kill('SIGKILL');
    }
    f.startWorkers();
    await outboxDrained(f.db, 30_000);
    const inHubSpot = (await f.records('trunks', ['trunk_id'])).filter((t) => trunks.includes(t.properties['trunk_id'] ?? ''));
    expect(inHubSpot).toHaveLength(5);
    const notes = await f.records('notes', ['hs_note_body']);
    const { rows: events } = await f.db.pool.query<{ id: string }>('SELECT id FROM account_events');
    for (const e of events) expect(notes.filter((n) => n.properties['hs_note_body']?.includes(`warp-event-${e.id}]`))).toHaveLength(1);
    expect((await f.api.call('listDeadLetters', {})).deadLetters).toHaveLength(0);
  }, 90_000);

  const leasedTrunks = async (): Promise<number> =>
    Number((await f.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE object_type = 'trunk' AND lease_until > now()`)).rows[0]!.n);
});
