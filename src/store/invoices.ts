import type { Queryable } from '../db/pool.js';

/**
 * Invoices and their lines (migration 0100): issued once per customer and month, numbered
 * gaplessly per year, never changed afterwards except for the HubSpot delivery marks. Amounts in
 * and out as decimal strings with two places (numeric(14,2)).
 */

export interface NewInvoiceLine {
  lineNo: number;
  kind: 'recurring' | 'usage' | 'adjustment';
  description: string;
  itemRef: string | null;
  serviceMonth: string;
  quantity: number;
  unitAmount: string;
  amount: string;
}

export interface NewInvoice {
  customerId: string;
  recurringTotal: string;
  usageTotal: string;
  adjustmentTotal: string;
  total: string;
  dueDate: string;
  lines: NewInvoiceLine[];
}

export interface Invoice {
  id: string;
  number: string;
  customerId: string;
  ban: string | null;
  hubspotCompanyId: string | null;
  month: string;
  invoiceDate: string;
  dueDate: string;
  currency: string;
  recurringTotal: string;
  usageTotal: string;
  adjustmentTotal: string;
  total: string;
  issuedAt: Date;
  hubspotPath: 'native' | 'note' | null;
  hubspotInvoiceId: string | null;
  hubspotDispatchedAt: Date | null;
  hubspotSentAt: Date | null;
}

export type InvoiceLineView = NewInvoiceLine;

const COLUMNS = `i.id::text, i.number, i.customer_id::text, c.ban, c.hubspot_company_id, to_char(i.month, 'YYYY-MM') AS month, i.invoice_date::text, i.due_date::text,
  i.currency, i.recurring_total::text, i.usage_total::text, i.adjustment_total::text, i.total::text, i.issued_at, i.hubspot_path,
  i.hubspot_invoice_id, i.hubspot_dispatched_at, i.hubspot_sent_at`;
const FROM = 'FROM invoices i JOIN customers c ON c.id = i.customer_id';

interface InvoiceRow {
  id: string; number: string; customer_id: string; ban: string | null; hubspot_company_id: string | null; month: string; invoice_date: string; due_date: string; currency: string;
  recurring_total: string; usage_total: string; adjustment_total: string; total: string; issued_at: Date; hubspot_path: 'native' | 'note' | null;
  hubspot_invoice_id: string | null; hubspot_dispatched_at: Date | null; hubspot_sent_at: Date | null;
}

const toInvoice = (r: InvoiceRow): Invoice => ({
  id: r.id, number: r.number, customerId: r.customer_id, ban: r.ban, hubspotCompanyId: r.hubspot_company_id, month: r.month, invoiceDate: r.invoice_date, dueDate: r.due_date,
  currency: r.currency, recurringTotal: r.recurring_total, usageTotal: r.usage_total, adjustmentTotal: r.adjustment_total, total: r.total,
  issuedAt: r.issued_at, hubspotPath: r.hubspot_path, hubspotInvoiceId: r.hubspot_invoice_id, hubspotDispatchedAt: r.hubspot_dispatched_at,
  hubspotSentAt: r.hubspot_sent_at,
});

/**
 * Locks the year's number counter for the rest of the transaction (every issuer of that year waits
 * here, so numbers are handed out in one order and a rollback returns them) and returns the last
 * number issued.
 */
export async function lockInvoiceCounter(tx: Queryable, year: number): Promise<number> {
  await tx.query('INSERT INTO invoice_number_counters (year, last_number) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING', [year]);
  const { rows } = await tx.query<{ last_number: number }>('SELECT last_number FROM invoice_number_counters WHERE year = $1 FOR UPDATE', [year]);
  return rows[0]!.last_number;
}

/** Of the customers, those that already have an invoice for the month, with its number. */
export async function existingInvoiceNumbers(db: Queryable, customerIds: readonly string[], month: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ customer_id: string; number: string }>(
    'SELECT customer_id::text, number FROM invoices WHERE customer_id = ANY($1::bigint[]) AND month = $2::date',
    [[...customerIds], `${month}-01`],
  );
  return new Map(rows.map((r) => [r.customer_id, r.number]));
}

export const invoiceNumber = (year: number, sequence: number): string => `WARP-${year}-${String(sequence).padStart(6, '0')}`;

/**
 * Inserts the invoices with numbers following `lastNumber` (the caller holds the counter lock from
 * `lockInvoiceCounter` and has left out customers already invoiced) and moves the counter on.
 */
