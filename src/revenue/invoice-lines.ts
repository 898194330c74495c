import { type Cents, formatCents, prorate, sumCents } from './money.js';
import { daysActiveIn, daysInMonth, lastDay } from './months.js';

/**
 * The lines of one customer's invoice for a closed month, from the facts month close read
 * (docs/revenue.md "Invoices"): pure, so the rules are tested without a database.
 */

/** A trunk or number that charges a monthly fee while it exists. Days are UTC `YYYY-MM-DD`. */
export interface RecurringItem {
  kind: 'trunk' | 'number';
  /** trunk_… or the E.164 number (never sent anywhere as personal data: numbers are WARP's inventory). */
  ref: string;
  /** What the line says, e.g. "SIP trunk Acme Berlin" or "local number". */
  label: string;
  monthlyFeeCents: Cents;
  /** First day it existed. */
  activeFrom: string;
  /** Last day it existed (deleted or released that day); null while it still exists. */
  activeUntil: string | null;
}

export interface UsageOfMonth {
  spendCents: Cents;
  minutes: number;
  smsSent: number;
  callsAttempted: number;
  callsCompleted: number;
}

/** An earlier invoiced month whose usage moved after it was invoiced (late or re-rated records). */
export interface LateUsage {
  serviceMonth: string;
  /** The month's spend now, in cents. */
  currentCents: Cents;
  /** What invoices already charged for it (usage line plus earlier adjustments). */
  billedCents: Cents;
}

export interface InvoiceFacts {
  month: string;
  items: readonly RecurringItem[];
  usage: UsageOfMonth;
  lateUsage: readonly LateUsage[];
}

export type LineKind = 'recurring' | 'usage' | 'adjustment';

export interface InvoiceLine {
  lineNo: number;
  kind: LineKind;
  description: string;
  itemRef: string | null;
  serviceMonth: string;
  quantity: number;
  unitCents: Cents;
  amountCents: Cents;
}

export interface InvoiceDraft {
  lines: InvoiceLine[];
  recurringCents: Cents;
  usageCents: Cents;
  adjustmentCents: Cents;
  totalCents: Cents;
}

/** What the fee of an item charges for `month`: prorated by the days it existed in it. */
export function recurringCharge(item: RecurringItem, month: string): { days: number; cents: Cents } {
  const days = daysActiveIn(month, item.activeFrom, item.activeUntil);
  return { days, cents: prorate(item.monthlyFeeCents, days, daysInMonth(month)) };
}

/** The item's fee counts in MRR at the end of `month` when it still existed on the month's last day. */
export const activeAtMonthEnd = (item: RecurringItem, month: string): boolean =>
  item.activeFrom <= lastDay(month) && (item.activeUntil === null || item.activeUntil >= lastDay(month));

/** MRR at the end of the month: full monthly fees of what existed on its last day (never usage). */
export const mrrAtMonthEnd = (items: readonly RecurringItem[], month: string): Cents =>
  sumCents(items.filter((item) => activeAtMonthEnd(item, month)).map((item) => item.monthlyFeeCents));

/** Whether the customer had anything to invoice for the month (charged items, usage or adjustments). */
export function hasActivity(facts: InvoiceFacts): boolean {
  const usage = facts.usage;
  return (
    facts.items.some((item) => recurringCharge(item, facts.month).days > 0) ||
    usage.spendCents !== 0 || usage.callsAttempted + usage.callsCompleted + usage.smsSent > 0 ||
    facts.lateUsage.some((late) => late.currentCents !== late.billedCents)
  );
}

function recurringLines(facts: InvoiceFacts): Array<Omit<InvoiceLine, 'lineNo'>> {
  const monthDays = daysInMonth(facts.month);
  const trunks: Array<Omit<InvoiceLine, 'lineNo'>> = [];
  // Numbers with the same label, fee and days are one line with a quantity (a customer may have hundreds).
  const numberGroups = new Map<string, Omit<InvoiceLine, 'lineNo'>>();
  for (const item of facts.items) {
    const { days, cents } = recurringCharge(item, facts.month);
    if (days === 0 || item.monthlyFeeCents === 0) continue;
    const period = days === monthDays ? 'full month' : `${days} of ${monthDays} days`;
    const fee = `${formatCents(item.monthlyFeeCents)}/month`;
    if (item.kind === 'trunk') {
      trunks.push({ kind: 'recurring', description: `${item.label} (${item.ref}), ${period} at ${fee}`, itemRef: item.ref, serviceMonth: facts.month, quantity: 1, unitCents: cents, amountCents: cents });
      continue;
    }
    const key = `${item.label}|${item.monthlyFeeCents}|${days}`;
    const group = numberGroups.get(key);
    if (group) {
      group.quantity += 1;
      group.amountCents += cents;
      group.itemRef = null;
    } else {
      numberGroups.set(key, { kind: 'recurring', description: `${item.label}, ${period} at ${fee}`, itemRef: item.ref, serviceMonth: facts.month, quantity: 1, unitCents: cents, amountCents: cents });
    }
  }
  return [...trunks, ...numberGroups.values()];
}

function usageLine(facts: InvoiceFacts): Omit<InvoiceLine, 'lineNo'> | null {
  const { usage } = facts;
  if (usage.spendCents === 0 && usage.callsAttempted + usage.callsCompleted + usage.smsSent === 0) return null;
  const description = `Usage ${facts.month}: ${usage.minutes} voice minutes, ${usage.smsSent} SMS`;
  return { kind: 'usage', description, itemRef: null, serviceMonth: facts.month, quantity: 1, unitCents: usage.spendCents, amountCents: usage.spendCents };
}

function adjustmentLines(facts: InvoiceFacts): Array<Omit<InvoiceLine, 'lineNo'>> {
  return [...facts.lateUsage]
    .filter((late) => late.currentCents !== late.billedCents)
    .sort((a, b) => a.serviceMonth.localeCompare(b.serviceMonth))
    .map((late) => {
      const delta = late.currentCents - late.billedCents;
      return {
        kind: 'adjustment' as const,
        description: `Usage adjustment for ${late.serviceMonth}: late or re-rated records (${formatCents(late.billedCents)} invoiced, ${formatCents(late.currentCents)} now)`,
        itemRef: null,
        serviceMonth: late.serviceMonth,
        quantity: 1,
        unitCents: delta,
        amountCents: delta,
      };
    });
}

export function buildInvoice(facts: InvoiceFacts): InvoiceDraft {
  const recurring = recurringLines(facts);
  const usage = usageLine(facts);
  const adjustments = adjustmentLines(facts);
  const lines = [...recurring, ...(usage ? [usage] : []), ...adjustments].map((line, i) => ({ ...line, lineNo: i + 1 }));
  const recurringCents = sumCents(recurring.map((l) => l.amountCents));
  const usageCents = usage?.amountCents ?? 0;
  const adjustmentCents = sumCents(adjustments.map((l) => l.amountCents));
  return { lines, recurringCents, usageCents, adjustmentCents, totalCents: recurringCents + usageCents + adjustmentCents };
}
