/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Signature } from '@hubspot/api-client';
import { decodeUriForV3, verifyHubSpotSignature } from '../../src/hubspot/webhook-signature.js';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { Receiver, call, devSdk, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
let rx: Receiver;
beforeAll(async () => {
  sim = await startTestSim({ burstLimit: 100_000, webhookBatchDelayMs: 500 });
});
afterAll(async () => { await sim.close(); });
afterEach(async () => { await rx.close(); });

async function setup(subs: { eventType: string; propertyName?: string; objectTypeId?: string }[], path?: string): Promise<void> {
  sim.reset();
  rx = new Receiver();
  await rx.start(path);
  sim.configureWebhooks(rx.url, subs);
}

describe('webhook delivery', () => {
  it('delivers signed batches the SDK validates (v1 and v3), with all documented fields and change sources', async () => {
    await setup([{ eventType: 'contact.creation' }, { eventType: 'contact.propertyChange', propertyName: 'firstname' }, { eventType: 'contact.deletion' }]);
    const c = sdk(sim);
    const ct = await c.crm.contacts.basicApi.create({ properties: { email: 'w@x.com', firstname: 'Api' }, associations: [] });
    sim.uiEdit({ objectType: 'contacts', objectId: ct.id, properties: { firstname: 'Ui' }, userId: 42 });
    await c.crm.contacts.basicApi.archive(ct.id);
    expect(await sim.drainWebhooks()).toBe(true);

    expect(rx.deliveries.length).toBeGreaterThanOrEqual(1);
    for (const d of rx.deliveries) {
      const ts = d.headers['x-hubspot-request-timestamp'] as string;
      expect(d.headers['x-hubspot-signature-version']).toBe('v1');
      expect(d.headers['content-type']).toBe('application/json');
      expect(Number(ts)).toBeGreaterThan(Date.now() - 60_000); // milliseconds
      expect(Signature.isValid({ signature: d.headers['x-hubspot-signature'] as string, clientSecret: sim.clientSecret, requestBody: d.raw, signatureVersion: 'v1' })).toBe(true);
      expect(Signature.isValid({ signature: d.headers['x-hubspot-signature-v3'] as string, clientSecret: sim.clientSecret, requestBody: d.raw, signatureVersion: 'v3', url: decodeUriForV3(rx.url), method: 'POST', timestamp: Number(ts) })).toBe(true);
      expect(verifyHubSpotSignature({ clientSecret: sim.clientSecret, rawBody: d.raw, method: 'POST', url: rx.url, signatureV3: d.headers['x-hubspot-signature-v3'] as string, timestamp: ts })).toEqual({ ok: true, version: 'v3' });
      expect(Signature.isValid({ signature: d.headers['x-hubspot-signature'] as string, clientSecret: 'wrong', requestBody: d.raw, signatureVersion: 'v1' })).toBe(false);
    }
    const evs = rx.events();
    const types = evs.map((e) => `${e.subscriptionType}${e.propertyName ? `:${e.propertyName}=${e.propertyValue}` : ''}@${e.changeSource}`);
    expect(types).toEqual(['contact.creation@INTEGRATION', 'contact.propertyChange:firstname=Api@INTEGRATION', 'contact.propertyChange:firstname=Ui@CRM_UI', 'contact.deletion@INTEGRATION']);
    const first = evs[0];
    expect(first).toMatchObject({ objectId: Number(ct.id), portalId: sim.portalId, appId: sim.appId, attemptNumber: 0, sourceId: String(sim.appId), changeFlag: 'CREATED' });
    expect(typeof first.eventId).toBe('number');
    expect(typeof first.subscriptionId).toBe('number');
    expect(typeof first.occurredAt).toBe('number');
    expect(evs[2].sourceId).toBe('userId:42');
  });

  it('batches ≤ 100 events per request', async () => {
    await setup([{ eventType: 'contact.creation' }]);
    // 150 changes in one tick: the 100th event flushes a full batch at once, the rest follow.
    for (let i = 0; i < 150; i++) sim.uiEdit({ objectType: 'contacts', action: 'create', properties: { email: `b${i}@x.com` } });
    await sim.drainWebhooks();
    expect(rx.events()).toHaveLength(150);
    expect(rx.deliveries.map((d) => d.events.length)).toEqual([100, 50]);
  });

  it('retries failed deliveries (4xx/5xx) with attemptNumber and re-signs each attempt', async () => {
    await setup([{ eventType: 'company.creation' }]);
    rx.respond = (n) => ({ status: n === 1 ? 500 : n === 2 ? 404 : 200 });
    await call(sim, 'POST', '/crm/v3/objects/companies', { properties: { name: 'R' } });
    await sim.drainWebhooks();
    expect(rx.deliveries.map((d) => d.events[0].attemptNumber)).toEqual([0, 1, 2]);
    expect(sim.webhookDeliveries().map((d) => d.status)).toEqual([500, 404, 200]);
    const last = rx.deliveries[2]!;
    expect(Signature.isValid({ signature: last.headers['x-hubspot-signature'] as string, clientSecret: sim.clientSecret, requestBody: last.raw })).toBe(true);
  });

  it('gives up after 10 retries (11 attempts)', async () => {
    // Back-off doubles from 1 s; a tiny time scale keeps the ~17 min of real back-off under a second.
    const fast = await startTestSim({ timeScale: 0.0005 });
    rx = new Receiver();
    await rx.start();
    try {
      fast.configureWebhooks(rx.url, [{ eventType: 'company.creation' }]);
      rx.respond = () => ({ status: 503 });
      await call(fast, 'POST', '/crm/v3/objects/companies', { properties: { name: 'R' } });
      await fast.drainWebhooks(20_000);
      expect(rx.deliveries.map((d) => d.events[0].attemptNumber)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await fast.close();
    }
  });

  it('treats a response slower than the timeout as failed and retries', async () => {
    await setup([{ eventType: 'company.creation' }]);
    rx.respond = (n) => ({ status: 200, delayMs: n === 1 ? 1_500 : 0 });
    await call(sim, 'POST', '/crm/v3/objects/companies', { properties: { name: 'T' } });
    await sim.drainWebhooks();
    expect(sim.webhookDeliveries()[0]?.error).toMatch(/timeout/);
    expect(rx.deliveries.at(-1)?.events[0].attemptNumber).toBe(1);
  });

  it('never has more than 10 deliveries in flight', async () => {
    await setup([{ eventType: 'contact.creation' }]);
    rx.respond = () => ({ status: 200, delayMs: 100 });
    const c = sdk(sim);
    for (let b = 0; b < 25; b++) {
      await c.crm.contacts.batchApi.create({ inputs: Array.from({ length: 100 }, (_, i) => ({ properties: { email: `c${b}-${i}@x.com` }, associations: [] })) });
    }
    await sim.drainWebhooks();
    expect(rx.events()).toHaveLength(2500);
    expect(rx.maxInFlight).toBeLessThanOrEqual(10);
    expect(rx.maxInFlight).toBeGreaterThan(1);
  });

  it('merge, restore and associationChange events; generic object.* subscriptions carry objectTypeId', async () => {
    await setup([{ eventType: 'contact.merge' }, { eventType: 'contact.restore' }, { eventType: 'contact.associationChange' }, { eventType: 'object.creation', objectTypeId: '0-2' }]);
    const a = await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'm1@x.com' } });
    const b = await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'm2@x.com' } });
    const co = await call(sim, 'POST', '/crm/v3/objects/companies', { properties: { name: 'Gen' } });
    await call(sim, 'PUT', `/crm/v4/objects/contacts/${a.body.id}/associations/default/companies/${co.body.id}`);
    await call(sim, 'POST', '/crm/v3/objects/contacts/merge', { primaryObjectId: a.body.id, objectIdToMerge: b.body.id });
    await call(sim, 'DELETE', `/crm/v3/objects/contacts/${a.body.id}`);
    sim.uiEdit({ objectType: 'contacts', action: 'restore', objectId: a.body.id });
    await sim.drainWebhooks();
    const byType = (t: string) => rx.events().filter((e) => e.subscriptionType === t);
    expect(byType('object.creation')[0]).toMatchObject({ objectTypeId: '0-2', objectId: Number(co.body.id) });
    expect(byType('contact.associationChange')[0]).toMatchObject({ associationType: 'CONTACT_TO_COMPANY', fromObjectId: Number(a.body.id), toObjectId: Number(co.body.id), associationRemoved: false, isPrimaryAssociation: false });
    expect(byType('contact.associationChange').some((e) => e.associationRemoved === true)).toBe(true);
    expect(byType('contact.merge')[0]).toMatchObject({ primaryObjectId: Number(a.body.id), mergedObjectIds: [Number(b.body.id)], newObjectId: Number(a.body.id) });
    expect(byType('contact.restore')[0]).toMatchObject({ objectId: Number(a.body.id), changeSource: 'CRM_UI' });
  });

  it('webhook faults: duplicate, reorder and drop', async () => {
    await setup([{ eventType: 'contact.creation' }]);
    sim.addFault({ kind: 'webhook-duplicate', count: 1 });
    await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'd@x.com' } });
    await sim.drainWebhooks();
    expect(rx.deliveries).toHaveLength(2);
    expect(rx.deliveries[0]!.raw).toBe(rx.deliveries[1]!.raw);

    sim.addFault({ kind: 'webhook-reorder', count: 1 });
    await call(sim, 'POST', '/crm/v3/objects/contacts/batch/create', { inputs: [{ properties: { email: 'r1@x.com' } }, { properties: { email: 'r2@x.com' } }] });
    await sim.drainWebhooks();
    const reordered = rx.deliveries[2]!.events.map((e) => e.occurredAt as number);
    const ids = rx.deliveries[2]!.events.map((e) => e.objectId as number);
    expect(ids[0]).toBeGreaterThan(ids[1]!);
    expect(reordered).toHaveLength(2);

    sim.addFault({ kind: 'webhook-drop', count: 1 });
    await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'gone@x.com' } });
    await sim.drainWebhooks();
    expect(rx.deliveries).toHaveLength(3);
    expect(sim.webhookDeliveries().at(-1)?.faults).toEqual(['drop']);
  });

  it('settings and subscriptions through the real /webhooks/v3 API (SDK, developer key)', async () => {
    sim.reset();
    rx = new Receiver();
    await rx.start('/hook%3Aencoded?x=a%2Cb');
    const dev = devSdk(sim);
    await dev.webhooks.settingsApi.configure(sim.appId, { targetUrl: rx.url, throttling: { maxConcurrentRequests: 10 } });
    const sub = await dev.webhooks.subscriptionsApi.create(sim.appId, { eventType: 'deal.propertyChange' as never, propertyName: 'dealstage', active: true });
    expect(sub.id).toBeTruthy();
    expect((await dev.webhooks.subscriptionsApi.getAll(sim.appId)).results).toHaveLength(1);
    const d = await call(sim, 'POST', '/crm/v3/objects/deals', { properties: { dealname: 'W', dealstage: 'qualifiedtobuy' } });
    await call(sim, 'PATCH', `/crm/v3/objects/deals/${d.body.id}`, { properties: { dealstage: 'closedwon', dealname: 'W2' } });
    await sim.drainWebhooks();
    expect(rx.events().map((e) => e.propertyValue)).toEqual(['qualifiedtobuy', 'closedwon']);
    // The v3 signature is over the decoded target URL (%3A → ':', %2C → ',').
    const del = rx.deliveries[0]!;
    const ts = Number(del.headers['x-hubspot-request-timestamp']);
    expect(Signature.isValid({ signature: del.headers['x-hubspot-signature-v3'] as string, clientSecret: sim.clientSecret, requestBody: del.raw, signatureVersion: 'v3', url: rx.url.replace('%3A', ':').replace('%2C', ','), method: 'POST', timestamp: ts })).toBe(true);
    await dev.webhooks.subscriptionsApi.update(Number(sub.id), sim.appId, { active: false });
    await call(sim, 'PATCH', `/crm/v3/objects/deals/${d.body.id}`, { properties: { dealstage: 'closedlost' } });
    await sim.drainWebhooks();
    expect(rx.events()).toHaveLength(2);
  });
  it('sourceId identifies the writing app, so echoes of our own writes can be told apart', async () => {
    const multi = await startTestSim({ appId: 111, tokens: { ours: { kind: 'private' }, theirs: { kind: 'private', appId: 222 } } });
    rx = new Receiver();
    await rx.start();
    try {
      multi.configureWebhooks(rx.url, [{ eventType: 'company.creation' }]);
      await call(multi, 'POST', '/crm/v3/objects/companies', { properties: { name: 'Ours' } }, 'ours');
      await call(multi, 'POST', '/crm/v3/objects/companies', { properties: { name: 'Theirs' } }, 'theirs');
      await multi.drainWebhooks();
      expect(rx.events().map((e) => [e.appId, e.changeSource, e.sourceId])).toEqual([[111, 'INTEGRATION', '111'], [111, 'INTEGRATION', '222']]);
    } finally {
      await multi.close();
    }
  });
});
