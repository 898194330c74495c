import type { Queryable } from '../db/pool.js';

/**
 * What the usage schedules (src/usage/push/) read and record (migration 0090, docs/usage-sync.md):
 * the live figures on customers and trunks, the values last queued per company, the spend
 * candidates, the once-only marks, the daily summary notes. Roll-ups themselves are read through
 * usage-reads.ts; nothing here writes them.
 */

export type UsageCompanyField = 'active_calls' | 'mtd_spend' | 'mtd_minutes';

/**
 * Sets `customers.active_calls` to the sum of each live trunk's latest sample in (`fromIso`,
 * `toIso`]; a trunk without one counts 0 (its switch stopped reporting). Only changed rows are
 * written, locked in id order like every other writer of customers. Returns the rows changed.
 */
export async function refreshActiveCalls(tx: Queryable, fromIso: string, toIso: string): Promise<number> {
  const { rowCount } = await tx.query(
    `WITH latest AS (SELECT DISTINCT ON (s.trunk_id) s.trunk_id, s.active_calls FROM usage_active_samples s
                     WHERE s.at > $1::timestamptz AND s.at <= $2::timestamptz ORDER BY s.trunk_id, s.at DESC),
     per AS (SELECT t.customer_id, sum(l.active_calls)::int AS active FROM latest l JOIN trunks t ON t.id = l.trunk_id AND t.deleted_at IS NULL GROUP BY 1),
     target AS (SELECT c.id, coalesce(p.active, 0) AS active FROM customers c LEFT JOIN per p ON p.customer_id = c.id
                WHERE c.active_calls <> coalesce(p.active, 0)),
     locked AS (SELECT c.id FROM customers c JOIN target USING (id) ORDER BY c.id FOR NO KEY UPDATE OF c)
     UPDATE customers c SET active_calls = target.active FROM target JOIN locked USING (id) WHERE c.id = target.id`,
    [fromIso, toIso],
  );
  return rowCount ?? 0;
}

