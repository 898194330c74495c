/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, call, devSdk, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim({ burstLimit: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const prop = (name: string, extra: Record<string, unknown> = {}) => ({ name, label: name, type: 'string', fieldType: 'text', groupName: 'contactinformation', ...extra }) as never;

describe('properties and groups', () => {
  it('creates groups and properties, validates type/fieldType and enumeration values', async () => {
    const c = sdk(sim);
    const g = await c.crm.properties.groupsApi.create('contacts', { name: 'warp', label: 'WARP', displayOrder: 1 });
    expect(g.name).toBe('warp');
    const p = await c.crm.properties.coreApi.create('contacts', prop('warp_tier', { groupName: 'warp', type: 'enumeration', fieldType: 'select', options: [{ label: 'Gold', value: 'gold', hidden: false }, { label: 'Silver', value: 'silver', hidden: false }] }));
    expect(p.options.map((o) => o.value)).toEqual(['gold', 'silver']);
    expect(p.hasUniqueValue).toBe(false);
    const got = await c.crm.properties.coreApi.getByName('contacts', 'warp_tier');
    expect(got.type).toBe('enumeration');
    expect((await c.crm.properties.coreApi.getAll('contacts')).results.some((x) => x.name === 'email')).toBe(true);

    const bad = await apiError(c.crm.properties.coreApi.create('contacts', prop('x_bad', { type: 'number', fieldType: 'text' })));
    expect(bad.code).toBe(400);
    expect((await apiError(c.crm.properties.coreApi.create('contacts', prop('warp_tier')))).code).toBe(409);
    expect((await apiError(c.crm.properties.coreApi.create('contacts', prop('x_nogroup', { groupName: 'nope' })))).code).toBe(400);

    await c.crm.contacts.basicApi.create({ properties: { email: 'e@x.com', warp_tier: 'gold' }, associations: [] });
    const e = await apiError(c.crm.contacts.basicApi.create({ properties: { email: 'f@x.com', warp_tier: 'Gold' }, associations: [] }));
    expect(e.body.message).toContain('INVALID_OPTION');
    const n = await apiError(c.crm.companies.basicApi.create({ properties: { numberofemployees: 'ten' }, associations: [] }));
    expect(n.body.errors[0].code).toBe('INVALID_DOUBLE');
  });

  it('datetime type uses fieldType date; date values must be midnight', async () => {
    const c = sdk(sim);
    await c.crm.properties.coreApi.create('contacts', prop('warp_since', { type: 'datetime', fieldType: 'date' }));
    await c.crm.properties.coreApi.create('contacts', prop('warp_day', { type: 'date', fieldType: 'date' }));
    const r = await c.crm.contacts.basicApi.create({ properties: { warp_since: '1767225600000', warp_day: '2026-01-01' }, associations: [] });
    expect(r.properties.warp_since).toBe('2026-01-01T00:00:00.000Z');
    const e = await apiError(c.crm.contacts.basicApi.create({ properties: { warp_day: '1767225600001' }, associations: [] }));
    expect(e.code).toBe(400);
  });

  it('hasUniqueValue: at most 10 per object; currency = number + display hint', async () => {
    const c = sdk(sim);
    for (let i = 0; i < 10; i++) await c.crm.properties.coreApi.create('deals', prop(`uniq_${i}`, { groupName: 'dealinformation', hasUniqueValue: true }));
    const e = await apiError(c.crm.properties.coreApi.create('deals', prop('uniq_10', { groupName: 'dealinformation', hasUniqueValue: true })));
    expect(e.code).toBe(400);
    // SDK 13.5's PropertyCreate model drops the display hints (added in the 2026-03 reference): send raw JSON.
    const cur = (await call(sim, 'POST', '/crm/v3/properties/deals', prop('mrr', { groupName: 'dealinformation', type: 'number', fieldType: 'number', showCurrencySymbol: true, numberDisplayHint: 'currency' }))).body;
    expect(cur).toMatchObject({ type: 'number', showCurrencySymbol: true, numberDisplayHint: 'currency' });
    expect((await c.crm.properties.coreApi.getByName('deals', 'mrr')).showCurrencySymbol).toBe(true);
    expect((await apiError(c.crm.properties.coreApi.create('deals', prop('cur2', { groupName: 'dealinformation', type: 'currency', fieldType: 'number' })))).code).toBe(400);
    const amount = await c.crm.properties.coreApi.getByName('deals', 'amount');
    expect(amount.type).toBe('number');
  });
});

describe('custom object schemas', () => {
  const egg = {
    name: 'sip_trunk', labels: { singular: 'SIP trunk', plural: 'SIP trunks' }, primaryDisplayProperty: 'trunk_name',
    requiredProperties: ['trunk_name'], searchableProperties: ['trunk_name'], secondaryDisplayProperties: [],
    properties: [
      { name: 'trunk_name', label: 'Trunk name', type: 'string', fieldType: 'text' },
      { name: 'trunk_id', label: 'Trunk id', type: 'string', fieldType: 'text', hasUniqueValue: true },
      { name: 'channels', label: 'Channels', type: 'number', fieldType: 'number' },
    ],
    associatedObjects: ['0-1', 'COMPANY'],
  } as never;

  it('creates a schema (2-NNNN, p{portalId}_name) on both paths; records by objectTypeId, fqn and name', async () => {
    const c = sdk(sim);
    const created = await c.crm.schemas.coreApi.create(egg);
    const s = { ...created, objectTypeId: created.objectTypeId ?? '', fullyQualifiedName: created.fullyQualifiedName ?? '' };
    expect(s.objectTypeId).toMatch(/^2-\d+$/);
    expect(s.fullyQualifiedName).toBe(`p${sim.portalId}_sip_trunk`);
    expect(s.associations.length).toBe(2);
    const legacy = await call(sim, 'GET', `/crm/v3/schemas/${s.objectTypeId}`);
    expect(legacy.body.name).toBe('sip_trunk');
    expect((await c.crm.schemas.coreApi.getById(s.fullyQualifiedName)).objectTypeId).toBe(s.objectTypeId);

    const r = await c.crm.objects.basicApi.create(s.objectTypeId, { properties: { trunk_name: 'T1', trunk_id: 'X1', channels: '30' }, associations: [] });
    expect((await c.crm.objects.basicApi.getById(s.fullyQualifiedName, r.id, ['channels'])).properties.channels).toBe('30');
    expect((await c.crm.objects.basicApi.getById('sip_trunk', r.id, ['trunk_name'])).properties.trunk_name).toBe('T1');
    const missing = await apiError(c.crm.objects.basicApi.create(s.objectTypeId, { properties: { channels: '1' }, associations: [] }));
    expect(missing.code).toBe(400);
    const found = await c.crm.objects.searchApi.doSearch(s.objectTypeId, { query: 'T1', properties: ['trunk_name'], limit: 10, after: '0', sorts: [], filterGroups: [] });
    expect(found.results.map((x) => x.id)).toEqual([r.id]);
    const up = await c.crm.objects.batchApi.upsert(s.objectTypeId, { inputs: [{ id: 'X1', idProperty: 'trunk_id', properties: { channels: '60' } }] });
    expect(up.results[0]?._new).toBe(false);

    // associations to the declared objects work; the schema is 409 on a second create
    const co = await c.crm.companies.basicApi.create({ properties: { name: 'Acme' }, associations: [] });
    await c.crm.associations.v4.basicApi.createDefault(s.objectTypeId, r.id, 'companies', co.id);
    const a = await c.crm.associations.v4.basicApi.getPage('companies', co.id, s.objectTypeId);
    expect(a.results.map((x) => String(x.toObjectId))).toEqual([r.id]);
    expect((await apiError(c.crm.schemas.coreApi.create(egg))).code).toBe(409);
    expect((await apiError(c.crm.associations.v4.basicApi.createDefault(s.objectTypeId, r.id, 'deals', '1'))).code).toBe(404);
  });
});

describe('associations v4', () => {
  it('default and labeled single, read, batch create/read/archive with limits', async () => {
    const c = sdk(sim);
    const co = await c.crm.companies.basicApi.create({ properties: { name: 'A' }, associations: [] });
    const cts = await c.crm.contacts.batchApi.create({ inputs: [0, 1, 2].map((i) => ({ properties: { email: `a${i}@x.com` }, associations: [] })) });
    const [c0, c1, c2] = cts.results.map((r) => r.id);
    const d = await c.crm.associations.v4.basicApi.createDefault('contacts', c0!, 'companies', co.id);
    expect(d.results[0]?.associationSpec.associationTypeId).toBe(279);
    const primary = await c.crm.associations.v4.basicApi.create('contact', c1!, 'company', co.id, [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 1 }]);
    expect(primary.labels).toEqual(['Primary']);
    const fromCompany = await c.crm.associations.v4.basicApi.getPage('companies', co.id, 'contacts');
    const types = Object.fromEntries(fromCompany.results.map((r) => [String(r.toObjectId), r.associationTypes.map((t) => t.typeId).sort((a, b) => a - b)]));
    expect(types).toEqual({ [c0!]: [280], [c1!]: [2, 280] });

    const label = await call(sim, 'POST', '/crm/v4/associations/contacts/companies/labels', { label: 'Billing', name: 'billing' });
    const billingId = label.body.results[0].typeId as number;
    const bc = await c.crm.associations.v4.batchApi.create('contacts', 'companies', { inputs: [{ _from: { id: c2! }, to: { id: co.id }, types: [{ associationCategory: 'USER_DEFINED' as never, associationTypeId: billingId }] }] as never });
    expect(bc.results).toHaveLength(1);
    const read = await c.crm.associations.v4.batchApi.getPage('contacts', 'companies', { inputs: [{ id: c2! }, { id: c0! }] });
    expect(read.results).toHaveLength(2);
    const labels = read.results.flatMap((r) => r.to.flatMap((t) => t.associationTypes.map((x) => x.label)));
    expect(labels).toContain('Billing');

    await c.crm.associations.v4.basicApi.archive('contacts', c0!, 'companies', co.id);
    await c.crm.associations.v4.batchApi.archive('contacts', 'companies', { inputs: [{ _from: { id: c1! }, to: [{ id: co.id }] }] as never });
    const after = await c.crm.associations.v4.basicApi.getPage('companies', co.id, 'contacts');
    expect(after.results.map((r) => String(r.toObjectId))).toEqual([c2!]);

    const tooMany = await call(sim, 'POST', '/crm/v4/associations/contacts/companies/batch/read', { inputs: Array.from({ length: 1001 }, (_, i) => ({ id: String(i) })) });
    expect(tooMany.status).toBe(400);
    expect((await call(sim, 'POST', '/crm/v4/associations/contacts/companies/batch/read', { inputs: Array.from({ length: 1000 }, (_, i) => ({ id: String(i) })) })).status).toBe(207);
    const tooManyCreate = await call(sim, 'POST', '/crm/v4/associations/contacts/companies/batch/create', { inputs: Array.from({ length: 2001 }, () => ({ from: { id: c0 }, to: { id: co.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }] })) });
    expect(tooManyCreate.status).toBe(400);
    const ok2000 = await call(sim, 'POST', '/crm/v4/associations/contacts/companies/batch/create', { inputs: Array.from({ length: 2000 }, () => ({ from: { id: c0 }, to: { id: co.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }] })) });
    expect(ok2000.status).toBe(201);
  });

  it('note → company uses type 190, and archiving a record removes its associations', async () => {
    const c = sdk(sim);
    const co = await c.crm.companies.basicApi.create({ properties: { name: 'A' }, associations: [] });
    const note = await c.crm.objects.notes.basicApi.create({ properties: { hs_timestamp: String(Date.now()), hs_note_body: 'hi' }, associations: [{ to: { id: co.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 190 }] }] });
    const a = await c.crm.associations.v4.basicApi.getPage('companies', co.id, 'notes');
    expect(a.results[0]?.associationTypes[0]?.typeId).toBe(189);
    await c.crm.objects.notes.basicApi.archive(note.id);
    expect((await c.crm.associations.v4.basicApi.getPage('companies', co.id, 'notes')).results).toEqual([]);
    expect((await apiError(c.crm.associations.v4.basicApi.create('notes', note.id, 'companies', co.id, [{ associationCategory: 'HUBSPOT_DEFINED' as never, associationTypeId: 279 }]))).code).toBe(404);
  });
});

