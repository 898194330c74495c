import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { HubSpotGateway } from '../../src/hubspot/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, startGatewayFixture } from '../support/hubspot.js';

let db: TestDatabase;
let fx: GatewayFixture;
let hubspot: HubSpotGateway;

beforeAll(async () => {
  db = await createTestDatabase();
  fx = await startGatewayFixture(db, { seedDemo: true, burstLimit: 1_000 });
  hubspot = fx.gateway();
});
afterAll(async () => {
  await fx?.close();
  await db?.drop();
});
beforeEach(() => fx.sim.clearRequestLog());

const batchBodies = (path: string): Array<{ inputs: unknown[] }> =>
  fx.sim.requestLog({ pathPrefix: path }).map((r) => r.body as { inputs: unknown[] });

describe('batch create', () => {
  it('chunks at 100 and reports only the failed inputs of a 207, each with its reason and trace id', async () => {
    const inputs = Array.from({ length: 250 }, (_, i) => ({
      properties: { email: `batch-${i}@example.com`, firstname: `P${i}`, ...(i === 7 || i === 160 ? { not_a_property: 'x' } : {}) },
    }));
    const { results, failures } = await hubspot.batchCreate('contacts', inputs);
    // Chunks go out concurrently: compare without order.
    expect(batchBodies('/crm/v3/objects/contacts/batch/create').map((b) => b.inputs.length).sort()).toEqual([100, 100, 50]);
    expect(fx.sim.requestLog().map((r) => r.status).sort()).toEqual([201, 207, 207]);
    expect(results).toHaveLength(248);
    expect(new Set(results.map((r) => r.inputIndex)).size).toBe(248);
    expect(failures.map((f) => f.index)).toEqual([7, 160]);
    for (const f of failures) {
      expect(f.category).toBe('VALIDATION_ERROR');
      expect(f.objectWriteTraceId).toBe(`warp-${f.index}`);
      expect(f.input).toBe(inputs[f.index]);
      expect(f.message).toContain('not_a_property');
      expect(f.retryable).toBe(false);
    }
    const created = results.find((r) => r.inputIndex === 42)!;
    expect(created.properties['email']).toBe('batch-42@example.com');
  });
});

describe('batch update, upsert, read, archive', () => {
  it('update: a missing record fails alone', async () => {
    const { results } = await hubspot.batchCreate('companies', [{ properties: { name: 'U1' } }, { properties: { name: 'U2' } }]);
    const ids = results.sort((a, b) => a.inputIndex! - b.inputIndex!).map((r) => r.id);
    const update = await hubspot.batchUpdate('companies', [
      { id: ids[0]!, properties: { name: 'U1 renamed' } },
      { id: '987654321', properties: { name: 'ghost' } },
      { id: ids[1]!, properties: { name: 'U2 renamed' } },
    ]);
    expect(update.results.map((r) => r.properties['name']).sort()).toEqual(['U1 renamed', 'U2 renamed']);
    expect(update.failures.map((f) => [f.index, f.category])).toEqual([[1, 'OBJECT_NOT_FOUND']]);
  });

  it('upsert by email creates then updates, with `new`', async () => {
    const first = await hubspot.batchUpsert('contacts', [{ id: 'upsert-1@example.com', idProperty: 'email', properties: { firstname: 'A' } }]);
    expect(first.results[0]?.new).toBe(true);
    const second = await hubspot.batchUpsert('contacts', [{ id: 'upsert-1@example.com', idProperty: 'email', properties: { firstname: 'B' } }]);
    expect(second.results[0]?.new).toBe(false);
    expect(second.results[0]?.id).toBe(first.results[0]?.id);
    expect(second.failures).toEqual([]);
  });

  it('read: unknown ids come back as failures, found ones matched to their input', async () => {
    const { results } = await hubspot.batchCreate('companies', [{ properties: { name: 'R1' } }]);
    const id = results[0]!.id;
    const read = await hubspot.batchRead('companies', ['55555555', id], { properties: ['name'] });
    expect(read.results.map((r) => [r.inputIndex, r.properties['name']])).toEqual([[1, 'R1']]);
    expect(read.failures.map((f) => [f.index, f.input, f.category])).toEqual([[0, '55555555', 'OBJECT_NOT_FOUND']]);
  });

  it('archive: 204 per chunk', async () => {
    const { results } = await hubspot.batchCreate('companies', [{ properties: { name: 'A1' } }, { properties: { name: 'A2' } }]);
    const archived = await hubspot.batchArchive('companies', results.map((r) => r.id));
    expect(archived.failures).toEqual([]);
    const read = await hubspot.batchRead('companies', results.map((r) => r.id));
    expect(read.failures).toHaveLength(2);
  });

  it('a chunk that fails as a whole fails each of its inputs, retryable', async () => {
    fx.sim.addFault({ kind: 'status', status: 503, count: 3, pathPrefix: '/crm/v3/objects/companies/batch/update' });
    const outcome = await fx.gateway({ retry: { baseDelayMs: 1 } }).batchUpdate('companies', [{ id: '1', properties: { name: 'x' } }]);
    expect(outcome.failures.map((f) => [f.index, f.status, f.retryable])).toEqual([[0, 503, true]]);
  });
});

