import type { Queryable } from '../db/pool.js';

/**
 * Invoices month close held instead of issuing (migration 0121, docs/revenue.md "Held invoices"):
 * one row per customer and month, released when a later close of the month issues the invoice.
 */

export type HoldReason = 'currency_mismatch';

export interface HeldCurrency {
  /** The month (`YYYY-MM`) the records belong to: the closed one, or an earlier one due an adjustment. */
  month: string;
  currency: string;
  records: number;
  cost: string;
}

/** "1 record in EUR (0.0575 EUR) in 2026-11, …": the ops alert's and the dashboard's wording. */
export const describeHeldCurrencies = (details: readonly HeldCurrency[]): string =>
  details.map((d) => `${d.records} record${d.records === 1 ? '' : 's'} in ${d.currency} (${d.cost} ${d.currency}) in ${d.month}`).join(', ');

export interface NewHold {
  customerId: string;
  reason: HoldReason;
  details: HeldCurrency[];
}

export interface InvoiceHold {
  month: string;
  reason: HoldReason;
  details: HeldCurrency[];
  heldAt: Date;
  checkedAt: Date;
}

/**
 * Records the month's holds (a hold found again gets its details and `checked_at` refreshed);
 * returns the customers held for the first time: their ops alert is due.
 */
export async function recordHolds(tx: Queryable, month: string, holds: readonly NewHold[]): Promise<string[]> {
  if (holds.length === 0) return [];
  const { rows } = await tx.query<{ customer_id: string; fresh: boolean }>(
    `INSERT INTO invoice_holds AS h (customer_id, month, reason, details)
     SELECT c, $1::date, r, d FROM unnest($2::bigint[], $3::text[], $4::jsonb[]) AS x(c, r, d) ORDER BY c
     ON CONFLICT (customer_id, month) DO UPDATE SET reason = excluded.reason, details = excluded.details, checked_at = now()
     WHERE h.released_at IS NULL
     RETURNING customer_id::text, (xmax = 0) AS fresh`,
    [`${month}-01`, holds.map((h) => h.customerId), holds.map((h) => h.reason), holds.map((h) => JSON.stringify(h.details))],
  );
  return rows.filter((r) => r.fresh).map((r) => r.customer_id);
}

export async function setHoldAlert(tx: Queryable, customerId: string, month: string, alertId: string): Promise<void> {
  await tx.query('UPDATE invoice_holds SET alert_id = $3 WHERE customer_id = $1 AND month = $2::date', [customerId, `${month}-01`, alertId]);
}

/** The month's invoices just issued release their customers' holds, if they had one. */
export async function releaseHolds(tx: Queryable, month: string, issued: ReadonlyArray<{ id: string; customerId: string }>): Promise<number> {
  if (issued.length === 0) return 0;
  const { rowCount } = await tx.query(
    `UPDATE invoice_holds h SET released_at = now(), invoice_id = x.id
     FROM unnest($2::bigint[], $3::bigint[]) AS x(id, c)
     WHERE h.customer_id = x.c AND h.month = $1::date AND h.released_at IS NULL`,
    [`${month}-01`, issued.map((i) => i.id), issued.map((i) => i.customerId)],
  );
  return rowCount ?? 0;
}

/** A customer's invoices still held, newest month first. */
export async function listOpenHolds(db: Queryable, customerId: string): Promise<InvoiceHold[]> {
  const { rows } = await db.query<{ month: string; reason: HoldReason; details: HeldCurrency[]; held_at: Date; checked_at: Date }>(
    `SELECT to_char(month, 'YYYY-MM') AS month, reason, details, held_at, checked_at FROM invoice_holds
     WHERE customer_id = $1 AND released_at IS NULL ORDER BY month DESC`,
    [customerId],
  );
  return rows.map((r) => ({ month: r.month, reason: r.reason, details: r.details, heldAt: r.held_at, checkedAt: r.checked_at }));
}
