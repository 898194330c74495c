import { type Pool, withTransaction } from '../db/pool.js';
import { badRequest } from '../lib/errors.js';
import { billableCustomerIds } from '../store/revenue-facts.js';
import { firstUsageMonth, replaceRevenueMonths, revenueMonthsThrough } from '../store/revenue-months.js';
import { growthMetrics, type MonthMetrics } from './growth.js';
import { readFacts, revenueRows } from './issue-invoices.js';
import { assertClosed } from './month-close.js';
import { addMonths, isMonth, monthRange } from './months.js';

/**
 * The revenue report (API `GET /metrics/revenue`, `report revenue`): checks the range, optionally
 * recomputes the months' revenue rows from the stored facts, and computes the growth metrics.
 */

export async function checkRange(pool: Pool, from: string, to: string, nowMs: number): Promise<void> {
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (!isMonth(value)) throw badRequest('invalid_month', `"${name}" must be a month YYYY-MM`);
  }
  if (from > to) throw badRequest('invalid_range', '"from" is after "to"');
  assertClosed(to, nowMs);
  const first = await firstUsageMonth(pool);
  if (first === null || from < first) throw badRequest('before_usage', `No usage before ${first ?? 'now'}: "from" must be ${first ?? 'a month with usage'} or later`);
}

export async function revenueReport(pool: Pool, from: string, to: string, options: { nowMs: number; recompute?: boolean }): Promise<MonthMetrics[]> {
  await checkRange(pool, from, to, options.nowMs);
  // The month before `from` is the start of the first month's movements.
  if (options.recompute) for (const month of monthRange(addMonths(from, -1), to)) await recomputeMonth(pool, month);
  return growthMetrics(await revenueMonthsThrough(pool, to), from, to);
}

/** Rewrites one month's revenue rows from the stored facts (invoices themselves never change). */
export async function recomputeMonth(pool: Pool, month: string): Promise<void> {
  for (let after: string | null = null; ; ) {
    const ids = await billableCustomerIds(pool, after, 1000);
    if (ids.length === 0) return;
    after = ids[ids.length - 1]!;
    await withTransaction(pool, async (tx) => {
      await replaceRevenueMonths(tx, month, ids, revenueRows(month, await readFacts(tx, ids, month)));
    });
  }
}
