import type { PoolClient, Queryable } from '../db/pool.js';
import { addedFigures, allZero, FIGURE_LIST, summedFigures } from './usage-figures.js';

/**
 * Incremental roll-ups (docs/usage.md "Roll-ups"). A staged batch, once classified
 * (usage-records.ts), moves each roll-up by its signed contributions: + the new version of every
 * accepted or corrected record, − the old version of every corrected one. The work is
 * O(batch): one grouped upsert per level, never a read of history.
 *
 * Lock order, the same in every transaction: usage_record_versions (by id) → usage_trunk_hours →
 * usage_customer_days → usage_late_days → usage_customer_months → customers, each statement in key
 * order. Concurrent batches touching the same rows queue on them and never deadlock; an
 * ON CONFLICT DO UPDATE adds to the committed value, so no update is lost.
 *
 * A row's `revision` moves only when its figures do; `usage_late_days` records each customer-day
 * that changed after it had ended.
 */

const CONTRIBUTIONS = `
  SELECT kind, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost, 1 AS sign
  FROM usage_stage WHERE outcome IN ('accepted', 'corrected')
  UNION ALL
  SELECT kind, old_trunk_id, old_customer_id, old_started_at, old_outbound, old_ok, old_billable_seconds, old_cost, -1
  FROM usage_stage WHERE outcome = 'corrected'`;

const UTC_DAY = (column: string) => `(${column} AT TIME ZONE 'UTC')::date`;
const UTC_MONTH = (column: string) => `date_trunc('month', ${column} AT TIME ZONE 'UTC')::date`;

/** Applies the staged batch's contributions to every level; `nowIso` decides what is late. */
export async function applyStagedRollups(tx: PoolClient, nowIso: string): Promise<void> {
  await tx.query(
    `WITH c AS (${CONTRIBUTIONS}),
     d AS (SELECT trunk_id, customer_id, date_trunc('hour', started_at, 'UTC') AS hour, ${summedFigures('c.')} FROM c GROUP BY 1, 2, 3)
     INSERT INTO usage_trunk_hours AS t (trunk_id, hour, customer_id, ${FIGURE_LIST})
     SELECT trunk_id, hour, customer_id, ${FIGURE_LIST} FROM d WHERE NOT (${allZero('d.')}) ORDER BY trunk_id, hour
     ON CONFLICT (trunk_id, hour) DO UPDATE SET ${addedFigures('t')}, revision = t.revision + 1, updated_at = now()`,
  );
  const { rows: days } = await tx.query<{ customer_id: string; day: string }>(
    `WITH c AS (${CONTRIBUTIONS}),
     d AS (SELECT customer_id, ${UTC_DAY('started_at')} AS day, ${summedFigures('c.')} FROM c GROUP BY 1, 2)
     INSERT INTO usage_customer_days AS t (customer_id, day, ${FIGURE_LIST})
     SELECT customer_id, day, ${FIGURE_LIST} FROM d WHERE NOT (${allZero('d.')}) ORDER BY customer_id, day
     ON CONFLICT (customer_id, day) DO UPDATE SET ${addedFigures('t')}, revision = t.revision + 1, updated_at = now()
     RETURNING customer_id, to_char(day, 'YYYY-MM-DD') AS day`,
  );
  await markLateDays(tx, days, nowIso);
  await tx.query(
    `WITH c AS (${CONTRIBUTIONS}),
     d AS (SELECT customer_id, ${UTC_MONTH('started_at')} AS month, ${summedFigures('c.')} FROM c GROUP BY 1, 2)
     INSERT INTO usage_customer_months AS t (customer_id, month, ${FIGURE_LIST})
     SELECT customer_id, month, ${FIGURE_LIST} FROM d WHERE NOT (${allZero('d.')}) ORDER BY customer_id, month
     ON CONFLICT (customer_id, month) DO UPDATE SET ${addedFigures('t')}, revision = t.revision + 1, updated_at = now()`,
  );
  await setMonthToDate(
    tx,
    `SELECT customer_id FROM usage_stage WHERE outcome IN ('accepted', 'corrected')
     UNION SELECT old_customer_id FROM usage_stage WHERE outcome = 'corrected'`,
    [nowIso],
  );
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
