import type { Pool } from '../db/pool.js';
import { withTransaction } from '../db/pool.js';
import { badRequest } from '../lib/errors.js';
import type { OpsAlert } from '../store/alerts.js';
import { churnFacts, saveChurnResults } from '../store/churn.js';
import { refreshRevenueProperties } from '../store/mrr.js';
import { enqueue } from '../store/outbox.js';
import { billableCustomerIds } from '../store/revenue-facts.js';
import { laterMonthClosed } from '../store/revenue-months.js';
import { companyChange } from '../warp/changes.js';
import { assessChurn } from './churn.js';
import { invoiceDateOf, issueChunk } from './issue-invoices.js';
import { addMonths, closedMonthOf, monthOf } from './months.js';

/**
 * Month close, the database part (docs/revenue.md): for every customer, in chunks of one
 * transaction each, the month's invoice (exactly once), its revenue row and its churn analysis.
 * Every step converges on the facts, so a retried, re-run or concurrent close of the same month
 * makes nothing twice. Sending the invoices to HubSpot follows (sync/revenue).
 */

export const CLOSE_CHUNK_CUSTOMERS = 1000;

export interface MonthCloseCounts {
  month: string;
  customers: number;
  invoicesIssued: number;
  /** Invoices that existed before this run (a re-run reports them instead of making new ones). */
  invoicesExisting: number;
  /** Customers whose invoice is held (currency mismatch); a later close issues it once corrected. */
  invoicesHeld: number;
  churnChanged: number;
  firstNumber: string | null;
  lastNumber: string | null;
}

/** Refuses a month that has not ended yet at `nowMs`. */
export function assertClosed(month: string, nowMs: number): void {
  if (month >= monthOf(nowMs)) throw badRequest('month_not_closed', `Month ${month} has not ended yet`);
}

export interface CloseOptions {
  nowMs: number;
  signal?: AbortSignal | undefined;
  chunkSize?: number;
  /** Logs and posts an ops alert already recorded (sync/outbound/ops-alerts.ts); without it they are only recorded. */
  deliverAlert?: ((alert: OpsAlert) => Promise<void>) | undefined;
}

export async function closeMonth(pool: Pool, month: string, options: CloseOptions): Promise<MonthCloseCounts> {
  assertClosed(month, options.nowMs);
  const counts: MonthCloseCounts = { month, customers: 0, invoicesIssued: 0, invoicesExisting: 0, invoicesHeld: 0, churnChanged: 0, firstNumber: null, lastNumber: null };
  const asOfDay = invoiceDateOf(month);
  // The churn figures describe the newest closed month: re-closing an older one (schedules run
  // --at) must not put its older assessment back on the customers and their companies.
  const analyse = !(await laterMonthClosed(pool, month));
  for (let after: string | null = null; ; ) {
    options.signal?.throwIfAborted();
    const ids = await billableCustomerIds(pool, after, options.chunkSize ?? CLOSE_CHUNK_CUSTOMERS);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    const outcome = await issueChunk(pool, month, ids);
    counts.customers += ids.length;
    counts.invoicesIssued += outcome.issued.length;
    counts.invoicesExisting += outcome.existing.length;
    counts.invoicesHeld += outcome.held.length;
    for (const alert of outcome.alerts) await options.deliverAlert?.(alert);
    for (const { number } of outcome.issued) {
      counts.firstNumber ??= number;
      counts.lastNumber = number;
    }
    if (analyse) counts.churnChanged += await analyseChurn(pool, ids, month, asOfDay);
  }
  return counts;
}

async function analyseChurn(pool: Pool, customerIds: readonly string[], month: string, asOfDay: string): Promise<number> {
  return withTransaction(pool, async (tx) => {
    const facts = await churnFacts(tx, customerIds, month, addMonths(month, -1), asOfDay);
    const results = facts.map((f) => {
      const assessment = assessChurn(f, asOfDay);
      return { customerId: f.customerId, usageTrendPct: assessment.usageTrendPct, risk: assessment.risk, reasons: assessment.reasons.join(';') || null };
    });
    const changed = await saveChurnResults(tx, results);
    await enqueue(tx, changed.map((id) => companyChange(id, ['warp_usage_trend_pct', 'warp_churn_risk', 'warp_churn_reasons'])));
    return changed.length;
  });
}

/** The daily schedule: warp_mrr and warp_usage_revenue_last_month of every customer, sent when changed. */
export async function refreshDailyRevenue(pool: Pool, slotMs: number): Promise<{ rowsWritten: number }> {
  return withTransaction(pool, async (tx) => {
    const changed = await refreshRevenueProperties(tx, closedMonthOf(slotMs));
    await enqueue(tx, changed.map((id) => companyChange(id, ['warp_mrr', 'warp_usage_revenue_last_month'])));
    return { rowsWritten: changed.length };
  });
}
