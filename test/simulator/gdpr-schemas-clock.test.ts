/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument --
   Tests assert on raw HubSpot JSON bodies and webhook payloads, which are untyped by nature. */
/** GDPR delete, schema batch read and association delete, timeline template/token updates, the clock control. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, call, devSdk, receivers, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
const receiver = receivers();
beforeAll(async () => { sim = await startTestSim({ burstLimit: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const schemaEgg = (name: string) => ({
  name, labels: { singular: name, plural: `${name}s` }, primaryDisplayProperty: 'name', requiredProperties: [], associatedObjects: ['COMPANY'],
  properties: [{ name: 'name', label: 'Name', type: 'string', fieldType: 'text' }],
});

describe('contacts GDPR delete', () => {
  it('purges the contact for good and sends contact.privacyDeletion with contact.deletion', async () => {
    const rx = await receiver();
    sim.configureWebhooks(rx.url, [{ eventType: 'contact.privacyDeletion' }, { eventType: 'contact.deletion' }]);
    const c = sdk(sim);
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'forget@x.example' }, associations: [] });
    const res = await c.apiRequest({ method: 'POST', path: '/crm/v3/objects/contacts/gdpr-delete', body: { objectId: 'forget@x.example', idProperty: 'email' } });
    expect(res.status).toBe(204);
    expect((await apiError(c.crm.contacts.basicApi.getById(contact.id, undefined, undefined, undefined, true))).code).toBe(404);
    // The email is free again.
    await c.crm.contacts.basicApi.create({ properties: { email: 'forget@x.example' }, associations: [] });
    await sim.drainWebhooks();
    expect(rx.events().map((e) => [e.subscriptionType, String(e.objectId)]).sort()).toEqual([['contact.deletion', contact.id], ['contact.privacyDeletion', contact.id]]);
    const missing = await c.apiRequest({ method: 'POST', path: '/crm/v3/objects/contacts/gdpr-delete', body: { objectId: '999999' } });
    expect(missing.status).toBe(404);
    const invalid = await c.apiRequest({ method: 'POST', path: '/crm/v3/objects/contacts/gdpr-delete', body: {} });
    expect(invalid.status).toBe(400);
    expect((await call(sim, 'POST', '/webhooks/v3/7654321/subscriptions?hapikey=dev', { eventType: 'object.privacyDeletion' }, null)).status).toBe(400);
  });
});

describe('schemas', () => {
  it('batch read by name or id; deletes an association definition of a schema', async () => {
    const c = sdk(sim);
    const trunks = await c.crm.schemas.coreApi.create(schemaEgg('trunk') as never);
    const trunkType = trunks.objectTypeId ?? '';
    await c.crm.schemas.coreApi.create(schemaEgg('number') as never);
    const read = await call(sim, 'POST', '/crm-object-schemas/v3/schemas/batch/read', { inputs: ['trunk', trunkType, 'nope'], includeAssociationDefinitions: true, includeAuditMetadata: false, includePropertyDefinitions: true });
    expect(read.status).toBe(200);
    expect(read.body.results.map((s: { name: string }) => s.name)).toEqual(['trunk']);
    const assoc = trunks.associations.find((a) => a.toObjectTypeId === '0-2');
    expect(assoc).toBeTruthy();
    await c.crm.schemas.coreApi.archiveAssociation(trunkType, assoc?.id ?? '');
    const after = await c.crm.schemas.coreApi.getById(trunkType);
    expect(after.associations.some((a) => a.toObjectTypeId === '0-2')).toBe(false);
    expect((await apiError(c.crm.schemas.coreApi.archiveAssociation(trunkType, '424242'))).code).toBe(404);
  });
});

describe('timeline templates and tokens', () => {
  it('updates a template, updates and deletes a token', async () => {
    const dev = devSdk(sim);
    const tpl = await dev.crm.timeline.templatesApi.create(sim.appId, {
      name: 'Usage', objectType: 'companies', headerTemplate: 'Usage', tokens: [{ name: 'minutes', label: 'Minutes', type: 'number' }, { name: 'tier', label: 'Tier', type: 'enumeration', options: [{ label: 'Gold', value: 'gold' }] }],
    } as never);
    const updated = await dev.crm.timeline.templatesApi.update(tpl.id, sim.appId, { id: tpl.id, name: 'Monthly usage', headerTemplate: 'Usage {{minutes}}', tokens: tpl.tokens });
    expect(updated).toMatchObject({ name: 'Monthly usage', headerTemplate: 'Usage {{minutes}}' });
    const tok = await dev.crm.timeline.tokensApi.update(tpl.id, 'tier', sim.appId, { label: 'Service tier', options: [{ label: 'Gold', value: 'gold' }, { label: 'Silver', value: 'silver' }] });
    expect(tok.options?.map((o) => o.value)).toEqual(['gold', 'silver']);
    await dev.crm.timeline.tokensApi.archive(tpl.id, 'minutes', sim.appId);
    expect((await dev.crm.timeline.templatesApi.getById(tpl.id, sim.appId)).tokens.map((t) => t.name)).toEqual(['tier']);
    const typeChange = await apiError(dev.crm.timeline.templatesApi.update(tpl.id, sim.appId, { id: tpl.id, name: 'x', tokens: [{ name: 'tier', label: 'Tier', type: 'string' }] } as never));
    expect(typeChange.code).toBe(400);
  });
});

describe('clock control (/__sim/clock)', () => {
  it('advance moves hs_lastmodifieddate, resets the daily limit, passes search-index lag and sends due webhook retries', async () => {
    const lagging = await startTestSim({ timeScale: 1, dailyLimit: 3, searchIndexLagMs: 60_000, webhookMaxRetries: 1 });
    try {
      const before = await call(lagging, 'GET', '/__sim/clock');
      expect(before.body).toMatchObject({ offsetMs: 0, timeScale: 1 });
      const c = sdk(lagging);
      const created = await c.crm.companies.basicApi.create({ properties: { name: 'Tick' }, associations: [] });
      expect((await c.crm.companies.searchApi.doSearch({ filterGroups: [], sorts: [], properties: [], limit: 10, after: '0' })).total).toBe(0);
      await c.crm.companies.basicApi.getById(created.id);
      expect((await apiError(c.crm.companies.basicApi.getById(created.id))).code).toBe(429);

      const rxl = await receiver();
      rxl.respond = (n) => ({ status: n === 1 ? 500 : 204 });
      lagging.configureWebhooks(rxl.url, [{ eventType: 'company.propertyChange', propertyName: 'name' }]);
      const reset = await call(lagging, 'POST', '/__sim/clock', { setTo: before.body.nextDailyResetAt });
      expect(reset.status).toBe(200);
      const edited = await c.crm.companies.basicApi.update(created.id, { properties: { name: 'Tock' } });
      expect(Date.parse(edited.properties.hs_lastmodifieddate ?? '')).toBeGreaterThanOrEqual(Date.parse(before.body.nextDailyResetAt));
      await lagging.drainWebhooks(0);
      while (lagging.webhookDeliveries().length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(rxl.deliveries).toHaveLength(1);
      // The retry waits ≥ 0.5 s of HubSpot time; a jump sends it at once, and the lag has passed.
      const failedAt = rxl.deliveries[0]!.at;
      await call(lagging, 'POST', '/__sim/clock', { advanceMs: 3_600_000 });
      expect(await lagging.drainWebhooks(5_000)).toBe(true);
      expect(rxl.deliveries.map((d) => d.events[0].attemptNumber)).toEqual([0, 1]);
      expect(rxl.deliveries[1]!.at - failedAt).toBeLessThan(450);
      expect((await c.crm.companies.searchApi.doSearch({ filterGroups: [], sorts: [], properties: [], limit: 10, after: '0' })).total).toBe(1);
      expect((await call(lagging, 'POST', '/__sim/clock', { advanceMs: -1 })).status).toBe(400);
      expect((await call(lagging, 'POST', '/__sim/clock', { setTo: '2001-01-01T00:00:00Z' })).status).toBe(400);
    } finally {
      await lagging.close();
    }
  });
});