export async function insertInvoices(
  tx: Queryable,
  header: { month: string; invoiceDate: string; currency: string; year: number; lastNumber: number },
  invoices: readonly NewInvoice[],
): Promise<Array<{ id: string; number: string; customerId: string }>> {
  if (invoices.length === 0) return [];
  const numbers = invoices.map((_, i) => invoiceNumber(header.year, header.lastNumber + i + 1));
  const { rows } = await tx.query<{ id: string; number: string; customer_id: string }>(
    `INSERT INTO invoices (number, customer_id, month, invoice_date, due_date, currency, recurring_total, usage_total, adjustment_total, total)
     SELECT n, c, $1::date, $2::date, d, $3, r, u, a, t
     FROM unnest($4::text[], $5::bigint[], $6::date[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[]) AS x(n, c, d, r, u, a, t)
     RETURNING id::text, number, customer_id::text`,
    [
      `${header.month}-01`, header.invoiceDate, header.currency, numbers, invoices.map((i) => i.customerId), invoices.map((i) => i.dueDate),
      invoices.map((i) => i.recurringTotal), invoices.map((i) => i.usageTotal), invoices.map((i) => i.adjustmentTotal), invoices.map((i) => i.total),
    ],
  );
  const idByNumber = new Map(rows.map((r) => [r.number, r.id]));
  const lines = invoices.flatMap((invoice, i) => invoice.lines.map((line) => ({ invoiceId: idByNumber.get(numbers[i]!)!, ...line })));
  await tx.query(
    `INSERT INTO invoice_lines (invoice_id, line_no, kind, description, item_ref, service_month, quantity, unit_amount, amount)
     SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::date[], $7::int[], $8::numeric[], $9::numeric[])`,
    [
      lines.map((l) => l.invoiceId), lines.map((l) => l.lineNo), lines.map((l) => l.kind), lines.map((l) => l.description), lines.map((l) => l.itemRef),
      lines.map((l) => `${l.serviceMonth}-01`), lines.map((l) => l.quantity), lines.map((l) => l.unitAmount), lines.map((l) => l.amount),
    ],
  );
  await tx.query('UPDATE invoice_number_counters SET last_number = $2 WHERE year = $1', [header.year, header.lastNumber + invoices.length]);
  return rows.map((r) => ({ id: r.id, number: r.number, customerId: r.customer_id }));
}

export async function listCustomerInvoices(db: Queryable, customerId: string): Promise<Invoice[]> {
  const { rows } = await db.query<InvoiceRow>(`SELECT ${COLUMNS} ${FROM} WHERE i.customer_id = $1 ORDER BY i.month DESC`, [customerId]);
  return rows.map(toInvoice);
}

export async function findInvoice(db: Queryable, number: string): Promise<Invoice | null> {
  const { rows } = await db.query<InvoiceRow>(`SELECT ${COLUMNS} ${FROM} WHERE i.number = $1`, [number]);
  return rows[0] ? toInvoice(rows[0]) : null;
}

export async function invoiceLines(db: Queryable, invoiceIds: readonly string[]): Promise<Map<string, InvoiceLineView[]>> {
  const { rows } = await db.query<{ invoice_id: string; line_no: number; kind: NewInvoiceLine['kind']; description: string; item_ref: string | null; service_month: string; quantity: number; unit_amount: string; amount: string }>(
    `SELECT invoice_id::text, line_no, kind, description, item_ref, to_char(service_month, 'YYYY-MM') AS service_month, quantity, unit_amount::text, amount::text
     FROM invoice_lines WHERE invoice_id = ANY($1::bigint[]) ORDER BY invoice_id, line_no`,
    [[...invoiceIds]],
  );
  const byInvoice = new Map<string, InvoiceLineView[]>();
  for (const r of rows) {
    const list = byInvoice.get(r.invoice_id) ?? [];
    list.push({ lineNo: r.line_no, kind: r.kind, description: r.description, itemRef: r.item_ref, serviceMonth: r.service_month, quantity: r.quantity, unitAmount: r.unit_amount, amount: r.amount });
    byInvoice.set(r.invoice_id, list);
  }
  return byInvoice;
}

/** Invoices of the month not yet delivered to HubSpot, oldest number first. */
export async function undeliveredInvoices(db: Queryable, month: string, limit: number): Promise<Invoice[]> {
  const { rows } = await db.query<InvoiceRow>(
    `SELECT ${COLUMNS} ${FROM} WHERE i.hubspot_sent_at IS NULL AND i.month = $1::date ORDER BY i.id LIMIT $2`,
    [`${month}-01`, limit],
  );
  return rows.map(toInvoice);
}

/** Marks invoices as being delivered by `path`, before the first HubSpot call (see the column's comment). */
export async function markInvoicesDispatched(db: Queryable, ids: readonly string[], path: 'native' | 'note'): Promise<void> {
  await db.query('UPDATE invoices SET hubspot_path = $2, hubspot_dispatched_at = COALESCE(hubspot_dispatched_at, now()) WHERE id = ANY($1::bigint[])', [[...ids], path]);
}

export async function recordHubspotInvoiceIds(db: Queryable, pairs: ReadonlyArray<{ id: string; hubspotId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `UPDATE invoices i SET hubspot_invoice_id = p.hubspot_id FROM unnest($1::bigint[], $2::text[]) AS p(id, hubspot_id) WHERE i.id = p.id`,
    [pairs.map((p) => p.id), pairs.map((p) => p.hubspotId)],
  );
}

export async function markInvoicesSent(db: Queryable, ids: readonly string[]): Promise<void> {
  await db.query('UPDATE invoices SET hubspot_sent_at = now() WHERE id = ANY($1::bigint[]) AND hubspot_sent_at IS NULL', [[...ids]]);
}
