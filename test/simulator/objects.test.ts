/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, call, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim(); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

describe('objects via @hubspot/api-client', () => {
  it('creates (201), reads, updates and archives a contact with HubSpot record fields', async () => {
    const c = sdk(sim);
    const created = await c.crm.contacts.basicApi.create({ properties: { email: 'a@example.com', firstname: 'A' }, associations: [] });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.archived).toBe(false);
    expect(created.properties).toMatchObject({ email: 'a@example.com', firstname: 'A', hs_object_id: created.id });
    expect(created.properties.lastmodifieddate).toBeTruthy();
    expect(created.properties.createdate).toBeTruthy();

    const got = await c.crm.contacts.basicApi.getById(created.id, ['email', 'phone']);
    expect(got.properties).toMatchObject({ email: 'a@example.com', phone: null, hs_object_id: created.id });
    expect(got.properties.firstname).toBeUndefined();

    const byEmail = await c.crm.contacts.basicApi.getById('A@EXAMPLE.COM', ['email'], undefined, undefined, false, 'email');
    expect(byEmail.id).toBe(created.id);

    const updated = await c.crm.contacts.basicApi.update(created.id, { properties: { lastname: 'Z' } });
    expect(updated.properties.lastname).toBe('Z');
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

    await c.crm.contacts.basicApi.archive(created.id);
    const e = await apiError(c.crm.contacts.basicApi.getById(created.id));
    expect(e.code).toBe(404);
    expect(e.body.category).toBe('OBJECT_NOT_FOUND');
    const archived = await c.crm.contacts.basicApi.getById(created.id, undefined, undefined, undefined, true);
    expect(archived.archived).toBe(true);
  });

  it('companies and deals use hs_lastmodifieddate; record values are strings', async () => {
    const c = sdk(sim);
    const co = await c.crm.companies.basicApi.create({ properties: { name: 'Acme', numberofemployees: '12', annualrevenue: '1000.50' }, associations: [] });
    expect(co.properties.hs_lastmodifieddate).toBeTruthy();
    const deal = await c.crm.deals.basicApi.create({ properties: { dealname: 'D', dealstage: 'closedwon', amount: 99 as unknown as string }, associations: [] });
    expect(deal.properties.amount).toBe('99');
    expect(deal.properties.pipeline).toBe('default');
    const raw = await call(sim, 'GET', `/crm/v3/objects/companies/${co.id}?properties=numberofemployees`);
    expect(raw.body.properties.numberofemployees).toBe('12');
    expect(typeof raw.body.id).toBe('string');
  });

  it('unknown property → 400 PROPERTY_DOESNT_EXIST; bad enumeration → INVALID_OPTION; missing required → 400', async () => {
    const c = sdk(sim);
    const e1 = await apiError(c.crm.contacts.basicApi.create({ properties: { email: 'x@y.z', nope: '1' }, associations: [] }));
    expect(e1.code).toBe(400);
    expect(e1.body.category).toBe('VALIDATION_ERROR');
    expect(e1.body.message).toContain('PROPERTY_DOESNT_EXIST');
    expect(e1.body.errors[0].code).toBe('PROPERTY_DOESNT_EXIST');
    const e2 = await apiError(c.crm.contacts.basicApi.create({ properties: { lifecyclestage: 'Customer' }, associations: [] }));
    expect(e2.body.message).toContain('INVALID_OPTION');
    const e3 = await apiError(c.crm.tickets.basicApi.create({ properties: { content: 'no subject' }, associations: [] }));
    expect(e3.code).toBe(400);
    const e4 = await apiError(c.crm.deals.basicApi.create({ properties: { dealname: 'x', dealstage: 'nope' }, associations: [] }));
    expect(e4.body.message).toContain('dealstage');
  });

  it('contact email is unique (409) and the default 401 without a token', async () => {
    const c = sdk(sim);
    await c.crm.contacts.basicApi.create({ properties: { email: 'dup@example.com' }, associations: [] });
    const e = await apiError(c.crm.contacts.basicApi.create({ properties: { email: 'DUP@example.com' }, associations: [] }));
    expect(e.code).toBe(409);
    expect(e.body.category).toBe('CONFLICT');
    const r = await call(sim, 'GET', '/crm/v3/objects/contacts', undefined, null);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
  });

  it('lists with limit ≤ 100, after cursors and paging.next.link; limit 101 → 400', async () => {
    const c = sdk(sim);
    await call(sim, 'POST', '/__sim/objects/companies/bulk', { count: 150, properties: { name: 'Co {i}' } });
    const p1 = await c.crm.companies.basicApi.getPage(100, undefined, ['name']);
    expect(p1.results).toHaveLength(100);
    expect(p1.paging?.next?.after).toBeTruthy();
    expect(p1.paging?.next?.link).toContain(`after=${p1.paging?.next?.after}`);
    const p2 = await c.crm.companies.basicApi.getPage(100, p1.paging?.next?.after, ['name']);
    expect(p2.results).toHaveLength(50);
    expect(p2.paging).toBeUndefined();
    expect(new Set([...p1.results, ...p2.results].map((r) => r.id)).size).toBe(150);
    const all = await c.crm.companies.getAll();
    expect(all).toHaveLength(150);
    const dflt = await c.crm.companies.basicApi.getPage();
    expect(dflt.results).toHaveLength(10);
    const e = await apiError(c.crm.companies.basicApi.getPage(101));
    expect(e.code).toBe(400);
  });

  it('associations query param and create-with-associations (contact→company 279)', async () => {
    const c = sdk(sim);
    const co = await c.crm.companies.basicApi.create({ properties: { name: 'A' }, associations: [] });
    const ct = await c.crm.contacts.basicApi.create({
      properties: { email: 'c@a.com' },
      associations: [{ to: { id: co.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 279 }] }],
    });
    const got = await c.crm.contacts.basicApi.getById(ct.id, ['email'], undefined, ['companies']);
    expect(got.associations?.companies?.results).toEqual([expect.objectContaining({ id: co.id, type: 'contact_to_company_unlabeled' })]);
  });

  it('custom idProperty on single GET and PATCH needs a unique property', async () => {
    const c = sdk(sim);
    await c.crm.properties.coreApi.create('companies', { name: 'warp_id', label: 'WARP id', type: 'string' as never, fieldType: 'text' as never, groupName: 'companyinformation', hasUniqueValue: true });
    await c.crm.companies.basicApi.create({ properties: { name: 'X', warp_id: 'W-1' }, associations: [] });
    const got = await c.crm.companies.basicApi.getById('W-1', ['warp_id'], undefined, undefined, false, 'warp_id');
    expect(got.properties.warp_id).toBe('W-1');
    const up = await c.crm.companies.basicApi.update('W-1', { properties: { name: 'Y' } }, 'warp_id');
    expect(up.properties.name).toBe('Y');
    const e = await apiError(c.crm.companies.basicApi.getById('X', undefined, undefined, undefined, false, 'name'));
    expect(e.code).toBe(400);
  });

  it('accepts the dated 2026-03 paths', async () => {
    const r = await call(sim, 'POST', '/crm/objects/2026-03/contacts', { properties: { email: 'dated@example.com' } });
    expect(r.status).toBe(201);
    const g = await call(sim, 'GET', `/crm/objects/2026-03/contacts/${r.body.id}`);
    expect(g.body.properties.email).toBe('dated@example.com');
  });

  it('merges two contacts (primary keeps id, other archived)', async () => {
    const a = await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'm1@x.com' } });
    const b = await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'm2@x.com', phone: '123' } });
    const m = await call(sim, 'POST', '/crm/v3/objects/contacts/merge', { primaryObjectId: a.body.id, objectIdToMerge: b.body.id });
    expect(m.status).toBe(200);
    expect((await call(sim, 'GET', `/crm/v3/objects/contacts/${a.body.id}?properties=phone`)).body.properties.phone).toBe('123');
    expect((await call(sim, 'GET', `/crm/v3/objects/contacts/${b.body.id}`)).status).toBe(404);
  });
});

