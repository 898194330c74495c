import { withTransaction } from '../../db/pool.js';
import { propertiesOf } from '../../domain/crm-catalogue.js';
import { enqueue } from '../../store/outbox.js';
import { dayFigures, upsertDayNotes } from '../../store/usage-day-notes.js';
import { refreshMonthToDate } from '../../store/usage-rollups.js';
import {
  customersWithMonthToDate, lateDaysCursor, lateDaysSince, refreshActiveCalls, setLateDaysCursor, takeChangedCompanies, type UsageCompanyField,
} from '../../store/usage-sync.js';
import type { UsagePushDeps } from './deps.js';
import { applySpendRules } from './spend.js';
import { dayNoteBody, dayNoteTime } from './summary-note.js';

/**
 * The 5-minute usage run (docs/usage-sync.md "Every 5 minutes"): current active calls and
 * month-to-date spend to each company whose value changed, corrections of days whose summary note
 * exists (the note is edited, the month's minutes re-sent), then the spend rules (80 % alert,
 * credit limit, first successful call). Every step is idempotent: a retried or redone slot
 * computes the same current state and queues only what differs from what was queued before.
 */

/** A trunk's latest active-calls sample counts while it is younger than this (switches report about every minute). */
export const ACTIVE_SAMPLE_MAX_AGE_MS = 10 * 60_000;
/** Late-day changes are read again from this long before the last read: a slow ingest commit is not missed. */
const LATE_DAYS_OVERLAP_MS = 10 * 60_000;

/** The HubSpot company property of each usage field, from the CRM catalogue. */
const PROPERTY_OF = Object.fromEntries(propertiesOf('company').flatMap((p) => (p.column === null ? [] : [[p.column, p.name]]))) as Record<UsageCompanyField, string>;

export async function pushLiveUsage(deps: UsagePushDeps, signal: AbortSignal): Promise<Record<string, number>> {
  const now = deps.now();
  await refreshStaleMonthToDate(deps, now);
  const activeChanged = await withTransaction(deps.pool, (tx) => refreshActiveCalls(tx, new Date(now.getTime() - ACTIVE_SAMPLE_MAX_AGE_MS).toISOString(), now.toISOString()));
  const corrections = await correctLateDays(deps, now);
  const companies = await queueCompanyWrites(deps, ['active_calls', 'mtd_spend'], corrections.customersThisMonth, now);
  if (signal.aborted) return { activeChanged, companyWrites: companies, notesCorrected: corrections.notes };
  const spend = await applySpendRules(deps, now);
  return { activeChanged, companyWrites: companies, notesCorrected: corrections.notes, ...spend };
}

/** A new month starts at 0: customers whose month-to-date figures may be last month's are recomputed. */
export async function refreshStaleMonthToDate(deps: UsagePushDeps, now: Date): Promise<void> {
  const customers = await customersWithMonthToDate(deps.pool);
  if (customers.length > 0) await withTransaction(deps.pool, (tx) => refreshMonthToDate(tx, customers, now.toISOString()));
}

/**
 * Companies per transaction of `queueCompanyWrites`. The first run, and the first of each month,
 * finds every company changed: in pages, the process holds one page of them, not every company.
 */
const COMPANY_WRITES_PAGE = 1_000;

/** Queues one company write per customer whose usage values differ from those last queued; returns how many. */
export async function queueCompanyWrites(deps: UsagePushDeps, fields: readonly UsageCompanyField[], minutesOf: readonly string[], now: Date): Promise<number> {
  let total = 0;
  let afterId = '0';
  for (;;) {
    const page = { afterId, limit: COMPANY_WRITES_PAGE };
    const changed = await withTransaction(deps.pool, async (tx) => {
      const rows = await takeChangedCompanies(tx, fields, minutesOf, now.toISOString(), page);
      await enqueue(tx, rows.map((r) => ({ objectType: 'company', recordKey: r.customerId, fields: r.fields.map((f) => PROPERTY_OF[f]) })));
      return rows;
    });
    const queuedAtMs = Date.now();
    for (const row of changed) if (row.fields.includes('mtd_spend')) deps.metrics.queued(row.monthChangedAt, queuedAtMs);
    deps.metrics.writes('company', changed.length);
    total += changed.length;
    if (changed.length < COMPANY_WRITES_PAGE) return total;
    afterId = changed.at(-1)!.customerId;
  }
}

/**
 * Days changed after they ended: their summary note, if one was written, gets the new figures (an
 * edit of the same note); customers with such a day in the current month get their minutes re-sent.
 */
async function correctLateDays(deps: UsagePushDeps, now: Date): Promise<{ notes: number; customersThisMonth: string[] }> {
  const readAt = new Date();
  const since = new Date((await lateDaysCursor(deps.pool)).getTime() - LATE_DAYS_OVERLAP_MS);
  const late = await lateDaysSince(deps.pool, since.toISOString());
  const month = now.toISOString().slice(0, 7);
  const customersThisMonth = [...new Set(late.filter((l) => l.day.startsWith(month)).map((l) => l.customerId))];
  const figures = await dayFigures(deps.pool, late);
  const notes = figures.map((f) => ({ customerId: f.customerId, day: f.day, revision: f.revision, body: dayNoteBody(f, now), noteAt: dayNoteTime(f.day) }));
  const edited = await withTransaction(deps.pool, async (tx) => {
    const keys = await upsertDayNotes(tx, notes, true);
    await enqueue(tx, keys.map((key) => ({ objectType: 'usage_note', recordKey: key })));
    await setLateDaysCursor(tx, readAt);
    return keys.length;
  });
  deps.metrics.writes('summary_note', edited);
  return { notes: edited, customersThisMonth };
}
