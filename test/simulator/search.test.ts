/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, call, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
// Search is limited to 5/s; a large allowance here keeps functional tests independent of it.
beforeAll(async () => { sim = await startTestSim({ searchPerSecond: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

type Filter = { propertyName: string; operator: string; value?: string; values?: string[]; highValue?: string };
const search = (filters: Filter[], extra: Record<string, unknown> = {}) =>
  sdk(sim).crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: filters as never }], properties: ['email', 'firstname', 'lifecyclestage'], limit: 100, ...extra });

describe('search via @hubspot/api-client', () => {
  beforeEach(async () => {
    const c = sdk(sim);
    await c.crm.contacts.batchApi.create({ inputs: [
      { properties: { email: 'anna@acme.com', firstname: 'Anna', lifecyclestage: 'customer' }, associations: [] },
      { properties: { email: 'bob@globex.com', firstname: 'Bob', lifecyclestage: 'lead' }, associations: [] },
      { properties: { email: 'carl@acme.com', firstname: 'Carl' }, associations: [] },
    ] });
  });

  it('operators', async () => {
    const emails = async (f: Filter[]) => (await search(f)).results.map((r) => r.properties.email).sort();
    expect(await emails([{ propertyName: 'email', operator: 'EQ', value: 'ANNA@acme.com' }])).toEqual(['anna@acme.com']);
    expect(await emails([{ propertyName: 'firstname', operator: 'NEQ', value: 'anna' }])).toEqual(['bob@globex.com', 'carl@acme.com']);
    expect(await emails([{ propertyName: 'lifecyclestage', operator: 'HAS_PROPERTY' }])).toEqual(['anna@acme.com', 'bob@globex.com']);
    expect(await emails([{ propertyName: 'lifecyclestage', operator: 'NOT_HAS_PROPERTY' }])).toEqual(['carl@acme.com']);
    expect(await emails([{ propertyName: 'lifecyclestage', operator: 'IN', values: ['lead', 'customer'] }])).toEqual(['anna@acme.com', 'bob@globex.com']);
    expect(await emails([{ propertyName: 'lifecyclestage', operator: 'NOT_IN', values: ['lead'] }])).toEqual(['anna@acme.com', 'carl@acme.com']);
    expect(await emails([{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*acme.com' }])).toEqual(['anna@acme.com', 'carl@acme.com']);
    expect(await emails([{ propertyName: 'email', operator: 'NOT_CONTAINS_TOKEN', value: 'acme' }])).toEqual(['bob@globex.com']);
    expect(await emails([{ propertyName: 'firstname', operator: 'GT', value: 'b' }])).toEqual(['bob@globex.com', 'carl@acme.com']);
    const ids = (await search([])).results.map((r) => Number(r.id));
    const mid = String(ids[1]);
    expect(await emails([{ propertyName: 'hs_object_id', operator: 'LTE', value: mid }])).toHaveLength(2);
    expect(await emails([{ propertyName: 'hs_object_id', operator: 'LT', value: mid }])).toHaveLength(1);
    expect(await emails([{ propertyName: 'hs_object_id', operator: 'GTE', value: mid }])).toHaveLength(2);
    expect(await emails([{ propertyName: 'hs_object_id', operator: 'BETWEEN', value: String(ids[0]), highValue: mid }])).toHaveLength(2);
    expect(await emails([{ propertyName: 'createdate', operator: 'GTE', value: String(Date.now() - 60_000) }])).toHaveLength(3);
  });

  it('groups are ORed, filters ANDed; one sort; query; default creation order', async () => {
    const r = await sdk(sim).crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'firstname', operator: 'EQ' as never, value: 'anna' }] }, { filters: [{ propertyName: 'firstname', operator: 'EQ' as never, value: 'bob' }] }],
      sorts: [{ propertyName: 'firstname', direction: 'DESCENDING' }] as never, properties: ['firstname'], limit: 10, after: '0',
    });
    expect(r.total).toBe(2);
    expect(r.results.map((x) => x.properties.firstname)).toEqual(['Bob', 'Anna']);
    const q = await sdk(sim).crm.contacts.searchApi.doSearch({ query: 'carl', properties: ['email'], limit: 10, after: '0', sorts: [], filterGroups: [] });
    expect(q.results.map((x) => x.properties.email)).toEqual(['carl@acme.com']);
    const all = await search([]);
    expect(all.results.map((x) => x.properties.firstname)).toEqual(['Anna', 'Bob', 'Carl']);
    const twoSorts = await call(sim, 'POST', '/crm/v3/objects/contacts/search', { sorts: [{ propertyName: 'email' }, { propertyName: 'firstname' }] });
    expect(twoSorts.status).toBe(400);
  });

  it('filter limits: 5 groups / 6 per group / 18 total → 400 VALIDATION_ERROR', async () => {
    const f = { propertyName: 'email', operator: 'HAS_PROPERTY' };
    const groups = (g: number, n: number) => ({ filterGroups: Array.from({ length: g }, () => ({ filters: Array.from({ length: n }, () => f) })) });
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', groups(5, 3))).status).toBe(200);
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', groups(3, 6))).status).toBe(200);
    const six = await call(sim, 'POST', '/crm/v3/objects/contacts/search', groups(6, 1));
    expect(six.status).toBe(400);
    expect(six.body.category).toBe('VALIDATION_ERROR');
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', groups(1, 7))).status).toBe(400);
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', groups(4, 5))).status).toBe(400); // 20 > 18
  });

  it('limit ≤ 200, body ≤ 3,000 characters, unknown property → 400', async () => {
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', { limit: 200 })).status).toBe(200);
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', { limit: 201 })).status).toBe(400);
    const pad = (n: number) => JSON.stringify({ query: 'x'.repeat(n) });
    const base = pad(0).length;
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', pad(3000 - base))).status).toBe(200);
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/search', pad(3001 - base))).status).toBe(400);
    const e = await apiError(search([{ propertyName: 'nope', operator: 'EQ', value: '1' }]));
    expect(e.code).toBe(400);
  });

  it('the 10,000th result is reachable; paging beyond 10,000 → 400', async () => {
    await call(sim, 'POST', '/__sim/objects/companies/bulk', { count: 10_050, properties: { name: 'C{i}' } });
    const s = sdk(sim).crm.companies.searchApi;
    const last = await s.doSearch({ limit: 1, after: '9999', properties: ['name'], sorts: [], filterGroups: [] });
    expect(last.total).toBe(10_050);
    expect(last.results[0]?.properties.name).toBe('C9999');
    // Like HubSpot, the cursor still points past the cap; following it fails with 400.
    expect(last.paging?.next?.after).toBe('10000');
    const page = await s.doSearch({ limit: 200, after: '9800', properties: ['name'], sorts: [], filterGroups: [] });
    expect(page.results).toHaveLength(200);
    const e = await apiError(s.doSearch({ limit: 1, after: '10000', properties: ['name'], sorts: [], filterGroups: [] }));
    expect(e.code).toBe(400);
    expect(e.body.category).toBe('VALIDATION_ERROR');
  });
});

