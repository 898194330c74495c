import { createServer, type Server } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/lib/logger.js';
import { closeMonth } from '../../src/revenue/month-close.js';
import { addMonths, monthOf } from '../../src/revenue/months.js';
import { deliverAlert } from '../../src/sync/outbound/ops-alerts.js';
import { deliverInvoices } from '../../src/sync/revenue/deliver-invoices.js';
import { type OutboundFixture, startOutboundFixture } from '../outbound/support.js';
import { trunkFrom } from './fixtures.js';

const logger = createLogger({ level: 'silent' });

/**
 * A customer whose month has usage in another currency than USD (docs/revenue.md "Held invoices"):
 * no invoice, the hold visible in the API with its reason, one ops alert (recorded and posted),
 * the other customers issued and sent to HubSpot; once the records are re-rated in USD, a close of
 * the month issues it with the next number (gapless).
 */
describe('month close holds an invoice with a currency mismatch', () => {
  let f: OutboundFixture;
  let hook: Server;
  const hookBodies: string[] = [];
  const month = addMonths(monthOf(Date.now()), -1);
  const customers: Record<'usd' | 'mixed' | 'other', { id: string; ban: string; trunkId: string }> = {} as never;
  let sink: Parameters<typeof deliverAlert>[0];

  const callRecord = (trunkId: string, callId: string, day: string, cost: string, currency?: string, version = 1) => ({
    callId, trunkId, direction: 'outbound', startedAt: `${month}-${day}T10:00:00Z`, answeredAt: `${month}-${day}T10:00:05Z`, endedAt: `${month}-${day}T10:02:05Z`,
    billableSeconds: 120, sipCode: 200, cost, version, ...(currency ? { currency } : {}),
  });
  const close = () => closeMonth(f.db.pool, month, { nowMs: Date.now(), deliverAlert: (alert) => deliverAlert(sink, alert) });

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        hookBodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    sink = { db: null as never, logger, webhookUrl: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`, webhookTimeoutMs: 5_000 };
    f = await startOutboundFixture({ env: { USAGE_RAW_RETENTION_DAYS: '400' } });
    sink.db = f.db.pool;
    for (const name of ['usd', 'mixed', 'other'] as const) {
      const customer = await f.createCustomer(`Currency ${name}`);
      customers[name] = { ...customer, trunkId: await trunkFrom(f.db.pool, customer.id, name, '10.00', `${month}-01`) };
    }
    const first = await f.api.call('ingestCalls', {
      body: {
        records: [
          callRecord(customers.usd.trunkId, 'usd-1', '05', '1.0000', 'USD'),
          callRecord(customers.mixed.trunkId, 'mixed-1', '05', '2.0000'),
          callRecord(customers.mixed.trunkId, 'mixed-2', '06', '3.1000', 'EUR'),
          callRecord(customers.other.trunkId, 'other-1', '07', '0.5000'),
        ],
      },
    });
    expect(first).toMatchObject({ accepted: 4, rejected: [] });
  });
  afterAll(async () => {
    await f?.close();
    await new Promise((resolve) => hook?.close(resolve));
  });

  it('refuses a currency that is not ISO 4217, and accepts any that is', async () => {
    const refused = await f.api.refusal('ingestCalls', {
      body: { records: [callRecord(customers.usd.trunkId, 'bad-1', '08', '1.00', 'XYZ'), callRecord(customers.usd.trunkId, 'bad-2', '08', '1.00', 'usd')] },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused).match(/unsupported_currency/g)).toHaveLength(2);
    const accepted = await f.api.call('ingestCalls', { body: { records: [callRecord(customers.usd.trunkId, 'jpy-1', '08', '0', 'JPY', 1)] } });
    expect(accepted).toMatchObject({ accepted: 1 });
    // Corrected straight back to USD: the JPY record is taken back out and holds nothing.
    expect(await f.api.call('ingestCalls', { body: { records: [callRecord(customers.usd.trunkId, 'jpy-1', '08', '0', 'USD', 2)] } })).toMatchObject({ corrected: 1 });
  });

  it('holds the mixed customer with the reason and an alert, and issues the others without a gap', async () => {
    const closed = await close();
    // Numbered by the year of the invoice date, the first day after the month.
    expect(closed).toMatchObject({ invoicesIssued: 2, invoicesHeld: 1, firstNumber: `WARP-${monthOf(Date.now()).slice(0, 4)}-000001` });
    expect(closed.lastNumber).toMatch(/-000002$/);
    const mixed = await f.api.call('listInvoices', { params: { ban: customers.mixed.ban } });
    expect(mixed.invoices).toEqual([]);
    expect(mixed.held).toEqual([expect.objectContaining({ month, reason: 'currency_mismatch', currencies: [{ month, currency: 'EUR', records: 1, cost: '3.1000' }] })]);
    expect((await f.api.call('listInvoices', { params: { ban: customers.usd.ban } })).held).toEqual([]);
    const alerts = await f.db.pool.query<{ kind: string; message: string; delivered_at: Date | null }>(`SELECT kind, message, delivered_at FROM ops_alerts WHERE kind = 'invoice_held'`);
    expect(alerts.rows).toHaveLength(1);
    expect(alerts.rows[0]!.message).toContain(`BAN ${customers.mixed.ban} for ${month} held (currency_mismatch): 1 record in EUR (3.1000 EUR)`);
    expect(alerts.rows[0]!.delivered_at).not.toBeNull();
    expect(hookBodies.filter((p) => p.includes('currency_mismatch'))).toHaveLength(1);
    const sent = await deliverInvoices({ pool: f.db.pool, gateway: f.service.hubspot.gateway, logger }, month);
    expect(sent).toMatchObject({ nativeInvoices: 2, deferred: 0 });
  });

  it('a re-run before the data is corrected keeps the hold, alerts nothing again and issues nothing', async () => {
    expect(await close()).toMatchObject({ invoicesIssued: 0, invoicesExisting: 2, invoicesHeld: 1 });
    expect((await f.db.pool.query(`SELECT count(*)::int AS n FROM ops_alerts WHERE kind = 'invoice_held'`)).rows[0]).toEqual({ n: 1 });
  });

  it('issues the invoice with the next number once the record is re-rated in USD, and sends it', async () => {
    const corrected = await f.api.call('ingestCalls', { body: { records: [callRecord(customers.mixed.trunkId, 'mixed-2', '06', '3.3000', 'USD', 2)] } });
    expect(corrected).toMatchObject({ corrected: 1 });
    const closed = await close();
    expect(closed).toMatchObject({ invoicesIssued: 1, invoicesExisting: 2, invoicesHeld: 0 });
    expect(closed.firstNumber).toMatch(/-000003$/);
    const mixed = await f.api.call('listInvoices', { params: { ban: customers.mixed.ban } });
    expect(mixed.held).toEqual([]);
    expect(mixed.invoices).toEqual([expect.objectContaining({ month, usageTotal: '5.30', currency: 'USD' })]);
    const numbers = (await f.db.pool.query<{ number: string }>('SELECT number FROM invoices ORDER BY number')).rows.map((r) => r.number.slice(-6));
    expect(numbers).toEqual(['000001', '000002', '000003']);
    const hold = await f.db.pool.query<{ released: boolean; invoice: string }>(
      `SELECT released_at IS NOT NULL AS released, i.number AS invoice FROM invoice_holds h JOIN invoices i ON i.id = h.invoice_id WHERE h.customer_id = $1`, [customers.mixed.id]);
    expect(hold.rows).toEqual([{ released: true, invoice: mixed.invoices[0]!.number }]);
    expect(await deliverInvoices({ pool: f.db.pool, gateway: f.service.hubspot.gateway, logger }, month)).toMatchObject({ nativeInvoices: 1 });
  });

  it('holds the next invoice when a late foreign-currency record would become its adjustment', async () => {
    const late = await f.api.call('ingestCalls', { body: { records: [callRecord(customers.other.trunkId, 'other-late', '20', '0.7000', 'GBP')] } });
    expect(late).toMatchObject({ accepted: 1 });
    // The month after: only the adjustment of `month` is in GBP, so `other` is held, `usd` issued.
    const next = addMonths(month, 1);
    const closed = await closeMonth(f.db.pool, next, { nowMs: Date.parse(`${addMonths(next, 1)}-02T00:00:00Z`), deliverAlert: (alert) => deliverAlert(sink, alert) });
    expect(closed).toMatchObject({ invoicesHeld: 1 });
    const other = await f.api.call('listInvoices', { params: { ban: customers.other.ban } });
    expect(other.held).toEqual([expect.objectContaining({ month: next, reason: 'currency_mismatch', currencies: [{ month, currency: 'GBP', records: 1, cost: '0.7000' }] })]);
  });
});
