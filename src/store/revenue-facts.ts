import type { Queryable } from '../db/pool.js';

/**
 * What the revenue code reads to price a month (docs/revenue.md): the recurring items that existed
 * in it, the month's usage roll-up, and what earlier invoices charged for each earlier month. Money
 * leaves here as integer cents (numeric rounded to cents in SQL, never through floating point).
 */

export interface RecurringItemRow {
  customerId: string;
  kind: 'trunk' | 'number';
  ref: string;
  label: string;
  monthlyFeeCents: number;
  activeFrom: string;
  activeUntil: string | null;
}

export interface UsageMonthRow {
  customerId: string;
  spendCents: number;
  minutes: number;
  smsSent: number;
  callsAttempted: number;
  callsCompleted: number;
}

export interface BilledMonthRow {
  customerId: string;
  serviceMonth: string;
  billedCents: number;
  currentCents: number;
}

const UTC_DAY = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
const CENTS = (expression: string) => `(round(${expression}, 2) * 100)::bigint`;

/** Customers that may be invoiced or counted: every account with a BAN, oldest first, after `afterId`. */
export async function billableCustomerIds(db: Queryable, afterId: string | null, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM customers WHERE ban IS NOT NULL AND ($1::bigint IS NULL OR id > $1) ORDER BY id LIMIT $2',
    [afterId, limit],
  );
  return rows.map((r) => String(r.id));
}

/**
 * Trunks and numbers of the customers that existed at some time in [fromDay, toDay] (`YYYY-MM-DD`).
 * A number ends when it is deleted or released (its last update then is the release).
 */
export async function recurringItems(db: Queryable, customerIds: readonly string[], fromDay: string, toDay: string): Promise<RecurringItemRow[]> {
  const { rows } = await db.query<{ customer_id: string; kind: 'trunk' | 'number'; ref: string; label: string; fee_cents: string; active_from: string; active_until: string | null }>(
    `SELECT customer_id, 'trunk' AS kind, trunk_id AS ref, 'SIP trunk ' || name AS label, ${CENTS('monthly_fee')} AS fee_cents,
            ${UTC_DAY('created_at')} AS active_from, ${UTC_DAY('deleted_at')} AS active_until
     FROM trunks WHERE customer_id = ANY($1::bigint[])
       AND (created_at AT TIME ZONE 'UTC')::date <= $3::date AND (deleted_at IS NULL OR (deleted_at AT TIME ZONE 'UTC')::date >= $2::date)
     UNION ALL
     SELECT customer_id, 'number', number, type || ' number', ${CENTS('monthly_cost')},
            ${UTC_DAY('created_at')}, ${UTC_DAY("COALESCE(deleted_at, CASE WHEN status = 'released' THEN updated_at END)")}
     FROM numbers WHERE customer_id = ANY($1::bigint[])
       AND (created_at AT TIME ZONE 'UTC')::date <= $3::date
       AND (COALESCE(deleted_at, CASE WHEN status = 'released' THEN updated_at END) IS NULL
            OR (COALESCE(deleted_at, CASE WHEN status = 'released' THEN updated_at END) AT TIME ZONE 'UTC')::date >= $2::date)
     ORDER BY 1, 2 DESC, 3`,
    [[...customerIds], fromDay, toDay],
  );
  return rows.map((r) => ({
    customerId: String(r.customer_id), kind: r.kind, ref: r.ref, label: r.label, monthlyFeeCents: Number(r.fee_cents),
    activeFrom: r.active_from, activeUntil: r.active_until,
  }));
}

/** The customers' usage roll-up of one month (`YYYY-MM`); customers without usage are absent. */
export async function usageOfMonth(db: Queryable, customerIds: readonly string[], month: string): Promise<UsageMonthRow[]> {
  const { rows } = await db.query<{ customer_id: string; spend_cents: string; minutes: string; sms_sent: string; calls_attempted: string; calls_completed: string }>(
    `SELECT customer_id, ${CENTS('spend')} AS spend_cents, round(billable_seconds / 60.0, 1) AS minutes, sms_sent, calls_attempted, calls_completed
     FROM usage_customer_months WHERE customer_id = ANY($1::bigint[]) AND month = $2::date`,
    [[...customerIds], `${month}-01`],
  );
  return rows.map((r) => ({
    customerId: String(r.customer_id), spendCents: Number(r.spend_cents), minutes: Number(r.minutes), smsSent: Number(r.sms_sent),
    callsAttempted: Number(r.calls_attempted), callsCompleted: Number(r.calls_completed),
  }));
}

/**
 * For every earlier invoiced month of the customers whose usage roll-up changed after that month's
 * invoice was issued (late or re-rated records; an unchanged roll-up cannot differ from what was
 * charged): what invoices charged for it (usage line plus adjustments) and what the roll-up says now.
 */
export async function billedUsageBefore(db: Queryable, customerIds: readonly string[], month: string): Promise<BilledMonthRow[]> {
  const { rows } = await db.query<{ customer_id: string; service_month: string; billed_cents: string; current_cents: string }>(
    `SELECT i.customer_id, to_char(i.month, 'YYYY-MM') AS service_month, ${CENTS('um.spend')} AS current_cents,
            ${CENTS(`COALESCE((SELECT sum(l.amount) FROM invoices bi JOIN invoice_lines l ON l.invoice_id = bi.id
                               WHERE bi.customer_id = i.customer_id AND l.service_month = i.month AND l.kind IN ('usage', 'adjustment')), 0)`)} AS billed_cents
     FROM invoices i JOIN usage_customer_months um ON um.customer_id = i.customer_id AND um.month = i.month AND um.updated_at > i.issued_at
     WHERE i.customer_id = ANY($1::bigint[]) AND i.month < $2::date`,
    [[...customerIds], `${month}-01`],
  );
  return rows.map((r) => ({ customerId: String(r.customer_id), serviceMonth: r.service_month, billedCents: Number(r.billed_cents), currentCents: Number(r.current_cents) }));
}

/** Payment terms of the customers (e.g. `NET30`), for the due date. */
export async function paymentTerms(db: Queryable, customerIds: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await db.query<{ id: string; payment_terms: string | null }>('SELECT id, payment_terms FROM customers WHERE id = ANY($1::bigint[])', [[...customerIds]]);
  return new Map(rows.map((r) => [String(r.id), r.payment_terms]));
}
