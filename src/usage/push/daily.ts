import { withTransaction } from '../../db/pool.js';
import { enqueue } from '../../store/outbox.js';
import { customersWithUsageOn, dayFigures, upsertDayNotes } from '../../store/usage-day-notes.js';
import { addDays, utcDay } from '../days.js';
import type { UsagePushDeps } from './deps.js';
import { queueCompanyWrites, refreshStaleMonthToDate } from './live.js';
import { dayNoteBody, dayNoteTime } from './summary-note.js';

/**
 * The daily usage run (docs/usage-sync.md "Daily"): month-to-date minutes and spend to every
 * company whose values changed (a new month starts them at 0), and the previous day's *Daily usage
 * summary* note for each customer with usage that day. The note is stored with the day's revision
 * before it is queued, so a redone slot queues nothing new and a later correction edits it.
 */
export async function pushDailyUsage(deps: UsagePushDeps, slotAt: Date): Promise<Record<string, number>> {
  const now = deps.now();
  await refreshStaleMonthToDate(deps, now);
  const companyWrites = await queueCompanyWrites(deps, ['mtd_spend', 'mtd_minutes'], [], now);
  const day = addDays(utcDay(slotAt.getTime()), -1);
  const customers = await customersWithUsageOn(deps.pool, day);
  const figures = await dayFigures(deps.pool, customers.map((customerId) => ({ customerId, day })));
  const notes = figures.map((f) => ({ customerId: f.customerId, day, revision: f.revision, body: dayNoteBody(f, null), noteAt: dayNoteTime(day) }));
  const queued = await withTransaction(deps.pool, async (tx) => {
    const keys = await upsertDayNotes(tx, notes, false);
    await enqueue(tx, keys.map((key) => ({ objectType: 'usage_note', recordKey: key })));
    return keys.length;
  });
  deps.metrics.writes('summary_note', queued);
  return { companyWrites, summaryNotes: queued };
}
