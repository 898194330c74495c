import { parseCronItem, type TimestampDigest } from 'graphile-worker';

/**
 * Cron expressions (5 fields, UTC, minute granularity) parsed by graphile-worker's own parser, so
 * what the settings accept is exactly what its crontab runs. Slot arithmetic for the API and CLI
 * (next run, is this a slot) walks minutes; a year is at most 527,040 of them.
 */

const MINUTE_MS = 60_000;
const YEAR_MINUTES = 366 * 24 * 60;

/** Why `expression` is not a cron expression graphile-worker accepts, or null when it is valid. */
export function cronProblem(expression: string): string | null {
  try {
    parseCronItem({ task: 'check', match: expression });
    return null;
  } catch (error) {
    return (error as Error).message.replace(/ in parseCronItem call/, '');
  }
}

function matcher(expression: string): (at: Date) => boolean {
  const { match } = parseCronItem({ task: 'check', match: expression });
  return (at) => {
    const digest: TimestampDigest = { min: at.getUTCMinutes(), hour: at.getUTCHours(), date: at.getUTCDate(), month: at.getUTCMonth() + 1, dow: at.getUTCDay() };
    return match(digest);
  };
}

const floorToMinute = (at: Date): number => Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS;

/** True when `at` is exactly one of the expression's slots (a whole minute it names). */
export function isSlot(expression: string, at: Date): boolean {
  return at.getTime() % MINUTE_MS === 0 && matcher(expression)(at);
}

/** The first slot strictly after `after`, or null when none falls within a year (e.g. 31 February). */
export function nextSlot(expression: string, after: Date): Date | null {
  const matches = matcher(expression);
  const start = floorToMinute(after) + MINUTE_MS;
  for (let i = 0; i < YEAR_MINUTES; i++) {
    const at = new Date(start + i * MINUTE_MS);
    if (matches(at)) return at;
  }
  return null;
}

/** The latest slot at or before `atOrBefore`, or null when none falls within the year before. */
export function previousSlot(expression: string, atOrBefore: Date): Date | null {
  const matches = matcher(expression);
  const start = floorToMinute(atOrBefore);
  for (let i = 0; i < YEAR_MINUTES; i++) {
    const at = new Date(start - i * MINUTE_MS);
    if (matches(at)) return at;
  }
  return null;
}
