import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeMonth } from '../../src/revenue/month-close.js';
import { presentMetrics } from '../../src/revenue/growth.js';
import { revenueReport } from '../../src/revenue/report.js';
import { findInvoice, invoiceLines, listCustomerInvoices } from '../../src/store/invoices.js';
import { deliverInvoices } from '../../src/sync/revenue/deliver-invoices.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, startGatewayFixture } from '../support/hubspot.js';
import { call, numberFrom, revenueCustomer, trunkFrom, usageDeps } from './fixtures.js';

const logger = createLogger({ level: 'silent' });
const NOV_2 = Date.parse('2026-11-02T00:00:00Z');
const DEC_2 = Date.parse('2026-12-02T00:00:00Z');

describe('month close: one customer end to end, native invoices in HubSpot', () => {
  let db: TestDatabase;
  let hub: GatewayFixture;
  let acme: { id: string; ban: string; companyId: string | null };
  let firstCall: { trunkId: string };
  beforeAll(async () => {
    db = await createTestDatabase();
    hub = await startGatewayFixture(db);
    acme = await revenueCustomer(db.pool, hub.gateway(), 'Acme Telecom');
    await revenueCustomer(db.pool, hub.gateway(), 'Quiet Co'); // no trunk, no number, no usage: no invoice
    const main = await trunkFrom(db.pool, acme.id, 'Main', '50.00', '2026-09-20');
    await trunkFrom(db.pool, acme.id, 'Berlin', '30.00', '2026-10-16');
    for (let i = 0; i < 3; i++) await numberFrom(db.pool, acme.id, 'local', '1.00', '2026-10-01');
    await numberFrom(db.pool, acme.id, 'tollfree', '2.50', '2026-09-01', '2026-10-10');
    const deps = usageDeps(db.pool);
    await call(deps, main, 'oct-1', '2026-10-05T10:00:00Z', '1.2345');
    await call(deps, main, 'oct-2', '2026-10-28T10:00:00Z', '0.5000');
    firstCall = { trunkId: main };
  });
  afterAll(async () => {
    await hub?.close();
    await db?.drop();
  });

  it('issues one invoice with prorated recurring lines, a usage line and exact totals, once whatever the concurrency', async () => {
    const [a, b] = await Promise.all([closeMonth(db.pool, '2026-10', { nowMs: NOV_2 }), closeMonth(db.pool, '2026-10', { nowMs: NOV_2 })]);
    expect(a.invoicesIssued + b.invoicesIssued).toBe(1);
    const [invoice] = await listCustomerInvoices(db.pool, acme.id);
    expect(invoice).toMatchObject({
      number: 'WARP-2026-000001', month: '2026-10', invoiceDate: '2026-11-01', dueDate: '2026-11-16', currency: 'USD',
      recurringTotal: '69.29', usageTotal: '1.73', adjustmentTotal: '0.00', total: '71.02',
    });
    const lines = (await invoiceLines(db.pool, [invoice!.id])).get(invoice!.id)!;
    expect(lines.map((l) => [l.kind, l.quantity, l.unitAmount, l.amount])).toEqual([
      ['recurring', 1, '15.48', '15.48'], // Berlin: 16 of 31 days of 30.00
      ['recurring', 1, '50.00', '50.00'], // Main: the full month
      ['recurring', 3, '1.00', '3.00'], // three local numbers, one line
      ['recurring', 1, '0.81', '0.81'], // toll-free until its release on the 10th: 10 of 31 days of 2.50
      ['usage', 1, '1.73', '1.73'], // 1.2345 + 0.5 = 1.7345
    ]);
    expect(lines[0]!.description).toBe(`SIP trunk Berlin (${lines[0]!.itemRef}), 16 of 31 days at 30.00/month`);
  });

  it('re-running the month makes nothing new and reports the existing invoice', async () => {
    const again = await closeMonth(db.pool, '2026-10', { nowMs: NOV_2 });
    expect(again).toMatchObject({ invoicesIssued: 0, invoicesExisting: 1, customers: 2 });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM invoices')).rows[0]).toEqual({ n: 1 });
  });

  it('refuses a month that has not ended', async () => {
    await expect(closeMonth(db.pool, '2026-11', { nowMs: Date.parse('2026-11-30T23:00:00Z') })).rejects.toMatchObject({ code: 'month_not_closed' });
  });

  it('sends the invoice to HubSpot as a native invoice with its line items, associated with the company, once', async () => {
    const sent = await deliverInvoices({ pool: db.pool, gateway: hub.gateway(), logger }, '2026-10');
    expect(sent).toMatchObject({ nativeInvoices: 1, lineItems: 5, notes: 0, deferred: 0 });
    expect(await deliverInvoices({ pool: db.pool, gateway: hub.gateway(), logger }, '2026-10')).toMatchObject({ nativeInvoices: 0, lineItems: 0 });
    const invoice = (await findInvoice(db.pool, 'WARP-2026-000001'))!;
    expect(invoice.hubspotPath).toBe('native');
    const read = await hub.gateway().getObject('invoices', invoice.hubspotInvoiceId!, { properties: ['hs_title', 'hs_currency', 'hs_invoice_date', 'hs_due_date'], associations: ['companies', 'line_items'] });
    expect(read.properties).toMatchObject({ hs_title: 'WARP-2026-000001', hs_currency: 'USD', hs_invoice_date: '2026-11-01T00:00:00.000Z', hs_due_date: '2026-11-16T00:00:00.000Z' });
    expect(read.associations?.companies?.results.map((r) => r.id)).toEqual([acme.companyId]);
    const lineIds = read.associations?.line_items?.results.map((r) => r.id) ?? [];
    const items = await hub.gateway().batchRead('line_items', lineIds, { properties: ['amount', 'quantity', 'price'] });
    const cents = items.results.map((r) => Math.round(Number(r.properties.amount) * 100)).reduce((x, y) => x + y, 0);
    expect(cents).toBe(7102);
  });

  it('turns a late re-rated October call into an adjustment line on the November invoice', async () => {
    const deps = usageDeps(db.pool);
    await call(deps, firstCall.trunkId, 'oct-1', '2026-10-05T10:00:00Z', '2.2345', 2); // re-rated: +1.00
    await call(deps, firstCall.trunkId, 'nov-1', '2026-11-03T10:00:00Z', '0.4000');
    const closed = await closeMonth(db.pool, '2026-11', { nowMs: DEC_2 });
    expect(closed.invoicesIssued).toBe(1);
    const invoice = (await findInvoice(db.pool, 'WARP-2026-000002'))!;
    expect(invoice).toMatchObject({ month: '2026-11', recurringTotal: '83.00', usageTotal: '0.40', adjustmentTotal: '1.00', total: '84.40' });
    const lines = (await invoiceLines(db.pool, [invoice.id])).get(invoice.id)!;
    expect(lines.at(-1)).toMatchObject({ kind: 'adjustment', serviceMonth: '2026-10', amount: '1.00' });
    // October's invoice is unchanged; a second close of November adjusts nothing twice.
    expect((await findInvoice(db.pool, 'WARP-2026-000001'))!.total).toBe('71.02');
    expect((await closeMonth(db.pool, '2026-11', { nowMs: DEC_2 })).invoicesIssued).toBe(0);
  });

  it("re-closing October after November leaves November's churn figures on the customer", async () => {
    const churnOf = async () => (await db.pool.query<{ trend: string | null; churn_risk: string; churn_reasons: string | null }>('SELECT usage_trend_pct::text AS trend, churn_risk, churn_reasons FROM customers WHERE id = $1', [acme.id])).rows[0];
    const november = await churnOf();
    expect(november).toMatchObject({ trend: '-85.3' }); // 0.40 against October's 2.73
    expect(november?.churn_reasons).toContain('usage_falling');
    const again = await closeMonth(db.pool, '2026-10', { nowMs: DEC_2 });
    expect(again).toMatchObject({ invoicesIssued: 0, invoicesExisting: 1, churnChanged: 0 });
    expect(await churnOf()).toEqual(november);
  });

  it('reports growth: expansion in October, none in November, usage revenue beside MRR', async () => {
    const months = (await revenueReport(db.pool, '2026-10', '2026-11', { nowMs: DEC_2, recompute: true })).map(presentMetrics);
    // September's end: Main 50.00 + the toll-free number 2.50; October's: Main, Berlin, three local numbers.
    expect(months.map((m) => [m.month, m.mrrStart, m.mrr, m.movements.expansion, m.movements.churn, m.customers, m.usageRevenue])).toEqual([
      ['2026-10', '52.50', '83.00', '30.50', '0.00', 1, '2.73'],
      ['2026-11', '83.00', '83.00', '0.00', '0.00', 1, '0.40'],
    ]);
    await expect(revenueReport(db.pool, '2026-11', '2026-10', { nowMs: DEC_2 })).rejects.toMatchObject({ code: 'invalid_range' });
    await expect(revenueReport(db.pool, '2026-08', '2026-10', { nowMs: DEC_2 })).rejects.toMatchObject({ code: 'before_usage' });
    await expect(revenueReport(db.pool, '2026-10', '2026-12', { nowMs: DEC_2 })).rejects.toMatchObject({ code: 'month_not_closed' });
  });
});

