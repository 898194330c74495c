import type { ChurnRisk } from '../domain/value-sets.js';
import type { Cents } from './money.js';

/**
 * Churn analysis of one customer at a month close (docs/revenue.md "Churn analysis"): the usage
 * trend and the risk with its reasons. Pure: the facts come from month close.
 */

export const CHURN_REASONS = ['usage_falling', 'past_due', 'contract_ending', 'no_recent_usage', 'critical_ticket'] as const;
export type ChurnReason = (typeof CHURN_REASONS)[number];

/** Usage falling more than this (percent, month over month) is a reason. */
export const FALLING_USAGE_PCT = -30;
export const CONTRACT_ENDING_DAYS = 60;
export const NO_USAGE_DAYS = 14;

export interface ChurnFacts {
  spendCents: Cents;
  previousSpendCents: Cents;
  paymentStatus: string | null;
  /** `YYYY-MM-DD` or null. */
  contractEnd: string | null;
  /** Last day with any calls or messages, or null when there never was one. */
  lastUsageDay: string | null;
  /** Open critical tickets of the customer (ticket cache and WARP's auto-tickets). */
  openCriticalTickets: number;
}

export interface ChurnAssessment {
  /** Spend of the month against the month before, in percent with one decimal; null without a month before. */
  usageTrendPct: number | null;
  risk: ChurnRisk;
  reasons: ChurnReason[];
}

const dayDiff = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** Trend in tenths of a percent from integer cents (rounded half away from zero), as a number. */
export function usageTrendPct(spendCents: Cents, previousCents: Cents): number | null {
  if (previousCents <= 0) return null;
  const tenths = ((spendCents - previousCents) * 1000) / previousCents;
  return Math.sign(tenths) * Math.round(Math.abs(tenths)) / 10;
}

/** `asOfDay`: the day the analysis runs for (the first day after the closed month). */
export function assessChurn(facts: ChurnFacts, asOfDay: string): ChurnAssessment {
  const trend = usageTrendPct(facts.spendCents, facts.previousSpendCents);
  const reasons: ChurnReason[] = [];
  if (trend !== null && trend < FALLING_USAGE_PCT) reasons.push('usage_falling');
  if (facts.paymentStatus === 'past_due') reasons.push('past_due');
  if (facts.openCriticalTickets > 0) reasons.push('critical_ticket');
  if (facts.contractEnd !== null) {
    const left = dayDiff(asOfDay, facts.contractEnd);
    if (left >= 0 && left <= CONTRACT_ENDING_DAYS) reasons.push('contract_ending');
  }
  if (facts.lastUsageDay === null || dayDiff(facts.lastUsageDay, asOfDay) > NO_USAGE_DAYS) reasons.push('no_recent_usage');
  const risk: ChurnRisk = reasons.length === 0 ? 'low' : reasons.length === 1 ? 'medium' : 'high';
  return { usageTrendPct: trend, risk, reasons };
}