describe('associations, notes, timeline events, tickets, pipelines', () => {
  it('creates a note on a company (190) and reads it back through associations v4', async () => {
    const company = await hubspot.createObject('companies', { properties: { name: 'Noted Inc' } });
    const note = await hubspot.createNote({
      body: 'Trunk trunk_1 created',
      timestamp: new Date('2026-01-02T03:04:05.000Z'),
      associations: [{ toObjectType: 'companies', toObjectId: company.id, associationTypeId: 190 }],
    });
    expect(note.properties['hs_timestamp']).toBe('2026-01-02T03:04:05.000Z');
    const targets = await hubspot.listAssociations({ objectType: 'notes', id: note.id }, 'companies');
    expect(targets.map((t) => [t.toObjectId, t.associationTypes.map((a) => a.typeId)])).toEqual([[company.id, [190]]]);
  });

  it('associates in batches (default and labeled) and reads them back', async () => {
    const contacts = await hubspot.batchCreate('contacts', [{ properties: { email: 'assoc-1@example.com' } }, { properties: { email: 'assoc-2@example.com' } }]);
    const company = await hubspot.createObject('companies', { properties: { name: 'Assoc Co' } });
    const [c1, c2] = contacts.results.sort((a, b) => a.inputIndex! - b.inputIndex!).map((r) => r.id);
    const defaults = await hubspot.batchAssociateDefault('contacts', 'companies', [{ fromId: c1!, toId: company.id }]);
    expect(defaults.failures).toEqual([]);
    const primary = [{ associationCategory: 'HUBSPOT_DEFINED' as const, associationTypeId: 1 }];
    const labeled = await hubspot.batchAssociate('contacts', 'companies', [
      { fromId: '424242', toId: company.id, types: primary },
      { fromId: c2!, toId: company.id, types: primary },
    ]);
    expect(labeled.failures.map((f) => [f.index, f.category])).toEqual([[0, 'OBJECT_NOT_FOUND']]);
    const read = await hubspot.batchReadAssociations('contacts', 'companies', [c1!, c2!]);
    expect(read.get(c1!)?.[0]?.associationTypes.map((t) => t.typeId)).toContain(279);
    expect(read.get(c2!)?.[0]?.associationTypes.map((t) => t.typeId)).toContain(1);
    await hubspot.removeAssociation({ objectType: 'contacts', id: c1! }, { objectType: 'companies', id: company.id });
    expect(await hubspot.listAssociations({ objectType: 'contacts', id: c1! }, 'companies')).toEqual([]);
  });

  it('creates a ticket in the first stage of the ticket pipeline', async () => {
    const [pipeline] = await hubspot.listPipelines('tickets');
    const ticket = await hubspot.createTicket({ subject: 'Low ASR', hs_pipeline: pipeline!.id, hs_pipeline_stage: pipeline!.stages[0]!.id, hs_ticket_priority: 'HIGH' });
    expect(ticket.properties['subject']).toBe('Low ASR');
  });

  it('timeline events: refused for a private-app token, created with a public app\'s token, once per id', async () => {
    const company = await hubspot.createObject('companies', { properties: { name: 'Timeline Co' } });
    const template = (await (await fetch(`${fx.sim.url}/integrators/timeline/v3/${fx.sim.appId}/event-templates`, {
      method: 'POST',
      headers: { authorization: 'Bearer oauth-app', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Trunk created', objectType: 'companies', tokens: [{ name: 'trunk_id', label: 'Trunk', type: 'string' }] }),
    })).json()) as { id: string };
    const event = { eventTemplateId: template.id, objectId: company.id, id: 'trunk_789-created', tokens: { trunk_id: 'trunk_789' } };
    const refused = await hubspot.createTimelineEvent(event).then(() => undefined, (e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'auth', status: 403, requiredScopes: ['timeline'] });
    const publicApp = fx.gateway({ accessToken: 'oauth-app' });
    expect(await publicApp.createTimelineEvent(event)).toMatchObject({ id: 'trunk_789-created', objectId: company.id });
    const again = await publicApp.createTimelineEvent(event).then(() => undefined, (e: unknown) => e);
    expect(again).toMatchObject({ kind: 'conflict', status: 409 });
  });

  it('lists every record page by page', async () => {
    const all: string[] = [];
    for await (const company of hubspot.iterateObjects('companies', { limit: 2 })) all.push(company.id);
    expect(all.length).toBeGreaterThan(3);
    expect(new Set(all).size).toBe(all.length);
  });
});
