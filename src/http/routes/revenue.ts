import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { presentMetrics } from '../../revenue/growth.js';
import { revenueReport } from '../../revenue/report.js';
import { listChurnRisk } from '../../store/churn.js';
import { listOpenHolds } from '../../store/invoice-holds.js';
import { findInvoice, type Invoice, invoiceLines, listCustomerInvoices } from '../../store/invoices.js';
import { CHURN_RISKS } from '../../domain/value-sets.js';
import { getAccount } from '../../warp/accounts.js';
import { defineRoute } from '../route.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, isoTime } from './customer-scope.js';

const money = z.string().describe('Decimal amount with two places');
const monthField = z.string().describe('YYYY-MM');

const invoiceView = z.object({
  number: z.string().describe('WARP-YYYY-NNNNNN, gapless per year'),
  ban: z.string().nullable(),
  month: monthField,
  invoiceDate: z.iso.date(),
  dueDate: z.iso.date(),
  currency: z.string(),
  recurringTotal: money,
  usageTotal: money,
  adjustmentTotal: money,
  total: money,
  issuedAt: isoTime,
  hubspot: z.object({ path: z.enum(['native', 'note']).nullable(), invoiceId: z.string().nullable(), sentAt: isoTime.nullable() }),
});
const lineView = z.object({
  lineNo: z.number().int(),
  kind: z.enum(['recurring', 'usage', 'adjustment']),
  description: z.string(),
  itemRef: z.string().nullable(),
  serviceMonth: monthField,
  quantity: z.number().int(),
  unitAmount: money,
  amount: money,
});

const heldView = z.object({
  month: monthField,
  reason: z.enum(['currency_mismatch']).describe('currency_mismatch: usage of the month (or of a month it adjusts) in a currency other than USD'),
  currencies: z.array(z.object({ month: monthField, currency: z.string(), records: z.number().int(), cost: z.string().describe('Decimal amount in that currency') })),
  heldAt: isoTime,
  checkedAt: isoTime.describe('The last month close that found it still held'),
});

const present = (i: Invoice): z.input<typeof invoiceView> => ({
  number: i.number, ban: i.ban, month: i.month, invoiceDate: i.invoiceDate, dueDate: i.dueDate, currency: i.currency,
  recurringTotal: i.recurringTotal, usageTotal: i.usageTotal, adjustmentTotal: i.adjustmentTotal, total: i.total, issuedAt: i.issuedAt.toISOString(),
  hubspot: { path: i.hubspotPath, invoiceId: i.hubspotInvoiceId, sentAt: i.hubspotSentAt?.toISOString() ?? null },
});

const movementsView = z.object({ new: money, expansion: money, contraction: money, churn: money, reactivation: money, net: money });
const metricsView = z.object({
  month: monthField, mrr: money, mrrStart: money, movements: movementsView, customers: z.number().int(), newCustomers: z.number().int(),
  churnedCustomers: z.number().int(), reactivatedCustomers: z.number().int(), customerChurnRatePct: z.number().nullable(),
  netRevenueRetentionPct: z.number().nullable(), usageRevenue: money,
});
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');

/** Invoices of a customer, the growth metrics and the churn-risk list (docs/revenue.md). */
export function revenueRoutes(pool: Pool) {
  return [
    defineRoute({
      operationId: 'listInvoices',
      method: 'GET',
      url: '/customers/:ban/invoices',
      access: 'read',
      tag: 'revenue',
      summary: 'Invoices of a customer, newest month first, and the months whose invoice is held',
      params: banParams,
      success: {
        status: 200,
        description: 'The invoices, without their lines; `held`: months month close did not invoice, with the reason (issued by a later close once corrected)',
        schema: z.object({ invoices: z.array(invoiceView), held: z.array(heldView) }),
      },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params }) => {
        const account = valueOrRefusal(await getAccount({ pool }, params.ban));
        const held = (await listOpenHolds(pool, account.id)).map((h) => ({ month: h.month, reason: h.reason, currencies: h.details, heldAt: h.heldAt.toISOString(), checkedAt: h.checkedAt.toISOString() }));
        return { invoices: (await listCustomerInvoices(pool, account.id)).map(present), held };
      },
    }),
    defineRoute({
      operationId: 'getInvoice',
      method: 'GET',
      url: '/customers/:ban/invoices/:number',
      access: 'read',
      tag: 'revenue',
      summary: 'One invoice with its lines',
      params: banParams.extend({ number: z.string().regex(/^WARP-\d{4}-\d{6}$/, 'an invoice number looks like WARP-2026-000001') }),
      success: { status: 200, description: 'The invoice and its lines', schema: invoiceView.extend({ lines: z.array(lineView) }) },
      errors: { 404: 'No customer with this BAN, or no such invoice of it' },
      handler: async ({ params }) => {
        const account = valueOrRefusal(await getAccount({ pool }, params.ban));
        const invoice = await findInvoice(pool, params.number);
        if (!invoice || invoice.customerId !== account.id) throw notFound(`Customer ${params.ban} has no invoice ${params.number}`);
        return { ...present(invoice), lines: (await invoiceLines(pool, [invoice.id])).get(invoice.id) ?? [] };
      },
    }),
    defineRoute({
      operationId: 'revenueMetrics',
      method: 'GET',
      url: '/metrics/revenue',
      access: 'read',
      tag: 'revenue',
      summary: 'Growth metrics per closed month: MRR and its movements, customer churn rate, net revenue retention, usage revenue',
      query: z.object({ from: month, to: month }).strict(),
      success: { status: 200, description: 'One entry per month of the range', schema: z.object({ months: z.array(metricsView) }) },
      handler: async ({ query }) => ({ months: (await revenueReport(pool, query.from, query.to, { nowMs: Date.now() })).map(presentMetrics) }),
    }),
    defineRoute({
      operationId: 'churnRisk',
      method: 'GET',
      url: '/metrics/churn-risk',
      access: 'read',
      tag: 'revenue',
      summary: 'Customers at churn risk from the latest monthly analysis, highest first',
      query: z.object({ risk: z.enum(CHURN_RISKS).optional() }).strict(),
      success: {
        status: 200,
        description: 'Customers with medium or high risk (or the given level) and why',
        schema: z.object({ customers: z.array(z.object({ ban: z.string(), name: z.string().nullable(), risk: z.enum(CHURN_RISKS), reasons: z.array(z.string()), usageTrendPct: z.number().nullable(), mrr: money.nullable() })) }),
      },
      handler: async ({ query }) => ({ customers: await listChurnRisk(pool, query.risk ? [query.risk] : ['high', 'medium']) }),
    }),
  ];
}