/** Customers whose month-to-date figures may still be last month's (non-zero): refreshed at each run. */
export async function customersWithMonthToDate(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM customers WHERE mtd_spend <> 0 OR mtd_minutes <> 0 ORDER BY id`);
  return rows.map((r) => String(r.id));
}

export interface ChangedCompany {
  customerId: string;
  fields: UsageCompanyField[];
  /** When the customer's month roll-up last changed (null without one): for the sync lag. */
  monthChangedAt: Date | null;
}

/**
 * Companies (with a HubSpot id) whose usage values differ from what was last queued, for the
 * fields asked (`mtd_minutes` also for `minutesOf`, the customers with a late change), and records
 * the new values as queued. Runs in the transaction that enqueues their writes. At most `limit`,
 * the first after row id `afterId`: the first run, or the first of a month, finds every company
 * changed, and the caller takes them a page at a time rather than all at once.
 */
export async function takeChangedCompanies(
  tx: Queryable,
  fields: readonly UsageCompanyField[],
  minutesOf: readonly string[],
  monthIso: string,
  page: { afterId: string; limit: number },
): Promise<ChangedCompany[]> {
  const { rows } = await tx.query<{ id: string; active: boolean; spend: boolean; minutes: boolean; month_changed_at: Date | null }>(
    `WITH cur AS (
       SELECT c.id, c.active_calls, c.mtd_spend, c.mtd_minutes, s.active_calls AS s_active, s.mtd_spend AS s_spend, s.mtd_minutes AS s_minutes
       FROM customers c LEFT JOIN usage_company_sent s ON s.customer_id = c.id
       WHERE c.deleted_at IS NULL AND c.hubspot_company_id IS NOT NULL AND c.id > $6::bigint),
     flagged AS (
       SELECT *, ($1 AND active_calls IS DISTINCT FROM s_active) AS active, ($2 AND mtd_spend IS DISTINCT FROM s_spend) AS spend,
              (($3 OR id = ANY($4::bigint[])) AND mtd_minutes IS DISTINCT FROM s_minutes) AS minutes
       FROM cur),
     hits AS (SELECT * FROM flagged WHERE active OR spend OR minutes ORDER BY id LIMIT $7),
     saved AS (
       INSERT INTO usage_company_sent AS s (customer_id, active_calls, mtd_spend, mtd_minutes)
       SELECT id, CASE WHEN active THEN active_calls ELSE s_active END, CASE WHEN spend THEN mtd_spend ELSE s_spend END,
              CASE WHEN minutes THEN mtd_minutes ELSE s_minutes END
       FROM hits ORDER BY id
       ON CONFLICT (customer_id) DO UPDATE SET active_calls = excluded.active_calls, mtd_spend = excluded.mtd_spend,
         mtd_minutes = excluded.mtd_minutes, updated_at = now())
     SELECT h.id, h.active, h.spend, h.minutes, m.updated_at AS month_changed_at FROM hits h
     LEFT JOIN usage_customer_months m ON m.customer_id = h.id AND m.month = date_trunc('month', $5::timestamptz AT TIME ZONE 'UTC')::date
     ORDER BY h.id`,
    [fields.includes('active_calls'), fields.includes('mtd_spend'), fields.includes('mtd_minutes'), [...minutesOf], monthIso, page.afterId, page.limit],
  );
  return rows.map((r) => ({
    customerId: String(r.id),
    fields: [r.active && 'active_calls', r.spend && 'mtd_spend', r.minutes && 'mtd_minutes'].filter((f): f is UsageCompanyField => f !== false),
    monthChangedAt: r.month_changed_at,
  }));
}

export interface SpendCandidate {
  customerId: string;
  ban: string | null;
  mtdSpend: string;
  creditLimit: string;
}

/** Customers at or above `share` of their credit limit (with some spend) and not yet alerted for `period`. */
export async function unalertedAboveShare(db: Queryable, share: number, period: string): Promise<SpendCandidate[]> {
  const { rows } = await db.query<{ id: string; ban: string | null; mtd_spend: string; credit_limit: string }>(
    `SELECT c.id, c.ban, c.mtd_spend, c.credit_limit FROM customers c
     WHERE c.deleted_at IS NULL AND c.credit_limit IS NOT NULL AND c.mtd_spend > 0 AND c.mtd_spend >= $1 * c.credit_limit
       AND NOT EXISTS (SELECT 1 FROM usage_once_marks k WHERE k.customer_id = c.id AND k.kind = 'spend_threshold' AND k.period = $2)
     ORDER BY c.id`,
    [share, period],
  );
  return rows.map((r) => ({ customerId: String(r.id), ban: r.ban, mtdSpend: r.mtd_spend, creditLimit: r.credit_limit }));
}

/**
 * BANs whose trunks the credit-limit rule would change now: at or over the limit with active
 * trunks, or under it (or without one) with trunks that rule limited.
 */
export async function creditLimitCandidates(db: Queryable, limitedReason: string): Promise<string[]> {
  const { rows } = await db.query<{ ban: string }>(
    `SELECT c.ban FROM customers c
     WHERE c.ban IS NOT NULL AND c.deleted_at IS NULL AND (
       (c.status = 'active' AND c.credit_limit IS NOT NULL AND c.mtd_spend >= c.credit_limit
        AND EXISTS (SELECT 1 FROM trunks t WHERE t.customer_id = c.id AND t.deleted_at IS NULL AND t.status = 'active'))
       OR ((c.credit_limit IS NULL OR c.mtd_spend < c.credit_limit)
        AND EXISTS (SELECT 1 FROM trunks t WHERE t.customer_id = c.id AND t.deleted_at IS NULL AND t.status = 'limited' AND t.status_reason = $1)))
     ORDER BY c.id`,
    [limitedReason],
  );
  return rows.map((r) => r.ban);
}

/** Claims a once-only mark; false when it existed (someone did it already). */
export async function claimOnceMark(tx: Queryable, customerId: string, kind: 'spend_threshold' | 'first_successful_call', period: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO usage_once_marks (customer_id, kind, period) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [customerId, kind, period],
  );
  return (rowCount ?? 0) > 0;
}

export interface FirstCall {
  customerId: string;
  /** When the call was answered; null when its raw record is gone (then the day's start). */
  answeredAt: Date;
  trunkId: string | null;
}

/**
 * Customers with an answered outbound call and no first-call mark yet, with their first such call
 * (from the earliest day that has one; the raw record if still kept).
 */
export async function firstCallsWithoutMark(db: Queryable): Promise<FirstCall[]> {
  const { rows } = await db.query<{ customer_id: string; answered_at: Date; trunk_id: string | null }>(
    `WITH candidates AS (
       SELECT DISTINCT m.customer_id FROM usage_customer_months m
       WHERE m.outbound_answered > 0
         AND NOT EXISTS (SELECT 1 FROM usage_once_marks k WHERE k.customer_id = m.customer_id AND k.kind = 'first_successful_call')),
     firsts AS (
       SELECT c.customer_id, (SELECT min(d.day) FROM usage_customer_days d WHERE d.customer_id = c.customer_id AND d.outbound_answered > 0) AS day
       FROM candidates c)
     SELECT f.customer_id, coalesce(call.answered_at, f.day::timestamp AT TIME ZONE 'UTC') AS answered_at, call.trunk_id
     FROM firsts f LEFT JOIN LATERAL (
       SELECT u.answered_at, t.trunk_id FROM usage_calls u JOIN trunks t ON t.id = u.trunk_id
       WHERE u.customer_id = f.customer_id AND u.outbound AND u.answered_at IS NOT NULL
         AND u.started_at >= f.day::timestamp AT TIME ZONE 'UTC' AND u.started_at < (f.day + 1)::timestamp AT TIME ZONE 'UTC'
       ORDER BY u.answered_at LIMIT 1) call ON true
     ORDER BY f.customer_id`,
  );
  return rows.map((r) => ({ customerId: String(r.customer_id), answeredAt: r.answered_at, trunkId: r.trunk_id }));
}

/**
 * Sets live trunks' peak and utilization to those of the hour starting at `hourIso` (0 without
 * samples) where they differ, at most `limit` of them, the first after row id `afterId` (the first
 * run finds every trunk changed: the caller takes them a page at a time). Returns the last row id
 * changed (null: none) and the changed trunks whose company is in HubSpot (the others are written
 * with their company).
 */
export async function refreshTrunkPeaks(tx: Queryable, hourIso: string, page: { afterId: string; limit: number }): Promise<{ lastId: string | null; trunkIds: string[] }> {
  const { rows } = await tx.query<{ id: string; trunk_id: string; synced: boolean }>(
    `WITH peaks AS (
       SELECT t.id, coalesce(h.peak_active_calls, 0) AS peak,
              round(coalesce(h.peak_active_calls, 0) * 100.0 / t.concurrent_calls, 2) AS pct
       FROM trunks t LEFT JOIN usage_trunk_hours h ON h.trunk_id = t.id AND h.hour = $1::timestamptz
       WHERE t.deleted_at IS NULL AND t.id > $2::bigint),
     changed AS (SELECT p.* FROM peaks p JOIN trunks t USING (id)
                 WHERE (t.peak_concurrent_calls, t.utilization_pct) IS DISTINCT FROM (p.peak, p.pct) ORDER BY p.id LIMIT $3)
     UPDATE trunks t SET peak_concurrent_calls = changed.peak, utilization_pct = changed.pct FROM changed
     WHERE t.id = changed.id
     RETURNING t.id::text, t.trunk_id, EXISTS (SELECT 1 FROM customers c WHERE c.id = t.customer_id AND c.hubspot_company_id IS NOT NULL) AS synced`,
    [hourIso, page.afterId, page.limit],
  );
  // RETURNING has no order: the page's last row is its greatest id.
  const lastId = rows.reduce<string | null>((max, r) => (max === null || BigInt(r.id) > BigInt(max) ? r.id : max), null);
  return { lastId, trunkIds: rows.filter((r) => r.synced).map((r) => r.trunk_id) };
}

/** usage_late_days changed at or after `sinceIso`: the customer-days a late record or correction moved. */
export async function lateDaysSince(db: Queryable, sinceIso: string): Promise<Array<{ customerId: string; day: string }>> {
  const { rows } = await db.query<{ customer_id: string; day: string }>(
    `SELECT customer_id, to_char(day, 'YYYY-MM-DD') AS day FROM usage_late_days WHERE last_changed_at >= $1::timestamptz ORDER BY 1, 2`,
    [sinceIso],
  );
  return rows.map((r) => ({ customerId: String(r.customer_id), day: r.day }));
}

export async function lateDaysCursor(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ at: Date }>('SELECT late_days_read_at AS at FROM usage_sync_cursor');
  return rows[0]!.at;
}

export async function setLateDaysCursor(tx: Queryable, at: Date): Promise<void> {
  await tx.query('UPDATE usage_sync_cursor SET late_days_read_at = GREATEST(late_days_read_at, $1)', [at]);
}