describe('month close on a portal without invoices', () => {
  let db: TestDatabase;
  let hub: GatewayFixture;
  beforeAll(async () => {
    db = await createTestDatabase();
    hub = await startGatewayFixture(db, { invoicesEnabled: false });
  });
  afterAll(async () => {
    await hub?.close();
    await db?.drop();
  });

  it('queues the Invoice generated note and the last-invoice company properties instead', async () => {
    const customer = await revenueCustomer(db.pool, hub.gateway(), 'Note Co');
    await trunkFrom(db.pool, customer.id, 'Only', '20.00', '2026-10-01');
    await closeMonth(db.pool, '2026-10', { nowMs: NOV_2 });
    expect(await deliverInvoices({ pool: db.pool, gateway: hub.gateway(), logger }, '2026-10')).toMatchObject({ nativeInvoices: 0, notes: 1 });
    const events = await db.pool.query<{ kind: string; fields: Record<string, unknown> }>('SELECT kind, fields FROM account_events WHERE customer_id = $1', [customer.id]);
    expect(events.rows.map((e) => e.kind)).toEqual(['invoice_generated']);
    expect(events.rows[0]!.fields).toMatchObject({ invoice_number: 'WARP-2026-000001', total: '20.00', currency: 'USD' });
    const outbox = await db.pool.query<{ object_type: string; fields: string[] }>('SELECT object_type, fields FROM outbox ORDER BY object_type');
    expect(outbox.rows).toEqual([
      { object_type: 'company', fields: ['warp_churn_reasons', 'warp_churn_risk', 'warp_last_invoice_date', 'warp_last_invoice_total', 'warp_usage_trend_pct'] },
      { object_type: 'event', fields: [] },
    ]);
  });
});
