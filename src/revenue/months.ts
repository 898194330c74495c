/** UTC months as `YYYY-MM` (revenue months are UTC, as usage months are). */

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const isMonth = (value: string): boolean => MONTH.test(value);

function parts(month: string): [number, number] {
  const match = MONTH.exec(month);
  if (!match) throw new Error(`Not a month YYYY-MM: ${JSON.stringify(month)}`);
  return [Number(match[1]), Number(match[2])];
}

export function addMonths(month: string, count: number): string {
  const [year, m] = parts(month);
  const index = year * 12 + (m - 1) + count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The month a time falls in (UTC). */
export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** The month a slot of the monthly schedule closes: the one before the slot's month. */
export const closedMonthOf = (slotMs: number): string => addMonths(monthOf(slotMs), -1);

export const firstDay = (month: string): string => `${month}-01`;

export function daysInMonth(month: string): number {
  const [year, m] = parts(month);
  return new Date(Date.UTC(year, m, 0)).getUTCDate();
}

export const lastDay = (month: string): string => `${month}-${String(daysInMonth(month)).padStart(2, '0')}`;

/** Every month from `from` to `to`, both included. */
export function monthRange(from: string, to: string): string[] {
  const months: string[] = [];
  for (let month = from; month <= to; month = addMonths(month, 1)) months.push(month);
  return months;
}

/** Days of `month` within [fromDay, untilDay] (both `YYYY-MM-DD`, inclusive; untilDay null = open). */
export function daysActiveIn(month: string, fromDay: string, untilDay: string | null): number {
  const start = fromDay > firstDay(month) ? fromDay : firstDay(month);
  const end = untilDay === null || untilDay > lastDay(month) ? lastDay(month) : untilDay;
  if (start > end) return 0;
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
}
