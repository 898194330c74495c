/** UTC calendar helpers: usage days and months are UTC (docs/usage.md "Roll-ups"). Days are `YYYY-MM-DD`. */

export const DAY_MS = 86_400_000;

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const dayStartMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

export const addDays = (day: string, days: number): string => utcDay(dayStartMs(day) + days * DAY_MS);

/** The first day whose raw records are kept: today minus the retention. */
export const retentionCutoffDay = (nowMs: number, retentionDays: number): string => addDays(utcDay(nowMs), -retentionDays);

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** `YYYY-MM` of every month that overlaps `from`…`to`. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let month = from.slice(0, 7); month <= to.slice(0, 7); ) {
    months.push(month);
    const [y, m] = month.split('-').map(Number) as [number, number];
    month = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  }
  return months;
}
