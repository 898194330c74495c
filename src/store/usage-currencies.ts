import type { PoolClient, Queryable } from '../db/pool.js';

/**
 * Usage in currencies other than the billing currency (docs/usage.md "Money", docs/revenue.md
 * "Held invoices"): `usage_currency_days` (migration 0120) counts, per customer, UTC day and
 * currency, the current record versions whose cost is not in USD, and sums their cost. Ingest moves
 * it by signed contributions, like the roll-ups (+ the new version, − the corrected predecessor,
 * whose currency the version registry keeps), so a re-rated record sent again in USD takes its
 * foreign-currency record back out. Only foreign-currency records write here: USD ingest never does.
 */

/** The one currency invoices are issued in. */
export const BILLING_CURRENCY = 'USD';
const BILLING = `'${BILLING_CURRENCY}'`;
const UTC_DAY = (column: string) => `(${column} AT TIME ZONE 'UTC')::date`;

/**
 * The ingest statement's step (usage-records.ts) as one CTE, `currency_days`, over the classified
 * records `decided` (with `old_*` predecessor fields); it runs once `after` holds, last in the lock
 * order (after customers), in key order.
 */
export function currencyDaysStep(o: { decided: string; after: string }): string {
  return `currency_days AS (
    INSERT INTO usage_currency_days AS t (customer_id, day, currency, records, cost)
    SELECT customer_id, day, currency, sum(sign), sum(sign * cost) FROM (
      SELECT customer_id, ${UTC_DAY('started_at')} AS day, currency, 1 AS sign, cost
      FROM ${o.decided} WHERE outcome IN ('accepted', 'corrected') AND currency <> ${BILLING}
      UNION ALL
      SELECT old_customer_id, ${UTC_DAY('old_started_at')}, old_currency, -1, old_cost
      FROM ${o.decided} WHERE outcome = 'corrected' AND old_currency <> ${BILLING}) c
    WHERE ${o.after}
    GROUP BY 1, 2, 3 HAVING sum(sign) <> 0 OR sum(sign * cost) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (customer_id, day, currency) DO UPDATE SET records = t.records + excluded.records, cost = t.cost + excluded.cost, updated_at = now()
    RETURNING 1)`;
}

/**
 * Recompute of one UTC day (usage-recompute.ts): the day's rows again from the current versions of
 * its raw records (the registry names the version and keeps its currency). The caller holds the
 * recompute lock, so no ingest runs meanwhile.
 */
export async function recomputeCurrencyDay(tx: PoolClient, day: string): Promise<void> {
  await tx.query('DELETE FROM usage_currency_days WHERE day = $1::date', [day]);
  await tx.query(
    `INSERT INTO usage_currency_days (customer_id, day, currency, records, cost)
     SELECT customer_id, $1::date, currency, count(*), sum(cost) FROM (
       SELECT r.customer_id, v.currency, r.cost FROM usage_calls r
       JOIN usage_record_versions v ON v.kind = 'c' AND v.record_id = r.call_id AND v.version = r.version
       WHERE r.started_at >= $1::date AT TIME ZONE 'UTC' AND r.started_at < ($1::date + 1) AT TIME ZONE 'UTC' AND v.currency <> ${BILLING}
       UNION ALL
       SELECT r.customer_id, v.currency, r.cost FROM usage_messages r
       JOIN usage_record_versions v ON v.kind = 'm' AND v.record_id = r.message_id AND v.version = r.version
       WHERE r.sent_at >= $1::date AT TIME ZONE 'UTC' AND r.sent_at < ($1::date + 1) AT TIME ZONE 'UTC' AND v.currency <> ${BILLING}) x
     GROUP BY customer_id, currency ORDER BY 1, 3`,
    [day],
  );
}

export interface ForeignCurrencyUsage {
  customerId: string;
  /** `YYYY-MM`. */
  month: string;
  currency: string;
  records: number;
  /** Sum of the records' cost in that currency, as sent (decimal string). */
  cost: string;
}

/** Of the customers, the months through `throughMonth` that have usage in a currency other than USD, by currency. */
export async function foreignCurrencyMonths(db: Queryable, customerIds: readonly string[], throughMonth: string): Promise<ForeignCurrencyUsage[]> {
  const { rows } = await db.query<{ customer_id: string; month: string; currency: string; records: number; cost: string }>(
    `SELECT customer_id::text, to_char(day, 'YYYY-MM') AS month, currency, sum(records)::int AS records, sum(cost)::text AS cost
     FROM usage_currency_days
     WHERE customer_id = ANY($1::bigint[]) AND day < ($2::date + interval '1 month')
     GROUP BY 1, 2, 3 HAVING sum(records) <> 0 ORDER BY 1, 2, 3`,
    [[...customerIds], `${throughMonth}-01`],
  );
  return rows.map((r) => ({ customerId: r.customer_id, month: r.month, currency: r.currency, records: r.records, cost: r.cost }));
}
