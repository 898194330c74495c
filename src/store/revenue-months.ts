import type { Queryable } from '../db/pool.js';

/** Per-customer revenue of closed months (migration 0100 `revenue_months`): the growth metrics' input. */

export interface RevenueMonthRow {
  customerId: string;
  month: string;
  mrrCents: number;
  usageCents: number;
}

/**
 * Replaces the chunk's rows of the month with these (customers absent from `rows` get none): a
 * re-run or recompute converges on the facts, it never adds up.
 */
export async function replaceRevenueMonths(tx: Queryable, month: string, customerIds: readonly string[], rows: readonly RevenueMonthRow[]): Promise<void> {
  await tx.query('DELETE FROM revenue_months WHERE month = $1::date AND customer_id = ANY($2::bigint[])', [`${month}-01`, [...customerIds]]);
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO revenue_months (customer_id, month, mrr, usage_revenue)
     SELECT c, $1::date, m / 100.0, u / 100.0 FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS x(c, m, u)`,
    [`${month}-01`, rows.map((r) => r.customerId), rows.map((r) => r.mrrCents), rows.map((r) => r.usageCents)],
  );
}

/** Whether month close has already closed a month after `month` (it writes every close's rows). */
export async function laterMonthClosed(db: Queryable, month: string): Promise<boolean> {
  const { rows } = await db.query<{ later: boolean }>('SELECT EXISTS (SELECT 1 FROM revenue_months WHERE month > $1::date) AS later', [`${month}-01`]);
  return rows[0]!.later;
}

/** Every row up to `toMonth` (the metrics need each customer's history to tell new from reactivated). */
export async function revenueMonthsThrough(db: Queryable, toMonth: string): Promise<RevenueMonthRow[]> {
  const { rows } = await db.query<{ customer_id: string; month: string; mrr_cents: string; usage_cents: string }>(
    `SELECT customer_id::text, to_char(month, 'YYYY-MM') AS month, (mrr * 100)::bigint AS mrr_cents, (usage_revenue * 100)::bigint AS usage_cents
     FROM revenue_months WHERE month <= $1::date ORDER BY month, customer_id`,
    [`${toMonth}-01`],
  );
  return rows.map((r) => ({ customerId: r.customer_id, month: r.month, mrrCents: Number(r.mrr_cents), usageCents: Number(r.usage_cents) }));
}

/** The first month with any usage roll-up, or null when there is none (reports refuse months before it). */
export async function firstUsageMonth(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ month: string | null }>(`SELECT to_char(min(month), 'YYYY-MM') AS month FROM usage_customer_months`);
  return rows[0]?.month ?? null;
}

/** Months already closed (at least one invoice or revenue row). */
export async function closedMonths(db: Queryable): Promise<Set<string>> {
  const { rows } = await db.query<{ month: string }>(
    `SELECT DISTINCT to_char(month, 'YYYY-MM') AS month FROM (SELECT month FROM revenue_months UNION SELECT month FROM invoices) m`,
  );
  return new Set(rows.map((r) => r.month));
}
