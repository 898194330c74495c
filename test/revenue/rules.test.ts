import { describe, expect, it } from 'vitest';

import { assessChurn, usageTrendPct } from '../../src/revenue/churn.js';
import { growthMetrics } from '../../src/revenue/growth.js';
import { buildInvoice, type RecurringItem } from '../../src/revenue/invoice-lines.js';
import { formatCents, prorate, toCents } from '../../src/revenue/money.js';
import { closedMonthOf, daysActiveIn } from '../../src/revenue/months.js';

const item = (over: Partial<RecurringItem>): RecurringItem => ({ kind: 'trunk', ref: 'trunk_a', label: 'SIP trunk A', monthlyFeeCents: 5000, activeFrom: '2026-01-01', activeUntil: null, ...over });
const noUsage = { spendCents: 0, minutes: 0, smsSent: 0, callsAttempted: 0, callsCompleted: 0 };

describe('revenue rules', () => {
  it('keeps money in integer cents: parsing, formatting and prorating halves away from zero', () => {
    expect([toCents('12.5'), toCents('0.07'), toCents('-3.10'), toCents('7')]).toEqual([1250, 7, -310, 700]);
    expect(() => toCents('1.234')).toThrow();
    expect([formatCents(0), formatCents(-5), formatCents(123456)]).toEqual(['0.00', '-0.05', '1234.56']);
    expect(prorate(100, 1, 2)).toBe(50);
    expect(prorate(1, 1, 2)).toBe(1); // 0.5 cent rounds up
    expect(prorate(-1, 1, 2)).toBe(-1);
    expect(prorate(3000, 16, 31)).toBe(1548);
  });

  it('counts the days an item existed in a month, both ends included, and closes the month before the slot', () => {
    expect(daysActiveIn('2026-02', '2026-01-15', null)).toBe(28);
    expect(daysActiveIn('2026-02', '2026-02-10', '2026-02-10')).toBe(1);
    expect(daysActiveIn('2026-02', '2026-03-01', null)).toBe(0);
    expect(closedMonthOf(Date.parse('2027-01-01T03:00:00Z'))).toBe('2026-12');
  });

  it('builds recurring, usage and adjustment lines whose amounts add up to the total', () => {
    const draft = buildInvoice({
      month: '2026-02',
      items: [
        item({}),
        item({ ref: 'trunk_b', label: 'SIP trunk B', activeFrom: '2026-02-15' }), // 14 of 28 days
        item({ kind: 'number', ref: '+13035550001', label: 'local number', monthlyFeeCents: 100 }),
        item({ kind: 'number', ref: '+13035550002', label: 'local number', monthlyFeeCents: 100 }),
        item({ kind: 'number', ref: '+13035550003', label: 'local number', monthlyFeeCents: 0 }), // free: no line
      ],
      usage: { ...noUsage, spendCents: 1999, minutes: 300.5, smsSent: 4, callsAttempted: 10 },
      lateUsage: [{ serviceMonth: '2026-01', currentCents: 900, billedCents: 1000 }, { serviceMonth: '2025-12', currentCents: 5, billedCents: 5 }],
    });
    expect(draft.lines.map((l) => [l.kind, l.quantity, l.unitCents, l.amountCents, l.serviceMonth])).toEqual([
      ['recurring', 1, 5000, 5000, '2026-02'],
      ['recurring', 1, 2500, 2500, '2026-02'],
      ['recurring', 2, 100, 200, '2026-02'],
      ['usage', 1, 1999, 1999, '2026-02'],
      ['adjustment', 1, -100, -100, '2026-01'],
    ]);
    expect(draft).toMatchObject({ recurringCents: 7700, usageCents: 1999, adjustmentCents: -100, totalCents: 9599 });
    expect(draft.lines[4]!.description).toBe('Usage adjustment for 2026-01: late or re-rated records (10.00 invoiced, 9.00 now)');
  });

  it('assesses churn risk with its reasons', () => {
    expect(usageTrendPct(5800, 10000)).toBe(-42);
    expect(usageTrendPct(100, 0)).toBeNull();
    const calm = { spendCents: 10000, previousSpendCents: 9000, paymentStatus: 'current', contractEnd: null, lastUsageDay: '2026-11-30', openCriticalTickets: 0 };
    expect(assessChurn(calm, '2026-12-01')).toEqual({ usageTrendPct: 11.1, risk: 'low', reasons: [] });
    expect(assessChurn({ ...calm, spendCents: 6000 }, '2026-12-01')).toMatchObject({ risk: 'medium', reasons: ['usage_falling'] });
    expect(assessChurn({ ...calm, paymentStatus: 'past_due', contractEnd: '2027-01-15', lastUsageDay: '2026-11-10' }, '2026-12-01'))
      .toMatchObject({ risk: 'high', reasons: ['past_due', 'contract_ending', 'no_recent_usage'] });
    expect(assessChurn({ ...calm, openCriticalTickets: 2 }, '2026-12-01')).toMatchObject({ risk: 'medium', reasons: ['critical_ticket'] });
  });

  it('classifies MRR movements as ChartMogul does, and they add up to the change', () => {
    const row = (customerId: string, month: string, mrrCents: number) => ({ customerId, month, mrrCents, usageCents: 100 });
    const rows = [
      row('a', '2026-01', 1000), row('b', '2026-01', 2000), row('c', '2026-01', 500),
      row('a', '2026-02', 1500), row('b', '2026-02', 1000), row('d', '2026-02', 700), // c churned, d new
      row('a', '2026-03', 1500), row('b', '2026-03', 1000), row('d', '2026-03', 700), row('c', '2026-03', 400), // c back
    ];
    const [feb, mar] = growthMetrics(rows, '2026-02', '2026-03');
    expect(feb).toMatchObject({
      mrrStartCents: 3500, mrrEndCents: 3200, customersStart: 3, customersEnd: 3, newCustomers: 1, churnedCustomers: 1,
      movements: { newCents: 700, expansionCents: 500, contractionCents: 1000, churnCents: 500, reactivationCents: 0 },
      customerChurnRatePct: 33.3, netRevenueRetentionPct: 71.4, usageRevenueCents: 300,
    });
    const m = feb!.movements;
    expect(feb!.mrrStartCents + m.newCents + m.expansionCents + m.reactivationCents - m.contractionCents - m.churnCents).toBe(feb!.mrrEndCents);
    expect(mar).toMatchObject({ movements: { reactivationCents: 400, newCents: 0 }, reactivatedCustomers: 1, netRevenueRetentionPct: 100 });
  });
});