describe('pipelines', () => {
  it('deal pipeline with closedwon, ticket pipeline with ticketState; records validated against stages', async () => {
    const c = sdk(sim);
    const deals = await c.crm.pipelines.pipelinesApi.getAll('deals');
    const stages = deals.results[0]!.stages;
    expect(stages.find((s) => s.id === 'closedwon')?.metadata).toMatchObject({ isClosed: 'true', probability: '1.0' });
    const tickets = await c.crm.pipelines.pipelinesApi.getAll('tickets');
    expect(tickets.results[0]!.stages.map((s) => s.metadata?.ticketState)).toEqual(['OPEN', 'OPEN', 'OPEN', 'CLOSED']);
    const t = await c.crm.tickets.basicApi.create({ properties: { subject: 'S', hs_pipeline_stage: '4' }, associations: [] });
    expect(t.properties.hs_pipeline).toBe('0');
    const np = await c.crm.pipelines.pipelinesApi.create('tickets', { label: 'Provisioning', displayOrder: 1, stages: [{ label: 'Open', displayOrder: 0, metadata: { ticketState: 'OPEN' } }, { label: 'Done', displayOrder: 1, metadata: { ticketState: 'CLOSED' } }] });
    const e = await apiError(c.crm.tickets.basicApi.create({ properties: { subject: 'S', hs_pipeline: np.id, hs_pipeline_stage: '1' }, associations: [] }));
    expect(e.code).toBe(400);
    const ok = await c.crm.tickets.basicApi.create({ properties: { subject: 'S', hs_pipeline: np.id, hs_pipeline_stage: np.stages[1]!.id }, associations: [] });
    expect(ok.properties.hs_pipeline).toBe(np.id);
  });
});

