import type { PoolClient, Queryable } from '../db/pool.js';
import { addedFigures, allZero, FIGURE_LIST, summedColumns, summedFigures } from './usage-figures.js';

/**
 * Incremental roll-ups (docs/usage.md "Roll-ups"). A request's records, once classified
 * (usage-records.ts), move each roll-up by their signed contributions: + the new version of every
 * accepted or corrected record, − the old version of every corrected one. The work is
 * O(request): one grouped upsert per level, each level's deltas summed from the level below
 * (hours → days → months), never a read of history.
 *
 * Lock order, the same in every transaction: usage_record_versions (by id) → usage_trunk_hours →
 * usage_customer_days → usage_late_days → usage_customer_months → customers, each statement in key
 * order. Concurrent requests touching the same rows queue on them and never deadlock; an
 * ON CONFLICT DO UPDATE adds to the committed value, so no update is lost.
 *
 * A row's `revision` moves only when its figures do; `usage_late_days` records each customer-day
 * that changed after it had ended.
 */

const UTC_DAY = (column: string) => `(${column} AT TIME ZONE 'UTC')::date`;
const UTC_MONTH = (column: string) => `date_trunc('month', ${column} AT TIME ZONE 'UTC')::date`;

export interface RollupStepsOptions {
  /** The CTE of signed contributions: kind, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost, sign. */
  contributions: string;
  /** The parameter holding the time that decides what is late and which month is current. */
  nowParam: string;
  /** A condition that holds once the steps that must come first have run (see usage-records.ts `fence`). */
  after: string;
  /** Builds such a condition from CTE names. */
  fence(...steps: string[]): string;
}

/**
 * The roll-up steps of the ingest statement, as CTEs (the last one is `month_to_date`): each
 * level's upsert starts once the level before it has finished, so the lock order above holds.
 * `customers.mtd_spend`/`mtd_minutes` are set from the current month's row whenever the request
 * changed it, from the value the upsert returns (the latest committed one plus ours).
 */
export function rollupSteps(o: RollupStepsOptions): string {
  // A delta that changes no figure is not written, so `revision` moves only with the figures.
  const upsert = (table: string, key: string, columns: string, deltas: string, after: string, returning: string) =>
    `INSERT INTO ${table} AS t (${columns}, ${FIGURE_LIST})
    SELECT ${columns}, ${FIGURE_LIST} FROM ${deltas} d WHERE NOT (${allZero('d.')}) AND ${after}
    ORDER BY ${key}
    ON CONFLICT (${key}) DO UPDATE SET ${addedFigures('t')}, revision = t.revision + 1, updated_at = now()
    RETURNING ${returning}`;
  return `hour_deltas AS MATERIALIZED (
    SELECT trunk_id, hour, customer_id, ${summedFigures('c.')}
    FROM (SELECT *, date_trunc('hour', started_at, 'UTC') AS hour FROM ${o.contributions}) c GROUP BY trunk_id, hour, customer_id),
  hours AS (${upsert('usage_trunk_hours', 'trunk_id, hour', 'trunk_id, hour, customer_id', 'hour_deltas', o.after, '1')}),
  day_deltas AS MATERIALIZED (SELECT customer_id, ${UTC_DAY('hour')} AS day, ${summedColumns()} FROM hour_deltas GROUP BY 1, 2),
  days AS (${upsert('usage_customer_days', 'customer_id, day', 'customer_id, day', 'day_deltas', o.fence('hours'), 'customer_id, day')}),
  late_days AS (
    INSERT INTO usage_late_days AS l (customer_id, day)
    SELECT customer_id, day FROM days WHERE day < ${UTC_DAY(`${o.nowParam}::timestamptz`)} ORDER BY customer_id, day
    ON CONFLICT (customer_id, day) DO UPDATE SET changes = l.changes + 1, last_changed_at = now()
    RETURNING 1),
  month_deltas AS (SELECT customer_id, date_trunc('month', day::timestamp)::date AS month, ${summedColumns()} FROM day_deltas GROUP BY 1, 2),
  months AS (${upsert('usage_customer_months', 'customer_id, month', 'customer_id, month', 'month_deltas', o.fence('late_days'), 'customer_id, month, spend, billable_seconds')}),
  to_date AS (
    SELECT c.id, round(m.spend, 2) AS spend, m.billable_seconds / 60 AS minutes
    FROM months m JOIN customers c ON c.id = m.customer_id
    WHERE m.month = ${UTC_MONTH(`${o.nowParam}::timestamptz`)}
    ORDER BY c.id FOR NO KEY UPDATE OF c),
  month_to_date AS (
    UPDATE customers c SET mtd_spend = d.spend, mtd_minutes = d.minutes
    FROM to_date d WHERE c.id = d.id AND (c.mtd_spend, c.mtd_minutes) IS DISTINCT FROM (d.spend, d.minutes)
    RETURNING 1)`;
}

