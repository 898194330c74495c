import type { PoolClient } from '../db/pool.js';
import { allZero, FIGURE_LIST, figuresDiffer, replacedFigures, summedColumns, summedFigures, zeroFilled } from './usage-figures.js';
import { recomputeCurrencyDay } from './usage-currencies.js';
import { CALL_OK_SQL, MESSAGE_OK_SQL } from './usage-records.js';
import { markLateDays, refreshMonthToDate } from './usage-rollups.js';

/**
 * Rebuilds the roll-ups of one UTC day from its raw records (docs/usage.md "Recompute"), with
 * the same contribution SQL the incremental path uses, over the current version of each record
 * (a raw row counts when usage_record_versions names its version). Rows are replaced only where
 * a figure differs, so a recompute that finds nothing wrong changes no revision; the month is then
 * re-summed from its days. The caller runs this in a transaction that has already called
 * `lockForRecompute`.
 */

/** Blocks ingest (which writes these tables) until the caller's transaction ends. */
export async function lockForRecompute(tx: PoolClient): Promise<void> {
  await tx.query('LOCK TABLE usage_record_versions, usage_active_samples IN SHARE MODE');
}

const EXISTING = (table: string, keyMatch: string) => `EXISTS (SELECT 1 FROM ${table} e WHERE ${keyMatch})`;

export async function recomputeDay(tx: PoolClient, day: string, nowIso: string): Promise<{ records: number; changedRows: number }> {
  const range = [`${day}T00:00:00Z`, new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString()];
  await tx.query('DROP TABLE IF EXISTS usage_recompute_hours');
  await tx.query(
    `CREATE TEMP TABLE usage_recompute_hours ON COMMIT DROP AS
     WITH cur AS (
       SELECT 'c'::"char" AS kind, r.trunk_id, r.customer_id, r.started_at, r.outbound, (${CALL_OK_SQL}) AS ok, r.billable_seconds, r.cost, 1 AS sign
       FROM usage_calls r JOIN usage_record_versions v ON v.kind = 'c' AND v.record_id = r.call_id AND v.version = r.version
       WHERE r.started_at >= $1 AND r.started_at < $2
       UNION ALL
       SELECT 'm', r.trunk_id, r.customer_id, r.sent_at, r.outbound, (${MESSAGE_OK_SQL}), 0, r.cost, 1
       FROM usage_messages r JOIN usage_record_versions v ON v.kind = 'm' AND v.record_id = r.message_id AND v.version = r.version
       WHERE r.sent_at >= $1 AND r.sent_at < $2),
     figs AS (SELECT trunk_id, customer_id, date_trunc('hour', started_at, 'UTC') AS hour, count(*) AS records, ${summedFigures('cur.')}
              FROM cur GROUP BY 1, 2, 3),
     peaks AS (SELECT s.trunk_id, t.customer_id, date_trunc('hour', s.at, 'UTC') AS hour, max(s.active_calls) AS peak
               FROM usage_active_samples s JOIN trunks t ON t.id = s.trunk_id WHERE s.at >= $1 AND s.at < $2 GROUP BY 1, 2, 3),
     keys AS (SELECT trunk_id, customer_id, hour FROM figs UNION SELECT trunk_id, customer_id, hour FROM peaks
              UNION SELECT trunk_id, customer_id, hour FROM usage_trunk_hours WHERE hour >= $1 AND hour < $2)
     SELECT k.trunk_id, k.customer_id, k.hour, coalesce(f.records, 0) AS records, ${zeroFilled('f.')}, p.peak AS peak_active_calls
     FROM keys k LEFT JOIN figs f USING (trunk_id, customer_id, hour) LEFT JOIN peaks p USING (trunk_id, customer_id, hour)`,
    range,
  );
  const hours = await tx.query(
    `INSERT INTO usage_trunk_hours AS t (trunk_id, hour, customer_id, ${FIGURE_LIST}, peak_active_calls)
     SELECT trunk_id, hour, customer_id, ${FIGURE_LIST}, peak_active_calls FROM usage_recompute_hours r
     WHERE NOT (${allZero('r.')} AND r.peak_active_calls IS NULL) OR ${EXISTING('usage_trunk_hours', 'e.trunk_id = r.trunk_id AND e.hour = r.hour')}
     ORDER BY trunk_id, hour
     ON CONFLICT (trunk_id, hour) DO UPDATE SET ${replacedFigures()}, peak_active_calls = excluded.peak_active_calls,
       revision = t.revision + 1, updated_at = now()
     WHERE ${figuresDiffer('t', 'excluded')} OR t.peak_active_calls IS DISTINCT FROM excluded.peak_active_calls`,
  );
  const days = await tx.query<{ customer_id: string; day: string }>(
    `WITH sums AS (SELECT customer_id, ${summedColumns()} FROM usage_recompute_hours GROUP BY customer_id),
     keys AS (SELECT customer_id FROM sums UNION SELECT customer_id FROM usage_customer_days WHERE day = $1),
     v AS (SELECT k.customer_id, ${zeroFilled('s.')} FROM keys k LEFT JOIN sums s USING (customer_id))
     INSERT INTO usage_customer_days AS t (customer_id, day, ${FIGURE_LIST})
     SELECT customer_id, $1, ${FIGURE_LIST} FROM v
     WHERE NOT (${allZero('v.')}) OR ${EXISTING('usage_customer_days', 'e.customer_id = v.customer_id AND e.day = $1')}
     ORDER BY customer_id
     ON CONFLICT (customer_id, day) DO UPDATE SET ${replacedFigures()}, revision = t.revision + 1, updated_at = now()
     WHERE ${figuresDiffer('t', 'excluded')}
     RETURNING customer_id, to_char(day, 'YYYY-MM-DD') AS day`,
    [day],
  );
  await markLateDays(tx, days.rows, nowIso);
  const months = await tx.query<{ customer_id: string }>(
    `WITH bounds AS (SELECT date_trunc('month', $1::date)::date AS first),
     sums AS (SELECT customer_id, ${summedColumns()} FROM usage_customer_days, bounds
              WHERE day >= first AND day < (first + interval '1 month')::date GROUP BY customer_id),
     keys AS (SELECT customer_id FROM sums UNION SELECT customer_id FROM usage_customer_months, bounds WHERE month = first),
     v AS (SELECT k.customer_id, ${zeroFilled('s.')} FROM keys k LEFT JOIN sums s USING (customer_id))
     INSERT INTO usage_customer_months AS t (customer_id, month, ${FIGURE_LIST})
     SELECT customer_id, (SELECT first FROM bounds), ${FIGURE_LIST} FROM v
     WHERE NOT (${allZero('v.')}) OR ${EXISTING('usage_customer_months', 'e.customer_id = v.customer_id AND e.month = (SELECT first FROM bounds)')}
     ORDER BY customer_id
     ON CONFLICT (customer_id, month) DO UPDATE SET ${replacedFigures()}, revision = t.revision + 1, updated_at = now()
     WHERE ${figuresDiffer('t', 'excluded')}
     RETURNING customer_id`,
    [day],
  );
  await refreshMonthToDate(tx, [...new Set([...days.rows, ...months.rows].map((r) => r.customer_id))], nowIso);
  await recomputeCurrencyDay(tx, day);
  const { rows } = await tx.query<{ n: number }>('SELECT coalesce(sum(records), 0)::int AS n FROM usage_recompute_hours');
  return { records: rows[0]!.n, changedRows: (hours.rowCount ?? 0) + days.rows.length + months.rows.length };
}
