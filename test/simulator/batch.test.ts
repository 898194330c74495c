/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, call, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim({ burstLimit: 1000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const inputs = (n: number, prefix = 'b') => Array.from({ length: n }, (_, i) => ({ properties: { email: `${prefix}${i}@example.com` }, associations: [] }));

describe('batch endpoints via @hubspot/api-client', () => {
  it('batch create: 100 inputs → 201; 101 inputs → 400', async () => {
    const c = sdk(sim);
    const ok = await c.crm.contacts.batchApi.create({ inputs: inputs(100) });
    expect(ok.status).toBe('COMPLETE');
    expect(ok.results).toHaveLength(100);
    expect(sim.requestLog({ pathPrefix: '/crm/v3/objects/contacts/batch/create' }).at(-1)?.status).toBe(201);
    const e = await apiError(c.crm.contacts.batchApi.create({ inputs: inputs(101, 'c') }));
    expect(e.code).toBe(400);
    expect(e.body.category).toBe('VALIDATION_ERROR');
  });

  it('batch create is all-or-nothing without objectWriteTraceId, 207 with it', async () => {
    const c = sdk(sim);
    const bad: { properties: Record<string, string>; associations: never[] }[] = [{ properties: { email: 'ok@x.com' }, associations: [] }, { properties: { email: 'x', bogus: '1' }, associations: [] }];
    const e = await apiError(c.crm.contacts.batchApi.create({ inputs: bad }));
    expect(e.code).toBe(400);
    expect((await c.crm.contacts.basicApi.getPage()).results).toHaveLength(0);

    const traced = bad.map((b, i) => ({ ...b, objectWriteTraceId: `trace-${i}` }));
    const r = await c.crm.contacts.batchApi.create({ inputs: traced });
    expect(sim.requestLog().at(-1)?.status).toBe(207);
    expect(r.results).toHaveLength(1);
    expect('numErrors' in r && r.numErrors).toBe(1);
    expect('errors' in r && r.errors?.[0]?.context).toEqual({ objectWriteTraceId: ['trace-1'] });
  });

  it('batch read (200/207 for missing ids, idProperty email)', async () => {
    const c = sdk(sim);
    const created = await c.crm.contacts.batchApi.create({ inputs: inputs(3) });
    const ids = created.results.map((r) => ({ id: r.id }));
    const r = await c.crm.contacts.batchApi.read({ inputs: ids, properties: ['email'], propertiesWithHistory: [] });
    expect(r.results).toHaveLength(3);
    expect(sim.requestLog().at(-1)?.status).toBe(200);
    const partial = await c.crm.contacts.batchApi.read({ inputs: [...ids, { id: '999999' }], properties: ['email'], propertiesWithHistory: [] });
    expect(sim.requestLog().at(-1)?.status).toBe(207);
    expect('errors' in partial && partial.errors?.[0]?.category).toBe('OBJECT_NOT_FOUND');
    const byEmail = await c.crm.contacts.batchApi.read({ inputs: [{ id: 'b1@example.com' }], idProperty: 'email', properties: ['email'], propertiesWithHistory: [] });
    expect(byEmail.results[0]?.properties.email).toBe('b1@example.com');
  });

  it('batch update 200, and 207 when one input fails', async () => {
    const c = sdk(sim);
    const created = await c.crm.contacts.batchApi.create({ inputs: inputs(2) });
    const upd = await c.crm.contacts.batchApi.update({ inputs: created.results.map((r) => ({ id: r.id, properties: { firstname: 'F' } })) });
    expect(upd.results.every((r) => r.properties.firstname === 'F')).toBe(true);
    expect(sim.requestLog().at(-1)?.status).toBe(200);
    const mixed = await c.crm.contacts.batchApi.update({ inputs: [{ id: created.results[0]!.id, properties: { lastname: 'L' } }, { id: '424242', properties: { lastname: 'L' } }] });
    expect(sim.requestLog().at(-1)?.status).toBe(207);
    expect(mixed.results).toHaveLength(1);
  });

  it('batch upsert by email and by a unique property reports new true/false', async () => {
    const c = sdk(sim);
    await c.crm.contacts.basicApi.create({ properties: { email: 'exists@x.com' }, associations: [] });
    const r = await c.crm.contacts.batchApi.upsert({ inputs: [
      { id: 'exists@x.com', idProperty: 'email', properties: { firstname: 'Old' } },
      { id: 'fresh@x.com', idProperty: 'email', properties: { firstname: 'New' } },
    ] });
    const byEmail = Object.fromEntries(r.results.map((x) => [x.properties.email, x]));
    expect(byEmail['exists@x.com']?._new).toBe(false);
    expect(byEmail['fresh@x.com']?._new).toBe(true);
    const raw = await call(sim, 'POST', '/crm/v3/objects/contacts/batch/upsert', { inputs: [{ id: 'fresh@x.com', idProperty: 'email', properties: { lastname: 'Z' } }] });
    expect(raw.body.results[0].new).toBe(false);

    await c.crm.properties.coreApi.create('companies', { name: 'ext_id', label: 'Ext', type: 'string' as never, fieldType: 'text' as never, groupName: 'companyinformation', hasUniqueValue: true });
    const u = await c.crm.companies.batchApi.upsert({ inputs: [{ id: 'E-1', idProperty: 'ext_id', properties: { name: 'Acme' } }] });
    expect(u.results[0]?._new).toBe(true);
    expect(u.results[0]?.properties.ext_id).toBe('E-1');
    const e = await call(sim, 'POST', '/crm/v3/objects/companies/batch/upsert', { inputs: [{ id: 'x', idProperty: 'name', properties: {} }] });
    expect(e.status).toBe(207);
  });

  it('batch archive → 204 and the records are gone', async () => {
    const c = sdk(sim);
    const created = await c.crm.contacts.batchApi.create({ inputs: inputs(5) });
    await c.crm.contacts.batchApi.archive({ inputs: created.results.map((r) => ({ id: r.id })) });
    expect(sim.requestLog().at(-1)?.status).toBe(204);
    expect((await c.crm.contacts.basicApi.getPage()).results).toHaveLength(0);
    const e = await call(sim, 'POST', '/crm/v3/objects/contacts/batch/archive', { inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i) })) });
    expect(e.status).toBe(400);
  });
});
