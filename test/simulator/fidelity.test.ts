/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment --
   Tests assert on raw HubSpot JSON bodies (ApiException.body), which are untyped by nature. */
/** The deviations issue 16 lists, each checked against the published spec's shapes and statuses. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, call, devSdk, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim({ burstLimit: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const STANDARD_ERROR_KEYS = ['category', 'context', 'errors', 'links', 'message', 'status'];

describe('bodies the spec marks invalid get 400 VALIDATION_ERROR, never 404', () => {
  it('merge without objectIdToMerge, a timeline event without eventTemplateId, a batch input without id', async () => {
    const c = sdk(sim);
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'm@x.example' }, associations: [] });
    const merge = await apiError(c.crm.contacts.basicApi.merge({ primaryObjectId: contact.id } as never));
    expect(merge.code).toBe(400);
    expect(merge.body).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect(merge.body.message).toContain('Cannot build PublicMergeInput, some of required attributes are not set [objectIdToMerge]');

    const timeline = await apiError(sdk(sim, 'oauth-app').crm.timeline.eventsApi.create({ objectId: contact.id, tokens: {} } as never));
    expect(timeline.code).toBe(400);
    expect(timeline.body.message).toContain('[eventTemplateId]');

    const update = await apiError(c.crm.contacts.batchApi.update({ inputs: [{ properties: { firstname: 'X' } }] } as never));
    expect(update.code).toBe(400);
    expect(update.body.errors[0]).toMatchObject({ code: 'REQUIRED_FIELD', in: 'inputs.0.id' });
  });

  it('wrong types and bodies without required fields on other endpoints', async () => {
    const c = sdk(sim);
    expect((await apiError(c.crm.contacts.basicApi.create({ associations: [] } as never))).code).toBe(400);
    expect((await apiError(c.crm.properties.coreApi.create('contacts', { name: 'x_only_name' } as never))).code).toBe(400);
    expect((await apiError(c.crm.pipelines.pipelinesApi.create('tickets', { label: 'No stages' } as never))).code).toBe(400);
    expect((await apiError(c.crm.associations.v4.schema.definitionsApi.create('contacts', 'companies', { name: 'no_label' } as never))).code).toBe(400);
    expect((await call(sim, 'POST', '/crm/v3/objects/contacts/batch/read', { inputs: [{ id: { nested: true } }] })).status).toBe(400);
    const search = await apiError(c.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'email' }] }] } as never));
    expect(search.body.message).toContain('[operator]');
    const dev = devSdk(sim);
    expect((await apiError(dev.webhooks.subscriptionsApi.create(sim.appId, {} as never))).code).toBe(400);
  });
});

describe('207 multi-status entries carry the spec StandardError fields', () => {
  it('batch read, batch update, association batch create and the timeline batch', async () => {
    const c = sdk(sim);
    const read = await c.crm.contacts.batchApi.read({ inputs: [{ id: '999999' }], properties: [], propertiesWithHistory: [] });
    const update = await c.crm.contacts.batchApi.update({ inputs: [{ id: '999999', properties: { firstname: 'X' } }] });
    const company = await c.crm.companies.basicApi.create({ properties: { name: 'Acme' }, associations: [] });
    const assoc = await c.crm.associations.v4.batchApi.create('contacts', 'companies', { inputs: [{ _from: { id: '999999' }, to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }] }] } as never);
    const timeline = await sdk(sim, 'oauth-app').crm.timeline.eventsApi.createBatch({ inputs: [{ eventTemplateId: '404', id: 'e1', objectId: company.id, tokens: {} }] });
    for (const r of [read, update, assoc, timeline] as unknown as { errors: Record<string, unknown>[] }[]) {
      expect(r.errors).toHaveLength(1);
      for (const k of STANDARD_ERROR_KEYS) expect(r.errors[0]).toHaveProperty(k);
    }
    expect((timeline as unknown as { errors: { context: unknown }[] }).errors[0]?.context).toEqual({ eventTemplateId: ['404'], id: ['e1'], objectId: [company.id] });
  });
});

describe('webhook subscriptions', () => {
  it('ids are strings (SubscriptionResponse.id), events keep numeric subscriptionId', async () => {
    const dev = devSdk(sim);
    const sub = await dev.webhooks.subscriptionsApi.create(sim.appId, { eventType: 'contact.creation' as never, active: true });
    expect(typeof sub.id).toBe('string');
    expect(typeof (await dev.webhooks.subscriptionsApi.getById(Number(sub.id), sim.appId)).id).toBe('string');
    const batch = await dev.webhooks.subscriptionsApi.updateBatch(sim.appId, { inputs: [{ id: Number(sub.id), active: false }] });
    expect(batch.results[0]).toMatchObject({ id: sub.id, active: false });
  });
});

describe('dated 2026-03 forms', () => {
  it('routes every per-record association operation under /crm/objects/2026-03', async () => {
    const c = sdk(sim);
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'd@x.example' }, associations: [] });
    const company = await c.crm.companies.basicApi.create({ properties: { name: 'Dated' }, associations: [] });
    const base = `/crm/objects/2026-03/contacts/${contact.id}/associations`;
    expect((await call(sim, 'PUT', `${base}/default/companies/${company.id}`)).status).toBe(200);
    const put = await call(sim, 'PUT', `${base}/companies/${company.id}`, [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }]);
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ fromObjectId: contact.id, toObjectId: company.id, labels: ['Primary'] });
    const list = await call(sim, 'GET', `${base}/companies`);
    expect(list.body.results[0].toObjectId).toBe(company.id);
    expect(list.body.results[0].associationTypes.map((t: { typeId: number }) => t.typeId).sort()).toEqual([1, 279]);
    expect((await call(sim, 'DELETE', `${base}/companies/${company.id}`)).status).toBe(204);
    expect((await call(sim, 'GET', `${base}/companies`)).body.results).toEqual([]);
    // v3's record-level shortcut has no dated form.
    expect((await call(sim, 'PUT', `${base}/companies/${company.id}/279`)).status).toBe(404);
  });

  it('batch archives answer 200 with a BatchResponse in the dated form, 204 in v4', async () => {
    const c = sdk(sim);
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'b@x.example' }, associations: [] });
    const company = await c.crm.companies.basicApi.create({ properties: { name: 'B' }, associations: [] });
    await c.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', company.id);
    const input = { inputs: [{ from: { id: contact.id }, to: [{ id: company.id }] }] };
    const dated = await call(sim, 'POST', '/crm/associations/2026-03/contacts/companies/batch/archive', input);
    expect(dated.status).toBe(200);
    expect(dated.body).toMatchObject({ status: 'COMPLETE', results: [] });
    expect(dated.body.startedAt).toBeTruthy();
    expect((await call(sim, 'POST', '/crm/v4/associations/contacts/companies/batch/archive', input)).status).toBe(204);
    const labels = await call(sim, 'POST', '/crm/associations/2026-03/contacts/companies/batch/labels/archive', { inputs: [{ from: { id: contact.id }, to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 1 }] }] });
    expect(labels.status).toBe(200);
  });

  it('dated models: schemas, subscriptions and options require their extra fields; schemas carry allowsSensitiveProperties, API-created stages writePermissions', async () => {
    const egg = {
      name: 'trunks', labels: { singular: 'Trunk', plural: 'Trunks' }, primaryDisplayProperty: 'name', requiredProperties: [], associatedObjects: [],
      properties: [{ name: 'name', label: 'Name', type: 'string', fieldType: 'text' }],
    };
    // The dated egg requires four more fields than v3's.
    const short = await call(sim, 'POST', '/crm-object-schemas/2026-03/schemas', egg);
    expect(short.status).toBe(400);
    expect(short.body.message).toContain('[allowsSensitiveProperties, searchableProperties, secondaryDisplayProperties, shouldCreateSameObjectAssociation]');
    const schema = await call(sim, 'POST', '/crm-object-schemas/2026-03/schemas', { ...egg, allowsSensitiveProperties: false, searchableProperties: [], secondaryDisplayProperties: [], shouldCreateSameObjectAssociation: false });
    expect(schema.status).toBe(201);
    expect((await call(sim, 'GET', '/crm-object-schemas/2026-03/schemas/trunks')).body.allowsSensitiveProperties).toBe(false);
    const p = await call(sim, 'POST', '/crm/pipelines/2026-03/tickets', { label: 'Escalations', displayOrder: 1, stages: [{ label: 'Open', displayOrder: 0, metadata: { ticketState: 'OPEN' } }] });
    expect(p.body.stages[0].writePermissions).toBe('CRM_PERMISSIONS_ENFORCEMENT');
    expect((await call(sim, 'POST', '/webhooks/2026-03/7654321/subscriptions?hapikey=dev', { eventType: 'deal.creation' }, null)).status).toBe(400);
    const dated = await call(sim, 'POST', '/webhooks/2026-03/7654321/subscriptions?hapikey=dev', { eventType: 'deal.creation', active: true }, null);
    expect(dated.body).toMatchObject({ id: expect.any(String), eventType: 'deal.creation' });
    const option = { label: 'Gold', value: 'gold', hidden: false };
    expect((await call(sim, 'POST', '/crm/properties/2026-03/companies', { name: 'tier_x', label: 'Tier', type: 'enumeration', fieldType: 'select', groupName: 'companyinformation', options: [option] })).status).toBe(400);
    expect((await call(sim, 'POST', '/crm/properties/2026-03/companies', { name: 'tier_x', label: 'Tier', type: 'enumeration', fieldType: 'select', groupName: 'companyinformation', options: [{ ...option, displayOrder: 0 }] })).status).toBe(201);
  });
});
