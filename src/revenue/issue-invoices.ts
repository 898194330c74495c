import type { Pool, PoolClient } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import type { OpsAlert } from '../store/alerts.js';
import { type NewHold, releaseHolds } from '../store/invoice-holds.js';
import { type NewInvoice, existingInvoiceNumbers, insertInvoices, lockInvoiceCounter } from '../store/invoices.js';
import { enqueue } from '../store/outbox.js';
import { type RevenueMonthRow, replaceRevenueMonths } from '../store/revenue-months.js';
import { billedUsageBefore, paymentTerms, recurringItems, usageOfMonth } from '../store/revenue-facts.js';
import { BILLING_CURRENCY, type ForeignCurrencyUsage, foreignCurrencyMonths } from '../store/usage-currencies.js';
import { companyChange } from '../warp/changes.js';
import { buildInvoice, hasActivity, type InvoiceFacts, type LateUsage, mrrAtMonthEnd, type RecurringItem } from './invoice-lines.js';
import { currencyMismatch, holdInvoices } from './holds.js';
import { formatCents } from './money.js';
import { addMonths, firstDay, lastDay } from './months.js';

/**
 * Issues the invoices of a closed month for a chunk of customers, in one transaction: exactly once
 * per customer and month (the counter lock serializes issuers, customers already invoiced are left
 * out under it), numbered without gaps. docs/revenue.md "Invoices".
 */

/** Every invoice is in the billing currency; usage in another one holds the invoice (holds.ts). */
export const INVOICE_CURRENCY = BILLING_CURRENCY;
const DEFAULT_TERM_DAYS = 30;

export interface ChunkOutcome {
  issued: Array<{ id: string; number: string; customerId: string }>;
  /** Customers that already had an invoice for the month: a re-run reports these, it makes nothing new. */
  existing: Array<{ customerId: string; number: string }>;
  /** Customers whose invoice is held (docs/revenue.md "Held invoices"). */
  held: string[];
  /** Ops alerts recorded for customers held for the first time; the caller delivers them after commit. */
  alerts: OpsAlert[];
}

/** The facts of every customer of the chunk for the month. */
export async function readFacts(db: PoolClient | Pool, customerIds: readonly string[], month: string): Promise<Map<string, InvoiceFacts>> {
  // One after the other: a transaction's client runs one query at a time.
  const items = await recurringItems(db, customerIds, firstDay(month), lastDay(month));
  const usage = await usageOfMonth(db, customerIds, month);
  const late = await billedUsageBefore(db, customerIds, month);
  const facts = new Map(customerIds.map((id) => [id, {
    month, items: [] as RecurringItem[], lateUsage: [] as LateUsage[],
    usage: { spendCents: 0, minutes: 0, smsSent: 0, callsAttempted: 0, callsCompleted: 0 },
  }]));
  for (const item of items) facts.get(item.customerId)!.items.push(item);
  for (const row of usage) facts.get(row.customerId)!.usage = row;
  for (const row of late) facts.get(row.customerId)!.lateUsage.push(row);
  return facts;
}

/** MRR at the month's end and its usage revenue, for the customers that had either. */
export function revenueRows(month: string, facts: ReadonlyMap<string, InvoiceFacts>): RevenueMonthRow[] {
  const rows: RevenueMonthRow[] = [];
  for (const [customerId, f] of facts) {
    const mrrCents = mrrAtMonthEnd(f.items, month);
    if (mrrCents !== 0 || f.usage.spendCents !== 0) rows.push({ customerId, month, mrrCents, usageCents: f.usage.spendCents });
  }
  return rows;
}

/** `NET45` → 45 days; anything else the default 30. */
export function termDays(terms: string | null | undefined): number {
  const match = /^NET\s?(\d{1,3})$/i.exec(terms?.trim() ?? '');
  return match ? Number(match[1]) : DEFAULT_TERM_DAYS;
}

const addDaysIso = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The invoice date of a month's invoices: the first day after the month, whenever the close runs. */
export const invoiceDateOf = (month: string): string => firstDay(addMonths(month, 1));

export async function issueChunk(pool: Pool, month: string, customerIds: readonly string[]): Promise<ChunkOutcome> {
  const invoiceDate = invoiceDateOf(month);
  const year = Number(invoiceDate.slice(0, 4));
  return withTransaction(pool, async (tx) => {
    const lastNumber = await lockInvoiceCounter(tx, year);
    const existing = await existingInvoiceNumbers(tx, customerIds, month);
    const pending = customerIds.filter((id) => !existing.has(id));
    const facts = await readFacts(tx, customerIds, month);
    const terms = await paymentTerms(tx, pending);
    const foreign = byCustomer(await foreignCurrencyMonths(tx, pending, month));
    const invoices: NewInvoice[] = [];
    const holds: NewHold[] = [];
    for (const customerId of pending) {
      const customerFacts = facts.get(customerId)!;
      if (!hasActivity(customerFacts)) continue;
      const mismatch = currencyMismatch(customerFacts, foreign.get(customerId) ?? []);
      if (mismatch.length > 0) {
        holds.push({ customerId, reason: 'currency_mismatch', details: mismatch });
        continue;
      }
      const draft = buildInvoice(customerFacts);
      invoices.push({
        customerId,
        recurringTotal: formatCents(draft.recurringCents),
        usageTotal: formatCents(draft.usageCents),
        adjustmentTotal: formatCents(draft.adjustmentCents),
        total: formatCents(draft.totalCents),
        dueDate: addDaysIso(invoiceDate, termDays(terms.get(customerId))),
        lines: draft.lines.map((l) => ({ ...l, unitAmount: formatCents(l.unitCents), amount: formatCents(l.amountCents) })),
      });
    }
    const issued = await insertInvoices(tx, { month, invoiceDate, currency: INVOICE_CURRENCY, year, lastNumber }, invoices);
    await releaseHolds(tx, month, issued);
    const alerts = await holdInvoices(tx, month, holds);
    await recordLastInvoice(tx, issued.map((i) => i.id));
    await replaceRevenueMonths(tx, month, customerIds, revenueRows(month, facts));
    return { issued, existing: [...existing].map(([customerId, number]) => ({ customerId, number })), held: holds.map((h) => h.customerId), alerts };
  });
}

function byCustomer(rows: readonly ForeignCurrencyUsage[]): Map<string, ForeignCurrencyUsage[]> {
  const map = new Map<string, ForeignCurrencyUsage[]>();
  for (const row of rows) map.set(row.customerId, [...(map.get(row.customerId) ?? []), row]);
  return map;
}

/** warp_last_invoice_total / _date on the company, when the invoice is the customer's latest. */
async function recordLastInvoice(tx: PoolClient, invoiceIds: readonly string[]): Promise<void> {
  if (invoiceIds.length === 0) return;
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE customers c SET last_invoice_total = i.total, last_invoice_date = i.invoice_date
     FROM invoices i WHERE i.id = ANY($1::bigint[]) AND c.id = i.customer_id
       AND (c.last_invoice_date IS NULL OR c.last_invoice_date <= i.invoice_date)
     RETURNING c.id::text`,
    [[...invoiceIds]],
  );
  await enqueue(tx, rows.map((r) => companyChange(r.id, ['warp_last_invoice_total', 'warp_last_invoice_date'])));
}
