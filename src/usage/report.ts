import type { Queryable } from '../db/pool.js';
import { customerUsageByDay, customerUsageByMonth, type PeriodRow, trunkUsage } from '../store/usage-reads.js';
import { DAY_MS, dayStartMs, daysBetween, monthsBetween } from './days.js';

/**
 * The usage figures of the read API (docs/usage.md "Figures"), one
 * entry per period of the range, zero-filled, with the ratios derived from the additive sums.
 */

export interface UsageFigures {
  period: string;
  calls_attempted: number;
  calls_completed: number;
  minutes_used: number;
  sms_sent: number;
  /** Decimal string, at least two places. */
  spend: string;
  /** Answered outbound ÷ outbound attempts; null without attempts. */
  asr: number | null;
  /** Minutes per answered outbound call; null without one. */
  acd: number | null;
  billable_seconds: number;
  outbound_answered: number;
}

export interface TrunkUsageFigures extends UsageFigures {
  peak_active_calls: number | null;
  /** Peak active calls ÷ the trunk's concurrent_calls; null without samples. */
  utilization: number | null;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** `12.3400000000` → `12.34`, `5` → `5.00`: exact, only trailing zeros go. */
export function presentMoney(decimal: string): string {
  const [whole, fraction = ''] = decimal.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}.${trimmed.padEnd(2, '0')}`;
}

const EMPTY = {
  calls_attempted: 0,
  calls_completed: 0,
  outbound_answered: 0,
  outbound_answered_seconds: 0,
  billable_seconds: 0,
  sms_sent: 0,
  spend: '0',
};

export function presentFigures(period: string, row: PeriodRow | undefined): UsageFigures {
  const r = row ?? { period, ...EMPTY };
  return {
    period,
    calls_attempted: r.calls_attempted,
    calls_completed: r.calls_completed,
    minutes_used: round(r.billable_seconds / 60, 2),
    sms_sent: r.sms_sent,
    spend: presentMoney(r.spend),
    asr: r.calls_attempted > 0 ? round(r.outbound_answered / r.calls_attempted, 4) : null,
    acd: r.outbound_answered > 0 ? round(r.outbound_answered_seconds / r.outbound_answered / 60, 2) : null,
    billable_seconds: r.billable_seconds,
    outbound_answered: r.outbound_answered,
  };
}

function fill<T>(periods: readonly string[], rows: readonly PeriodRow[], present: (period: string, row: PeriodRow | undefined) => T): T[] {
  const byPeriod = new Map(rows.map((r) => [r.period, r]));
  return periods.map((period) => present(period, byPeriod.get(period)));
}

export async function customerUsage(db: Queryable, customerId: string, from: string, to: string, granularity: 'day' | 'month'): Promise<UsageFigures[]> {
  if (granularity === 'day') return fill(daysBetween(from, to), await customerUsageByDay(db, customerId, from, to), presentFigures);
  return fill(monthsBetween(from, to), await customerUsageByMonth(db, customerId, from, to), presentFigures);
}

const hoursOf = (from: string, to: string): string[] =>
  daysBetween(from, to).flatMap((day) => Array.from({ length: 24 }, (_, h) => `${day}T${String(h).padStart(2, '0')}:00:00Z`));

export async function trunkUsageReport(
  db: Queryable,
  trunk: { id: string; concurrentCalls: number },
  from: string,
  to: string,
  granularity: 'hour' | 'day',
): Promise<TrunkUsageFigures[]> {
  const periods = granularity === 'hour' ? hoursOf(from, to) : daysBetween(from, to);
  return fill(periods, await trunkUsage(db, trunk.id, from, to, granularity), (period, row) => {
    const peak = row?.peakActiveCalls ?? null;
    return { ...presentFigures(period, row), peak_active_calls: peak, utilization: peak === null ? null : round(peak / trunk.concurrentCalls, 4) };
  });
}

/** Largest range a request may ask for, by granularity (rows returned stay bounded). */
export const MAX_RANGE_DAYS = { hour: 31, day: 366, month: 3660 } as const;

export const rangeDays = (from: string, to: string): number => (dayStartMs(to) - dayStartMs(from)) / DAY_MS + 1;