describe('timeline events', () => {
  it('refused for a private-app token (403); works for an OAuth token and a developer key', async () => {
    const dev = devSdk(sim);
    const tpl = await dev.crm.timeline.templatesApi.create(sim.appId, {
      name: 'Call ended', objectType: 'contacts', headerTemplate: 'Call {{duration}}s', detailTemplate: 'Result {{result}}',
      tokens: [{ name: 'duration', label: 'Duration', type: 'number' as never }, { name: 'result', label: 'Result', type: 'enumeration' as never, options: [{ label: 'OK', value: 'ok' }] }],
    });
    expect(tpl.id).toBeTruthy();
    const ct = await sdk(sim).crm.contacts.basicApi.create({ properties: { email: 't@x.com' }, associations: [] });
    const event = { eventTemplateId: tpl.id, objectId: ct.id, tokens: { duration: '42', result: 'ok' } };
    const denied = await apiError(sdk(sim, 'pat-private').crm.timeline.eventsApi.create(event));
    expect(denied.code).toBe(403);
    const oauth = sdk(sim, 'oauth-public-app-token');
    const created = await oauth.crm.timeline.eventsApi.create(event);
    expect(created.objectId).toBe(ct.id);
    const got = await oauth.crm.timeline.eventsApi.getById(tpl.id, created.id);
    expect(got.tokens).toMatchObject({ duration: '42' });
    expect((await apiError(oauth.crm.timeline.eventsApi.create({ ...event, tokens: { result: 'bad' } }))).code).toBe(400);
    expect((await call(sim, 'POST', '/crm/v3/timeline/events', { ...event, id: 'legacy-path' }, 'oauth-x')).status).toBe(201);
  });
});
