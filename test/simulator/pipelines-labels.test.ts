/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call --
   Tests assert on raw HubSpot JSON bodies (ApiException.body), which are untyped by nature. */
/** Pipelines and stages (create, replace, update, delete, audit) and association definitions (labels, limits). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, associationLimitsApi, call, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim({ burstLimit: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const open = (label: string, displayOrder: number) => ({ label, displayOrder, metadata: { ticketState: 'OPEN' } });
const closed = (label: string, displayOrder: number) => ({ label, displayOrder, metadata: { ticketState: 'CLOSED' } });

describe('pipelines and stages', () => {
  it('creates, replaces, renames and deletes a ticket pipeline; every change is in its audit', async () => {
    const c = sdk(sim);
    const p = await c.crm.pipelines.pipelinesApi.create('tickets', { label: 'Network', displayOrder: 1, stages: [open('New', 0), closed('Resolved', 1)] });
    expect(p.stages.map((s) => [s.label, s.metadata?.ticketState, s.writePermissions])).toEqual([['New', 'OPEN', 'CRM_PERMISSIONS_ENFORCEMENT'], ['Resolved', 'CLOSED', 'CRM_PERMISSIONS_ENFORCEMENT']]);
    const keep = p.stages[0]!.id;
    const replaced = await c.crm.pipelines.pipelinesApi.replace('tickets', p.id, { label: 'Network ops', displayOrder: 2, stages: [open('Triaged', 0), closed('Done', 1)] });
    expect(replaced.stages.map((s) => s.label)).toEqual(['Triaged', 'Done']);
    // A listed stageId keeps its identity (SDK 13.5's model drops stageId, so raw JSON here).
    const kept = await call(sim, 'PUT', `/crm/v3/pipelines/tickets/${p.id}`, { label: 'Network ops', displayOrder: 2, stages: [{ ...open('Triaged', 0), stageId: keep }, closed('Done', 1)] });
    expect(kept.body.stages[0].id).toBe(keep);
    const renamed = await c.crm.pipelines.pipelinesApi.update('tickets', p.id, { label: 'NOC' });
    expect(renamed).toMatchObject({ label: 'NOC', displayOrder: 2 });
    const audit = await c.crm.pipelines.pipelineAuditsApi.getAudit('tickets', p.id);
    expect(audit.results.map((a) => a.action)).toEqual(['UPDATE', 'UPDATE', 'UPDATE', 'CREATE']);
    expect(audit.results[0]).toMatchObject({ identifier: p.id, portalId: sim.portalId });
    await c.crm.pipelines.pipelinesApi.archive('tickets', p.id);
    expect((await apiError(c.crm.pipelines.pipelinesApi.getById('tickets', p.id))).code).toBe(404);
    expect((await c.crm.pipelines.pipelinesApi.getAll('tickets')).results.map((x) => x.id)).toEqual(['0']);
  });

  it('stages: create, replace, rename (operators rename stages), delete, with stage audit', async () => {
    const c = sdk(sim);
    const s = await c.crm.pipelines.pipelineStagesApi.create('tickets', '0', open('Escalated', 4));
    expect(s).toMatchObject({ label: 'Escalated', metadata: { ticketState: 'OPEN' }, writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT' });
    const renamed = await c.crm.pipelines.pipelineStagesApi.update('tickets', '0', s.id, { label: 'Escalated to NOC', metadata: {} });
    expect(renamed).toMatchObject({ label: 'Escalated to NOC', metadata: { ticketState: 'OPEN' } });
    const replaced = await c.crm.pipelines.pipelineStagesApi.replace('tickets', '0', s.id, closed('Escalated (closed)', 4));
    expect(replaced.metadata?.ticketState).toBe('CLOSED');
    const audit = await call(sim, 'GET', `/crm/v3/pipelines/tickets/0/stages/${s.id}/audit`);
    expect(audit.body.results.map((a: { action: string }) => a.action)).toEqual(['UPDATE', 'UPDATE', 'CREATE']);
    await c.crm.pipelines.pipelineStagesApi.archive('tickets', '0', s.id);
    expect((await c.crm.pipelines.pipelineStagesApi.getAll('tickets', '0')).results.map((x) => x.id)).toEqual(['1', '2', '3', '4']);
    // A record cannot use a deleted stage.
    const e = await apiError(c.crm.tickets.basicApi.create({ properties: { subject: 'x', hs_pipeline: '0', hs_pipeline_stage: s.id }, associations: [] }));
    expect(e.body.message).toContain('INVALID_OPTION');
  });

  it('validates stage metadata and references before delete', async () => {
    const c = sdk(sim);
    expect((await apiError(c.crm.pipelines.pipelineStagesApi.create('tickets', '0', { label: 'No state', displayOrder: 9, metadata: {} }))).code).toBe(400);
    expect((await apiError(c.crm.pipelines.pipelineStagesApi.create('deals', 'default', { label: 'No probability', displayOrder: 9, metadata: {} }))).code).toBe(400);
    const deal = await c.crm.pipelines.pipelineStagesApi.create('deals', 'default', { label: 'Verbal', displayOrder: 9, metadata: { probability: '0.95' } });
    expect(deal.metadata).toMatchObject({ probability: '0.95', isClosed: 'false' });
    await c.crm.tickets.basicApi.create({ properties: { subject: 'in use', hs_pipeline: '0', hs_pipeline_stage: '2' }, associations: [] });
    const inUse = await call(sim, 'DELETE', '/crm/v3/pipelines/tickets/0/stages/2?validateReferencesBeforeDelete=true');
    expect(inUse.status).toBe(400);
  });
});

describe('association labels and limits', () => {
  it('creates, renames and deletes a label; /crm/associations/v4 spelling; deleting removes it from records', async () => {
    const c = sdk(sim);
    const defs = c.crm.associations.v4.schema.definitionsApi;
    const made = await defs.create('contacts', 'companies', { label: 'Billing contact', name: 'billing_contact', inverseLabel: 'Billed company' });
    const typeId = made.results.find((r) => r.label === 'Billing contact')!.typeId;
    await defs.update('contacts', 'companies', { associationTypeId: typeId, label: 'Invoice recipient' });
    const spelled = await call(sim, 'GET', '/crm/associations/v4/contacts/companies/labels');
    expect(spelled.body.results.find((r: { typeId: number }) => r.typeId === typeId).label).toBe('Invoice recipient');
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'l@x.example' }, associations: [] });
    const company = await c.crm.companies.basicApi.create({ properties: { name: 'L' }, associations: [] });
    await c.crm.associations.v4.basicApi.create('contacts', contact.id, 'companies', company.id, [{ associationCategory: 'USER_DEFINED', associationTypeId: typeId }, { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 }] as never);
    await defs.remove('contacts', 'companies', typeId);
    expect((await defs.getAll('contacts', 'companies')).results.some((r) => r.typeId === typeId)).toBe(false);
    const left = await c.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'companies');
    expect(left.results[0]!.associationTypes.map((t) => t.typeId)).toEqual([279]);
    // HubSpot-defined types cannot be changed.
    expect((await apiError(defs.remove('contacts', 'companies', 279))).code).toBe(400);
  });

  it('configures a per-record limit (definitions/configurations) and enforces it', async () => {
    const c = sdk(sim);
    const limits = associationLimitsApi(sim);
    const made = await limits.batchCreate('contacts', 'companies', { inputs: [{ category: 'HUBSPOT_DEFINED', typeId: 279, maxToObjectIds: 1 }] } as never);
    expect(made.results[0]).toMatchObject({ typeId: 279, userEnforcedMaxToObjectIds: 1 });
    expect((await limits.getAll()).results).toEqual([expect.objectContaining({ typeId: 279, userEnforcedMaxToObjectIds: 1 })]);
    expect((await call(sim, 'GET', '/crm/associations/v4/definitions/configurations/all')).body.results).toHaveLength(1);
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'cap@x.example' }, associations: [] });
    const [a, b] = await Promise.all(['A', 'B'].map((name) => c.crm.companies.basicApi.create({ properties: { name }, associations: [] })));
    await c.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', a!.id);
    expect((await apiError(c.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', b!.id))).code).toBe(400);
    const updated = await limits.batchUpdate('contacts', 'companies', { inputs: [{ category: 'HUBSPOT_DEFINED', typeId: 279, maxToObjectIds: 2 }] } as never);
    expect(updated.results[0]).toMatchObject({ typeId: 279, userEnforcedMaxToObjectIds: 2 });
    await c.crm.associations.v4.basicApi.createDefault('contacts', contact.id, 'companies', b!.id);
    await limits.batchRemove('contacts', 'companies', { inputs: [{ category: 'HUBSPOT_DEFINED', typeId: 279 }] });
    expect((await call(sim, 'POST', '/crm/associations/2026-03/definitions/configurations/contacts/companies/batch/purge', { inputs: [{ category: 'HUBSPOT_DEFINED', typeId: 279 }] })).status).toBe(200);
    expect((await limits.getAllBetweenTwoObjectTypes('contacts', 'companies')).results.every((r) => r.userEnforcedMaxToObjectIds === undefined)).toBe(true);
  });
});
