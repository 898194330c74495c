/**
 * Money in integer cents (minor units) inside the revenue code; decimal strings with two places at
 * the edges (PostgreSQL numeric(14,2), the API, HubSpot). Never floating point for amounts.
 */

export type Cents = number;

/** "123.45" / "-0.50" / "7" → cents; refuses anything that is not an exact amount in cents. */
export function toCents(decimal: string): Cents {
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(decimal.trim());
  if (!match) throw new Error(`Not an amount in cents: ${JSON.stringify(decimal)}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) throw new Error(`Amount out of range: ${decimal}`);
  return match[1] && cents !== 0 ? -cents : cents;
}

/** cents → "123.45" (two places, a leading minus when negative). */
export function formatCents(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new Error(`Not a whole number of cents: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** round(amount × numerator ÷ denominator) to whole cents, halves away from zero, in integers only. */
export function prorate(cents: Cents, numerator: number, denominator: number): Cents {
  const scaled = Math.abs(cents) * numerator;
  const rounded = Math.floor((2 * scaled + denominator) / (2 * denominator));
  return cents < 0 ? -rounded : rounded;
}

export const sumCents = (values: Iterable<Cents>): Cents => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};
