import type { Queryable } from '../db/pool.js';
import { PRIORITY_OF_SEVERITY } from '../domain/support.js';
import type { ChurnRisk } from '../domain/value-sets.js';
import { CACHED_TICKET_IS_OPEN, CACHED_TICKETS_WITH_STAGE } from './ticket-cache.js';

/** The churn analysis' inputs and results on `customers` (migration 0100). */

export interface ChurnFactRow {
  customerId: string;
  paymentStatus: string | null;
  contractEnd: string | null;
  lastUsageDay: string | null;
  spendCents: number;
  previousSpendCents: number;
  openCriticalTickets: number;
}

// A critical ticket (docs/revenue.md "Churn analysis"): WARP's severity `critical`, or HubSpot's
// priority for it (URGENT), which an agent or the SLA escalation may have set on any ticket.
const CRITICAL = `'critical'`;
const URGENT = `'${PRIORITY_OF_SEVERITY.critical}'`;
/**
 * Open critical tickets of customer `c`: those in the ticket cache, and WARP's own auto-tickets
 * that have not reached the cache yet (not sent to HubSpot, e.g. while its outbox is down).
 */
const OPEN_CRITICAL_TICKETS = `(SELECT count(*) FROM ${CACHED_TICKETS_WITH_STAGE}
    WHERE t.customer_id = c.id AND ${CACHED_TICKET_IS_OPEN} AND (t.severity = ${CRITICAL} OR t.priority = ${URGENT}))
  + (SELECT count(*) FROM support_tickets st
    WHERE st.customer_id = c.id AND st.status = 'open' AND (st.severity = ${CRITICAL} OR st.priority = ${URGENT})
      AND (st.hubspot_id IS NULL OR NOT EXISTS (SELECT 1 FROM ticket_cache tc WHERE tc.hubspot_id = st.hubspot_id)))`;

/**
 * For each live customer of the chunk: payment and contract facts, the last day with usage before
 * `asOfDay`, two months' spend, and its open critical tickets now (the cache keeps no history).
 */
export async function churnFacts(db: Queryable, customerIds: readonly string[], month: string, previousMonth: string, asOfDay: string): Promise<ChurnFactRow[]> {
  const { rows } = await db.query<{ id: string; payment_status: string | null; contract_end: string | null; last_usage_day: string | null; spend_cents: string; previous_cents: string; critical_tickets: string }>(
    `SELECT c.id::text, c.payment_status, c.contract_end::text,
       (SELECT max(d.day)::text FROM usage_customer_days d
        WHERE d.customer_id = c.id AND d.day < $4::date AND d.calls_attempted + d.calls_completed + d.sms_sent > 0) AS last_usage_day,
       COALESCE((SELECT (round(spend, 2) * 100)::bigint FROM usage_customer_months WHERE customer_id = c.id AND month = $2::date), 0) AS spend_cents,
       COALESCE((SELECT (round(spend, 2) * 100)::bigint FROM usage_customer_months WHERE customer_id = c.id AND month = $3::date), 0) AS previous_cents,
       ${OPEN_CRITICAL_TICKETS} AS critical_tickets
     FROM customers c WHERE c.id = ANY($1::bigint[]) AND c.deleted_at IS NULL AND c.status <> 'churned'`,
    [[...customerIds], `${month}-01`, `${previousMonth}-01`, asOfDay],
  );
  return rows.map((r) => ({
    customerId: r.id, paymentStatus: r.payment_status, contractEnd: r.contract_end, lastUsageDay: r.last_usage_day,
    spendCents: Number(r.spend_cents), previousSpendCents: Number(r.previous_cents), openCriticalTickets: Number(r.critical_tickets),
  }));
}

export interface ChurnResultRow {
  customerId: string;
  usageTrendPct: number | null;
  risk: ChurnRisk;
  /** `;`-separated reason codes, or null for none. */
  reasons: string | null;
}

/** Stores the results; returns the customers whose values changed (their company write is due). */
export async function saveChurnResults(tx: Queryable, results: readonly ChurnResultRow[]): Promise<string[]> {
  if (results.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE customers c SET usage_trend_pct = x.trend, churn_risk = x.risk, churn_reasons = x.reasons
     FROM unnest($1::bigint[], $2::numeric[], $3::text[], $4::text[]) AS x(id, trend, risk, reasons)
     WHERE c.id = x.id AND (c.usage_trend_pct, c.churn_risk, c.churn_reasons) IS DISTINCT FROM (x.trend, x.risk, x.reasons)
     RETURNING c.id::text`,
    [results.map((r) => r.customerId), results.map((r) => r.usageTrendPct), results.map((r) => r.risk), results.map((r) => r.reasons)],
  );
  return rows.map((r) => r.id);
}

export interface ChurnRiskEntry {
  ban: string;
  name: string | null;
  risk: ChurnRisk;
  reasons: string[];
  usageTrendPct: number | null;
  mrr: string | null;
}

/** Customers at risk (or at the given levels), highest risk first, then by BAN. */
export async function listChurnRisk(db: Queryable, risks: readonly ChurnRisk[]): Promise<ChurnRiskEntry[]> {
  const { rows } = await db.query<{ ban: string; name: string | null; churn_risk: ChurnRisk; churn_reasons: string | null; usage_trend_pct: string | null; mrr: string | null }>(
    `SELECT ban, name, churn_risk, churn_reasons, usage_trend_pct::text, mrr::text FROM customers
     WHERE ban IS NOT NULL AND deleted_at IS NULL AND churn_risk = ANY($1::text[])
     ORDER BY array_position(ARRAY['high', 'medium', 'low'], churn_risk), ban::numeric`,
    [[...risks]],
  );
  return rows.map((r) => ({
    ban: r.ban, name: r.name, risk: r.churn_risk, reasons: r.churn_reasons ? r.churn_reasons.split(';') : [],
    usageTrendPct: r.usage_trend_pct === null ? null : Number(r.usage_trend_pct), mrr: r.mrr,
  }));
}
