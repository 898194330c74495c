import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { closeMonth } from '../../src/revenue/month-close.js';
import { monthOf, addMonths } from '../../src/revenue/months.js';
import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody } from '../outbound/support.js';
import { runTs } from '../support/process.js';
import { call, usageDeps } from './fixtures.js';

/** The public revenue contract: trunk fees, invoices, growth metrics and churn risk over HTTP; `report revenue`. */
describe('revenue over the API and the CLI', () => {
  let f: OutboundFixture;
  let ban: string;
  const lastMonth = addMonths(monthOf(Date.now()), -1);
  beforeAll(async () => {
    f = await startOutboundFixture();
    const customer = await f.createCustomer('Revenue API Co');
    ban = customer.ban;
    const trunk = await f.api.call('createTrunk', { params: { ban }, body: trunkBody({ monthlyFee: '49.90' }) });
    expect(trunk.monthlyFee).toBe('49.90');
    // As if the trunk had existed since the start of last month.
    await f.db.pool.query(`UPDATE trunks SET created_at = $1::timestamptz WHERE trunk_id = $2`, [`${lastMonth}-01T00:00:00Z`, trunk.trunkId]);
    await call(usageDeps(f.db.pool), trunk.trunkId, 'api-1', `${lastMonth}-12T10:00:00Z`, '3.5000');
    await closeMonth(f.db.pool, lastMonth, { nowMs: Date.now() });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('lists the invoices of a customer and shows one with its lines', async () => {
    const { invoices } = await f.api.call('listInvoices', { params: { ban } });
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ month: lastMonth, recurringTotal: '49.90', usageTotal: '3.50', total: '53.40', currency: 'USD' });
    const invoice = await f.api.call('getInvoice', { params: { ban, number: invoices[0]!.number } });
    expect(invoice.lines.map((l) => [l.kind, l.amount])).toEqual([['recurring', '49.90'], ['usage', '3.50']]);
    expect(await f.api.refusal('getInvoice', { params: { ban, number: 'WARP-1999-000001' } })).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('sends the last invoice total and date to the company', async () => {
    await outboxDrained(f.db);
    const [company] = await f.records('companies', ['warp_last_invoice_total', 'warp_last_invoice_date', 'warp_churn_risk']);
    expect(company!.properties).toMatchObject({ warp_last_invoice_total: '53.40', warp_last_invoice_date: `${monthOf(Date.now())}-01` });
  });

  it('answers the growth metrics of closed months and refuses bad ranges with 400', async () => {
    const { months } = await f.api.call('revenueMetrics', { query: { from: lastMonth, to: lastMonth } });
    expect(months[0]).toMatchObject({ month: lastMonth, mrr: '49.90', movements: { new: '49.90' }, customers: 1, usageRevenue: '3.50' });
    expect(await f.api.refusal('revenueMetrics', { query: { from: lastMonth, to: addMonths(lastMonth, -1) } })).toMatchObject({ status: 400, code: 'invalid_range' });
    expect(await f.api.refusal('revenueMetrics', { query: { from: lastMonth, to: monthOf(Date.now()) } })).toMatchObject({ status: 400, code: 'month_not_closed' });
    expect(await f.api.refusal('revenueMetrics', { query: { from: addMonths(lastMonth, -3), to: lastMonth } })).toMatchObject({ status: 400, code: 'before_usage' });
  });

  it('lists customers at churn risk with their reasons', async () => {
    const { customers } = await f.api.call('churnRisk', { query: {} });
    expect(customers).toEqual([expect.objectContaining({ ban, risk: 'medium', reasons: ['no_recent_usage'] })]);
  });

  it('prints the revenue report as a table or JSON, and exits 2 on a bad range', async () => {
    const env = { DATABASE_URL: f.db.url, LOG_LEVEL: 'warn' };
    const table = await runTs('src/cli/main.ts', ['report', 'revenue', '--from', lastMonth, '--to', lastMonth], env, 60_000);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^month\s+MRR\s+new\s+expansion/);
    expect(table.stdout).toContain('49.90');
    const json = await runTs('src/cli/main.ts', ['report', 'revenue', '--from', lastMonth, '--to', lastMonth, '--json'], env, 60_000);
    expect((JSON.parse(json.stdout) as { months: Array<{ mrr: string }> }).months[0]!.mrr).toBe('49.90');
    const bad = await runTs('src/cli/main.ts', ['report', 'revenue', '--from', lastMonth, '--to', addMonths(lastMonth, -1)], env, 60_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"from" is after "to"');
  });
});
