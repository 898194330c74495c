import type { Queryable } from '../db/pool.js';
import { ADDITIVE_FIGURES, type AdditiveFigure } from './usage-figures.js';

/** Reads of the usage roll-ups for the usage API. Periods without a row are absent here. */

export type FigureRow = Record<Exclude<AdditiveFigure, 'spend'>, number> & { spend: string };

export interface PeriodRow extends FigureRow {
  period: string;
  peakActiveCalls?: number | null;
}

// bigint sums come back as text; spend stays a decimal string (never a float).
const SELECT_FIGURES = ADDITIVE_FIGURES.map((f) => (f === 'spend' ? 'sum(spend)::text AS spend' : `sum(${f})::float8 AS ${f}`)).join(', ');

const toRow = (row: Record<string, unknown>): PeriodRow => row as unknown as PeriodRow;

export async function customerUsageByDay(db: Queryable, customerId: string, from: string, to: string): Promise<PeriodRow[]> {
  const { rows } = await db.query(
    `SELECT to_char(day, 'YYYY-MM-DD') AS period, ${SELECT_FIGURES} FROM usage_customer_days
     WHERE customer_id = $1 AND day BETWEEN $2 AND $3 GROUP BY day ORDER BY day`,
    [customerId, from, to],
  );
  return rows.map(toRow);
}

/** Months overlapping `from`…`to`, each whole (a month figure is the month's). */
export async function customerUsageByMonth(db: Queryable, customerId: string, from: string, to: string): Promise<PeriodRow[]> {
  const { rows } = await db.query(
    `SELECT to_char(month, 'YYYY-MM') AS period, ${SELECT_FIGURES} FROM usage_customer_months
     WHERE customer_id = $1 AND month BETWEEN date_trunc('month', $2::date) AND $3 GROUP BY month ORDER BY month`,
    [customerId, from, to],
  );
  return rows.map(toRow);
}

/** Trunk figures per UTC hour or day of `from`…`to` (days summed from hours; the peak is the highest). */
export async function trunkUsage(db: Queryable, trunkRowId: string, from: string, to: string, granularity: 'hour' | 'day'): Promise<PeriodRow[]> {
  const period =
    granularity === 'hour' ? `to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"')` : `to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const { rows } = await db.query(
    `SELECT ${period} AS period, ${SELECT_FIGURES}, max(peak_active_calls) AS "peakActiveCalls" FROM usage_trunk_hours
     WHERE trunk_id = $1 AND hour >= $2::date::timestamp AT TIME ZONE 'UTC' AND hour < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
     GROUP BY 1 ORDER BY 1`,
    [trunkRowId, from, to],
  );
  return rows.map(toRow);
}

/** Live trunks of customers that have a BAN (optionally only these BANs): what demo data is made for. */
export async function listBilledTrunks(db: Queryable, bans: readonly string[] = []): Promise<Array<{ trunkId: string; ban: string; concurrentCalls: number }>> {
  const { rows } = await db.query<{ trunk_id: string; ban: string; concurrent_calls: number }>(
    `SELECT t.trunk_id, c.ban, t.concurrent_calls FROM trunks t JOIN customers c ON c.id = t.customer_id
     WHERE t.deleted_at IS NULL AND c.deleted_at IS NULL AND c.ban IS NOT NULL AND (cardinality($1::text[]) = 0 OR c.ban = ANY($1::text[]))
     ORDER BY c.ban, t.id`,
    [[...bans]],
  );
  return rows.map((r) => ({ trunkId: r.trunk_id, ban: r.ban, concurrentCalls: r.concurrent_calls }));
}
