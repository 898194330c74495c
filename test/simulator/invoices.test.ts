/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   Tests assert on raw HubSpot JSON bodies (ApiException.body), which are untyped by nature. */
/** Native invoices (0-53) and line items (0-8) for the revenue flow (issue 13), and portals without invoices. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../src/simulator/server.js';
import { apiError, sdk, startTestSim } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => { sim = await startTestSim({ burstLimit: 10_000 }); });
afterAll(async () => { await sim.close(); });
beforeEach(() => { sim.reset(); });

const spec = (id: number) => [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: id }] as never;

describe('invoices and line items', () => {
  it('creates a draft (hs_currency required), batch-creates line items, associates, opens, reads and searches', async () => {
    const c = sdk(sim);
    const invoices = c.crm.commerce.invoices;
    const missing = await apiError(invoices.basicApi.create({ properties: { hs_title: 'no currency' }, associations: [] }));
    expect(missing.code).toBe(400);
    expect(missing.body.context).toEqual({ properties: ['hs_currency'] });
    expect((await apiError(invoices.basicApi.create({ properties: { hs_currency: 'XXX' }, associations: [] }))).body.message).toContain('INVALID_OPTION');

    const company = await c.crm.companies.basicApi.create({ properties: { name: 'Acme', domain: 'acme.example' }, associations: [] });
    const contact = await c.crm.contacts.basicApi.create({ properties: { email: 'billing@acme.example' }, associations: [] });
    const draft = await invoices.basicApi.create({ properties: { hs_currency: 'EUR', hs_title: 'WARP-2026-000001', hs_invoice_date: '2026-11-01T00:00:00Z' }, associations: [] });
    expect(draft.properties).toMatchObject({ hs_currency: 'EUR', hs_invoice_status: 'draft', hs_invoice_date: '2026-11-01T00:00:00.000Z', hs_due_date: '2026-12-01T00:00:00.000Z' });

    const lines = await c.crm.lineItems.batchApi.create({
      inputs: [
        { properties: { name: 'SIP trunk (30 days)', price: '49.50', quantity: '2', hs_line_item_currency_code: 'EUR' }, associations: [{ to: { id: draft.id }, types: spec(410) }] },
        { properties: { name: 'Voice minutes', price: '0.0125', quantity: '10000', hs_line_item_currency_code: 'EUR' }, associations: [{ to: { id: draft.id }, types: spec(410) }] },
      ] as never,
    });
    expect(lines.results.map((l) => l.properties.amount).sort()).toEqual(['125', '99']);
    expect((await apiError(invoices.basicApi.update(draft.id, { properties: { hs_invoice_status: 'open' } }))).body.message).toContain('contact and at least one line item');
    await c.crm.associations.v4.basicApi.create('invoices', draft.id, 'companies', company.id, spec(179));
    await c.crm.associations.v4.basicApi.create('invoices', draft.id, 'contacts', contact.id, spec(177));
    const opened = await invoices.basicApi.update(draft.id, { properties: { hs_invoice_status: 'open' } });
    expect(opened.properties).toMatchObject({ hs_invoice_status: 'open', hs_amount_billed: '224', hs_balance_due: '224', hs_number: `INV-${draft.id}` });

    const read = await invoices.basicApi.getById(draft.id, ['hs_title', 'hs_amount_billed'], undefined, ['companies', 'line_items']);
    expect(read.properties.hs_title).toBe('WARP-2026-000001');
    expect(read.associations?.companies?.results.map((r) => r.id)).toEqual([company.id]);
    expect(read.associations?.line_items?.results).toHaveLength(2);
    const labels = await c.crm.associations.v4.schema.definitionsApi.getAll('invoices', 'companies');
    expect(labels.results.map((l) => l.typeId)).toEqual([179]);
    const found = await invoices.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'hs_invoice_status', operator: 'EQ' as never, value: 'open' }] }], sorts: [], properties: ['hs_title'], limit: 10, after: '0' });
    expect(found.results.map((r) => r.id)).toEqual([draft.id]);
    const batch = await invoices.batchApi.create({ inputs: [{ properties: { hs_currency: 'USD' }, associations: [{ to: { id: company.id }, types: spec(179) }] }] as never });
    expect(batch.results[0]?.properties.hs_invoice_status).toBe('draft');
  });
});

describe('a portal without invoices', () => {
  it('answers 403 MISSING_SCOPES on every invoice endpoint, so provisioning can tell it from a portal with them', async () => {
    const without = await startTestSim({ invoicesEnabled: false });
    try {
      const c = sdk(without);
      const props = await apiError(c.crm.properties.coreApi.getAll('invoices'));
      expect(props.code).toBe(403);
      expect(props.body).toMatchObject({ category: 'MISSING_SCOPES' });
      expect(props.body.errors[0].context.requiredGranularScopes).toEqual(['crm.objects.invoices.read', 'crm.objects.invoices.write']);
      expect((await apiError(c.crm.commerce.invoices.basicApi.create({ properties: { hs_currency: 'EUR' }, associations: [] }))).code).toBe(403);
      expect((await apiError(c.crm.associations.v4.schema.definitionsApi.getAll('invoices', 'companies'))).code).toBe(403);
      // Line items stay available (the note path does not need them, but the portal has them).
      expect((await c.crm.properties.coreApi.getAll('line_items')).results.length).toBeGreaterThan(0);
    } finally {
      await without.close();
    }
    expect((await sdk(sim).crm.properties.coreApi.getAll('invoices')).results.some((p) => p.name === 'hs_currency')).toBe(true);
  });

  it('a token without the invoice scopes gets the same 403', async () => {
    const scoped = await startTestSim({ tokens: { 'pat-no-invoices': { kind: 'private', scopes: ['crm.objects.companies.read'] } } });
    try {
      const e = await apiError(sdk(scoped, 'pat-no-invoices').crm.commerce.invoices.basicApi.getPage());
      expect(e.code).toBe(403);
      expect(e.body.errors[0].context.requiredGranularScopes).toEqual(['crm.objects.invoices.read']);
    } finally {
      await scoped.close();
    }
  });
});
