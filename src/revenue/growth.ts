import type { RevenueMonthRow } from '../store/revenue-months.js';
import { type Cents, formatCents } from './money.js';
import { addMonths, monthRange } from './months.js';

/**
 * Growth metrics of the whole book per closed month (docs/revenue.md "Growth metrics"), from each
 * customer's MRR at the end of every month, with ChartMogul's movement rules: a customer whose MRR
 * goes from 0 to more is *new* the first time and *reactivation* after that; from more to 0 is
 * *churn* (the whole amount); up or down between two non-zero values is *expansion* or
 * *contraction*. MRR at the start + new + expansion + reactivation − contraction − churn = MRR at
 * the end, exactly (integer cents).
 */

export interface MonthMetrics {
  month: string;
  mrrStartCents: Cents;
  mrrEndCents: Cents;
  movements: { newCents: Cents; expansionCents: Cents; contractionCents: Cents; churnCents: Cents; reactivationCents: Cents };
  customersStart: number;
  customersEnd: number;
  newCustomers: number;
  churnedCustomers: number;
  reactivatedCustomers: number;
  /** Churned ÷ paying customers at the start (B2B formula; monthly granularity), in percent; null without any. */
  customerChurnRatePct: number | null;
  /** (start MRR of the paying customers at the start + expansion − contraction − churn among them) ÷ start MRR, in percent. */
  netRevenueRetentionPct: number | null;
  usageRevenueCents: Cents;
}

const pct = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : Math.round((numerator * 1000) / denominator) / 10;

export function growthMetrics(rows: readonly RevenueMonthRow[], from: string, to: string): MonthMetrics[] {
  const mrr = new Map<string, Map<string, Cents>>(); // month → customer → cents
  const usage = new Map<string, Cents>();
  for (const row of rows) {
    const month = mrr.get(row.month) ?? new Map<string, Cents>();
    if (row.mrrCents > 0) month.set(row.customerId, row.mrrCents);
    mrr.set(row.month, month);
    usage.set(row.month, (usage.get(row.month) ?? 0) + row.usageCents);
  }
  const everPaid = new Set<string>();
  const months = [...mrr.keys()].sort();
  for (const month of months) if (month < from) for (const id of mrr.get(month)!.keys()) everPaid.add(id);

  return monthRange(from, to).map((month) => {
    const start = mrr.get(addMonths(month, -1)) ?? new Map<string, Cents>();
    const end = mrr.get(month) ?? new Map<string, Cents>();
    const m: MonthMetrics['movements'] = { newCents: 0, expansionCents: 0, contractionCents: 0, churnCents: 0, reactivationCents: 0 };
    let newCustomers = 0, churned = 0, reactivated = 0;
    for (const [id, before] of start) {
      const after = end.get(id) ?? 0;
      if (after === 0) { m.churnCents += before; churned += 1; }
      else if (after > before) m.expansionCents += after - before;
      else if (after < before) m.contractionCents += before - after;
    }
    for (const [id, after] of end) {
      if (start.has(id)) continue;
      if (everPaid.has(id)) { m.reactivationCents += after; reactivated += 1; }
      else { m.newCents += after; newCustomers += 1; }
    }
    for (const id of end.keys()) everPaid.add(id);
    const mrrStartCents = [...start.values()].reduce((a, b) => a + b, 0);
    const mrrEndCents = [...end.values()].reduce((a, b) => a + b, 0);
    return {
      month, mrrStartCents, mrrEndCents, movements: m,
      customersStart: start.size, customersEnd: end.size, newCustomers, churnedCustomers: churned, reactivatedCustomers: reactivated,
      customerChurnRatePct: pct(churned, start.size),
      netRevenueRetentionPct: pct(mrrStartCents + m.expansionCents - m.contractionCents - m.churnCents, mrrStartCents),
      usageRevenueCents: usage.get(month) ?? 0,
    };
  });
}

/** The metrics as the API and `report revenue --json` show them: amounts as decimal strings. */
export function presentMetrics(metrics: MonthMetrics) {
  const mv = metrics.movements;
  return {
    month: metrics.month,
    mrr: formatCents(metrics.mrrEndCents),
    mrrStart: formatCents(metrics.mrrStartCents),
    movements: {
      new: formatCents(mv.newCents), expansion: formatCents(mv.expansionCents), contraction: formatCents(mv.contractionCents),
      churn: formatCents(mv.churnCents), reactivation: formatCents(mv.reactivationCents),
      net: formatCents(mv.newCents + mv.expansionCents + mv.reactivationCents - mv.contractionCents - mv.churnCents),
    },
    customers: metrics.customersEnd,
    newCustomers: metrics.newCustomers,
    churnedCustomers: metrics.churnedCustomers,
    reactivatedCustomers: metrics.reactivatedCustomers,
    customerChurnRatePct: metrics.customerChurnRatePct,
    netRevenueRetentionPct: metrics.netRevenueRetentionPct,
    usageRevenue: formatCents(metrics.usageRevenueCents),
  };
}
export type MetricsView = ReturnType<typeof presentMetrics>;