/** Records the customer-days that changed although they had already ended at `nowIso`. */
export async function markLateDays(tx: Queryable, days: ReadonlyArray<{ customer_id: string; day: string }>, nowIso: string): Promise<void> {
  if (days.length === 0) return;
  await tx.query(
    `INSERT INTO usage_late_days AS l (customer_id, day)
     SELECT customer_id, day FROM unnest($1::bigint[], $2::date[]) AS u(customer_id, day)
     WHERE day < ${UTC_DAY('$3::timestamptz')} ORDER BY customer_id, day
     ON CONFLICT (customer_id, day) DO UPDATE SET changes = l.changes + 1, last_changed_at = now()`,
    [days.map((d) => d.customer_id), days.map((d) => d.day), nowIso],
  );
}

/**
 * Sets `customers.mtd_spend` (rounded to cents) and `mtd_minutes` (whole minutes) of these
 * customers from their roll-up for the month of `nowIso`, 0 when they have none (a new month
 * starts at 0). The credit-limit rule reads these columns.
 */
export async function refreshMonthToDate(tx: Queryable, customerIds: readonly string[], nowIso: string): Promise<void> {
  if (customerIds.length > 0) await setMonthToDate(tx, 'SELECT unnest($2::bigint[])', [nowIso, [...customerIds]]);
}

/** The customers are those `customersSql` selects; `$1` is the time that decides the month. */
async function setMonthToDate(tx: Queryable, customersSql: string, params: unknown[]): Promise<void> {
  await tx.query(
    `WITH locked AS (SELECT id FROM customers WHERE id IN (${customersSql}) ORDER BY id FOR NO KEY UPDATE),
     m AS (SELECT l.id, coalesce(round(um.spend, 2), 0) AS spend, coalesce(um.billable_seconds / 60, 0) AS minutes
           FROM locked l LEFT JOIN usage_customer_months um ON um.customer_id = l.id AND um.month = ${UTC_MONTH('$1::timestamptz')})
     UPDATE customers c SET mtd_spend = m.spend, mtd_minutes = m.minutes
     FROM m WHERE c.id = m.id AND (c.mtd_spend, c.mtd_minutes) IS DISTINCT FROM (m.spend, m.minutes)`,
    params,
  );
}

export interface SampleRow {
  trunkRowId: string;
  customerId: string;
  at: string;
  activeCalls: number;
}

export interface SampleOutcomes {
  accepted: number;
  corrected: number;
  duplicate: number;
  stale: number;
}

/**
 * Active-call samples (one per trunk and time; a second report of the same reading keeps the
 * higher value, so order never matters). Each trunk-hour keeps the highest sample it has seen:
 * raising it needs only the new samples. `rows` has one entry per (trunk, at).
 */
export async function applySamples(tx: PoolClient, rows: readonly SampleRow[]): Promise<SampleOutcomes> {
  const params = [rows.map((r) => r.trunkRowId), rows.map((r) => r.at), rows.map((r) => r.activeCalls), rows.map((r) => r.customerId)];
  const batch = `SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::int[], $4::bigint[]) AS b(trunk_id, at, active_calls, customer_id)`;
  const inserted = await tx.query(
    `INSERT INTO usage_active_samples (trunk_id, at, active_calls)
     SELECT trunk_id, at, active_calls FROM (${batch}) b ORDER BY trunk_id, at
     ON CONFLICT (trunk_id, at) DO NOTHING`,
    params,
  );
  // Every reading, locked in key order (the ones just inserted compare equal) and raised where
  // the new report is higher.
  const { rows: compared } = await tx.query<{ outcome: 'corrected' | 'duplicate' | 'stale'; n: number }>(
    `WITH b AS (${batch}),
     current AS (SELECT s.trunk_id, s.at, s.active_calls FROM usage_active_samples s JOIN b USING (trunk_id, at)
                 ORDER BY s.trunk_id, s.at FOR UPDATE OF s),
     raised AS (UPDATE usage_active_samples s SET active_calls = b.active_calls FROM b, current c
                WHERE s.trunk_id = b.trunk_id AND s.at = b.at AND c.trunk_id = b.trunk_id AND c.at = b.at AND b.active_calls > c.active_calls
                RETURNING s.trunk_id)
     SELECT CASE WHEN b.active_calls > c.active_calls THEN 'corrected' WHEN b.active_calls = c.active_calls THEN 'duplicate' ELSE 'stale' END AS outcome,
            count(*)::int AS n
     FROM current c JOIN b USING (trunk_id, at) GROUP BY 1`,
    params,
  );
  await tx.query(
    `WITH b AS (${batch}),
     h AS (SELECT trunk_id, customer_id, date_trunc('hour', at, 'UTC') AS hour, max(active_calls) AS peak FROM b GROUP BY 1, 2, 3)
     INSERT INTO usage_trunk_hours AS t (trunk_id, hour, customer_id, peak_active_calls)
     SELECT trunk_id, hour, customer_id, peak FROM h ORDER BY trunk_id, hour
     ON CONFLICT (trunk_id, hour) DO UPDATE SET peak_active_calls = excluded.peak_active_calls, revision = t.revision + 1, updated_at = now()
     WHERE t.peak_active_calls IS NULL OR t.peak_active_calls < excluded.peak_active_calls`,
    params,
  );
  const outcomes: SampleOutcomes = { accepted: inserted.rowCount ?? 0, corrected: 0, duplicate: 0, stale: 0 };
  for (const row of compared) outcomes[row.outcome] = row.n;
  outcomes.duplicate -= outcomes.accepted;
  return outcomes;
}
