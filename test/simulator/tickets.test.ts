/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   Tests assert on raw HubSpot JSON bodies and webhook payloads, which are untyped by nature. */
/** What the support flow (issue 12) needs of HubSpot tickets, checked through the official SDK. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Signature } from '@hubspot/api-client';
import { decodeUriForV3 } from '../../src/hubspot/webhook-signature.js';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, receivers, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
const receiver = receivers();
beforeAll(async () => { sim = await startTestSim({ burstLimit: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const alertKey = { name: 'warp_alert_key', label: 'Alert key', type: 'string', fieldType: 'text', groupName: 'ticketinformation', hasUniqueValue: true } as never;

describe('tickets', () => {
  it('the default pipeline carries ticketState; priorities are options; subject and stage are required', async () => {
    const c = sdk(sim);
    const p = await c.crm.pipelines.pipelinesApi.getById('tickets', '0');
    expect(p.stages.map((s) => [s.id, s.metadata?.ticketState])).toEqual([['1', 'OPEN'], ['2', 'OPEN'], ['3', 'OPEN'], ['4', 'CLOSED']]);
    const priority = await c.crm.properties.coreApi.getByName('tickets', 'hs_ticket_priority');
    expect(priority.options.map((o) => o.value)).toEqual(['LOW', 'MEDIUM', 'HIGH', 'URGENT']);
    const e = await apiError(c.crm.tickets.basicApi.create({ properties: { subject: 'no stage' }, associations: [] }));
    expect(e.code).toBe(400);
    expect(e.body).toMatchObject({ category: 'VALIDATION_ERROR', context: { properties: ['hs_pipeline_stage'] } });
    expect(e.body.message).toBe('Cannot create object with type: TICKET. The following required properties were missing: [hs_pipeline_stage]');
    // Without hs_pipeline the default pipeline is used.
    const t = await c.crm.tickets.basicApi.create({ properties: { subject: 'ok', hs_pipeline_stage: '1', hs_ticket_priority: 'HIGH' }, associations: [] });
    expect(t.properties.hs_pipeline).toBe('0');
    expect((await apiError(c.crm.tickets.basicApi.create({ properties: { subject: 'x', hs_pipeline_stage: '1', hs_ticket_priority: 'high' }, associations: [] }))).body.message).toContain('INVALID_OPTION');
  });

  it('batch upsert by a unique property makes one ticket per key, also under concurrency', async () => {
    const c = sdk(sim);
    await c.crm.properties.coreApi.create('tickets', alertKey);
    const input = (subject: string) => ({ inputs: [{ id: 'asr_low:BAN1:trunk_1', idProperty: 'warp_alert_key', properties: { subject, hs_pipeline_stage: '1' } }] });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => c.crm.tickets.batchApi.upsert(input(`ASR low #${n}`))));
    const ids = new Set(results.map((r) => r.results[0]!.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.results[0]!._new).length).toBe(1);
    const page = await c.crm.tickets.basicApi.getPage(100, undefined, ['warp_alert_key']);
    expect(page.results.filter((t) => t.properties.warp_alert_key === 'asr_low:BAN1:trunk_1')).toHaveLength(1);
    const read = await c.crm.tickets.batchApi.read({ idProperty: 'warp_alert_key', inputs: [{ id: 'asr_low:BAN1:trunk_1' }], properties: ['subject'], propertiesWithHistory: [] });
    expect(read.results[0]!.id).toBe([...ids][0]);
    // idProperty must be a unique property.
    const bad = await c.crm.tickets.batchApi.upsert({ inputs: [{ id: 'x', idProperty: 'subject', properties: { hs_pipeline_stage: '1' } }] });
    expect((bad as unknown as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('ticket webhooks: creation, propertyChange, merge and deletion, signed like the others', async () => {
    const rx = await receiver();
    sim.configureWebhooks(rx.url, [{ eventType: 'ticket.creation' }, { eventType: 'ticket.propertyChange', propertyName: 'hs_pipeline_stage' }, { eventType: 'ticket.merge' }, { eventType: 'ticket.deletion' }]);
    const c = sdk(sim);
    const a = await c.crm.tickets.basicApi.create({ properties: { subject: 'A', hs_pipeline_stage: '1' }, associations: [] });
    const b = await c.crm.tickets.basicApi.create({ properties: { subject: 'B', hs_pipeline_stage: '1' }, associations: [] });
    await c.crm.tickets.basicApi.update(a.id, { properties: { hs_pipeline_stage: '4' } });
    await c.crm.tickets.basicApi.merge({ primaryObjectId: a.id, objectIdToMerge: b.id });
    await c.crm.tickets.basicApi.archive(a.id);
    await sim.drainWebhooks();
    const events = rx.events().map((e) => `${e.subscriptionType}:${e.objectId}${e.propertyValue ? `=${e.propertyValue}` : ''}`);
    expect(events).toEqual([
      `ticket.creation:${a.id}`, `ticket.propertyChange:${a.id}=1`, `ticket.creation:${b.id}`, `ticket.propertyChange:${b.id}=1`,
      `ticket.propertyChange:${a.id}=4`, `ticket.merge:${a.id}`, `ticket.deletion:${a.id}`,
    ]);
    expect(rx.events().find((e) => e.subscriptionType === 'ticket.merge')).toMatchObject({ primaryObjectId: Number(a.id), mergedObjectIds: [Number(b.id)] });
    for (const d of rx.deliveries) {
      const ts = Number(d.headers['x-hubspot-request-timestamp']);
      expect(Signature.isValid({ signature: d.headers['x-hubspot-signature-v3'] as string, clientSecret: sim.clientSecret, requestBody: d.raw, signatureVersion: 'v3', url: decodeUriForV3(rx.url), method: 'POST', timestamp: ts })).toBe(true);
    }
  });

  it('associates tickets with companies (primary), trunks (custom object) and notes', async () => {
    const c = sdk(sim);
    const trunks = await c.crm.schemas.coreApi.create({
      name: 'trunks', labels: { singular: 'Trunk', plural: 'Trunks' }, primaryDisplayProperty: 'name', requiredProperties: ['trunk_id'], associatedObjects: ['COMPANY', 'TICKET'],
      properties: [{ name: 'name', label: 'Name', type: 'string', fieldType: 'text' }, { name: 'trunk_id', label: 'Trunk id', type: 'string', fieldType: 'text', hasUniqueValue: true }],
    } as never);
    const trunkType = trunks.objectTypeId ?? '';
    const company = await c.crm.companies.basicApi.create({ properties: { name: 'Acme' }, associations: [] });
    const trunk = await c.crm.objects.basicApi.create(trunkType, { properties: { name: 'Trunk 1', trunk_id: 'trunk_1' }, associations: [] });
    const ticket = await c.crm.tickets.basicApi.create({
      properties: { subject: 'ASR low', hs_pipeline_stage: '1' },
      associations: [{ to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 26 }] }] as never,
    });
    await c.crm.associations.v4.basicApi.createDefault('tickets', ticket.id, trunkType, trunk.id);
    const toCompany = await c.crm.associations.v4.basicApi.getPage('tickets', ticket.id, 'companies');
    expect(toCompany.results[0]!.associationTypes.map((t) => t.typeId).sort((x, y) => x - y)).toEqual([26, 339]);
    const toTrunk = await c.crm.associations.v4.basicApi.getPage('tickets', ticket.id, trunkType);
    expect(toTrunk.results.map((r) => String(r.toObjectId))).toEqual([trunk.id]);
    const note = await c.crm.objects.notes.basicApi.create({
      properties: { hs_timestamp: new Date().toISOString(), hs_note_body: 'Recurrence: ASR 41 % over 212 attempts' },
      associations: [{ to: { id: ticket.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 228 }] }] as never,
    });
    const notes = await c.crm.associations.v4.basicApi.getPage('tickets', ticket.id, 'notes');
    expect(notes.results.map((r) => String(r.toObjectId))).toEqual([note.id]);
    const found = await c.crm.tickets.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'associations.company', operator: 'EQ' as never, value: company.id }] }], sorts: [], properties: ['subject'], limit: 10, after: '0' });
    expect(found.results.map((t) => t.id)).toEqual([ticket.id]);
  });
});