describe('search index lag and search rate limit', () => {
  it('new writes appear after searchIndexLagMs (time-scaled)', async () => {
    const s = await startTestSim({ searchIndexLagMs: 100_000 }); // 1 s at timeScale 0.01
    try {
      await call(s, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'lag@x.com' } });
      expect((await call(s, 'POST', '/crm/v3/objects/contacts/search', {})).body.total).toBe(0);
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await call(s, 'POST', '/crm/v3/objects/contacts/search', {})).body.total).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('5 searches per second; the 6th gets the exact secondly message and no rate-limit headers', async () => {
    const s = await startTestSim({ timeScale: 1 });
    try {
      // Concurrent, so all six land inside one second even on a loaded machine.
      const rs = await Promise.all(Array.from({ length: 6 }, () => call(s, 'POST', '/crm/v3/objects/contacts/search', {})));
      expect(rs.filter((r) => r.status === 200)).toHaveLength(5);
      const limited = rs.find((r) => r.status === 429);
      expect(limited?.body).toMatchObject({ status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT' });
      expect(limited?.body.policyName).toBeUndefined();
      for (const r of rs) expect([...r.headers.keys()].filter((h) => h.startsWith('x-hubspot-ratelimit'))).toEqual([]);
      // Non-search requests are unaffected and do carry the headers.
      const list = await call(s, 'GET', '/crm/v3/objects/contacts');
      expect(list.status).toBe(200);
      expect(list.headers.get('x-hubspot-ratelimit-max')).toBe('100');
      await new Promise((r) => setTimeout(r, 1_050));
      expect((await call(s, 'POST', '/crm/v3/objects/contacts/search', {})).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