describe('scopes', () => {
  it('configured tokens: unknown → 401, missing scope → 403 MISSING_SCOPES', async () => {
    const s = await startTestSim({ tokens: { ro: { kind: 'private', scopes: ['crm.objects.contacts.read'] } } });
    try {
      expect((await call(s, 'GET', '/crm/v3/objects/contacts', undefined, 'ro')).status).toBe(200);
      expect((await call(s, 'GET', '/crm/v3/objects/contacts', undefined, 'other')).status).toBe(401);
      const e = await apiError(sdk(s, 'ro').crm.contacts.basicApi.create({ properties: { email: 'a@b.c' }, associations: [] }));
      expect(e.code).toBe(403);
      expect(e.body.category).toBe('MISSING_SCOPES');
      expect(e.body.errors[0].context.requiredGranularScopes).toContain('crm.objects.contacts.write');
    } finally {
      await s.close();
    }
  });
});

describe('propertiesWithHistory', () => {
  it('returns value history newest first with the change source; list limit is 50 with history', async () => {
    const c = sdk(sim);
    const ct = await c.crm.contacts.basicApi.create({ properties: { email: 'h@x.com', firstname: 'One' }, associations: [] });
    sim.uiEdit({ objectType: 'contacts', objectId: ct.id, properties: { firstname: 'Two' }, userId: 7 });
    const got = await c.crm.contacts.basicApi.getById(ct.id, ['firstname'], ['firstname']);
    const hist = got.propertiesWithHistory?.firstname ?? [];
    expect(hist.map((h) => [h.value, h.sourceType, h.sourceId])).toEqual([['Two', 'CRM_UI', 'userId:7'], ['One', 'INTEGRATION', String(sim.appId)]]);
    expect(hist[0]?.timestamp).toBeInstanceOf(Date);
    const batch = await c.crm.contacts.batchApi.read({ inputs: [{ id: ct.id }], properties: [], propertiesWithHistory: ['firstname'] });
    expect(batch.results[0]?.propertiesWithHistory?.firstname).toHaveLength(2);
    expect((await call(sim, 'GET', '/crm/v3/objects/contacts?limit=50&propertiesWithHistory=firstname')).status).toBe(200);
    expect((await call(sim, 'GET', '/crm/v3/objects/contacts?limit=51&propertiesWithHistory=firstname')).status).toBe(400);
  });
});
