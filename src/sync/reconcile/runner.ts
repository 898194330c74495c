import { type Pool, type Queryable, withTransaction } from '../../db/pool.js';
import { isHubSpotError, RATE_LIMIT_POLICIES } from '../../hubspot/gateway.js';
import { SEARCH_MAX_RESULTS } from '../../hubspot/search.js';
import type { Logger } from '../../lib/logger.js';
import { unseenRows, warpKeysOf } from '../../store/reconcile-marks.js';
import { advanceWatermark, commitPage, readWatermark, type ReconcileRun } from '../../store/reconcile-runs.js';
import type { InboundHooks } from '../inbound/apply-field.js';
import { compareCachePage } from './cache-pages.js';
import { RECONCILE_CATALOGUE, type ReconcileEntry } from './catalogue.js';
import type { PageContext, PageWork } from './page-context.js';
import { type DriftReport, mergeReport, objectReport, sample } from './report.js';
import type { ReconcileRecord, ReconcileSource, SourcePage } from './source.js';
import { sweepUnseen } from './sweep.js';
import { compareTicketPage } from './ticket-pages.js';
import { compareWarpPage } from './warp-pages.js';

/**
 * Drives one reconcile run, page by page. Each page (a list page of 100, search pages of up to
 * 1,000 records, or 500 unmarked rows of the sweep) is compared against a few set-based reads, then
 * committed: its marks, the run's cursor and report in one statement, or, when the page has
 * repairs, in the one transaction that makes them. A crash or a restart continues from the last
 * committed page: only the pages in flight are read again (at most three: the one committing, the
 * one compared and the one read ahead; a stop lets the commit in flight finish).
 *
 * Per type, a full run lists every record, then sweeps the rows it did not mark. An incremental
 * run searches `lastmodifieddate` from the watermark minus the search-index lag, ascending, in
 * windows below the 10,000-result cap: when a window fills up at timestamp T, the records at T are
 * walked on their own by `hs_object_id` (there may be more than 10,000 of them), then the window
 * goes on after T (docs/hubspot-facts.md "Records, batches, search").
 */

export type TypeCursor =
  | { phase: 'list'; after?: string }
  | { phase: 'sweep'; afterRowId: string }
  | {
      phase: 'search';
      fromMs: number;
      toMs: number;
      equal: boolean;
      afterId?: string;
      after?: string;
      /**
       * Ids already compared at the latest timestamp of the window: a window that fills up walks
       * that timestamp again by id, and skips these (at most 10,000, the size of one window).
       */
      seenAt?: { ms: number; ids: string[] };
    }
  | { phase: 'done' };

export interface RunnerDeps {
  pool: Pool;
  logger: Logger;
  source: ReconcileSource;
  hooks: InboundHooks;
  /** How far before the watermark an incremental search starts, for records the search index shows late. */
  searchLagMs: number;
  /** First incremental run of a type without a watermark: how far back it looks. */
  firstLookbackMs: number;
}

/** The run reached the part of the daily quota kept for higher priorities: it pauses until `until`. */
export class ReconcilePaused extends Error {
  constructor(readonly until: Date) {
    super(`HubSpot daily quota reserved for higher priorities; reconcile paused until ${until.toISOString()}`);
  }
}

const SWEEP_PAGE = 500;

export async function executeRun(deps: RunnerDeps, run: ReconcileRun, signal: AbortSignal): Promise<void> {
  const startedAt = run.startedAt ?? new Date();
  const cursors = run.cursors as Record<string, TypeCursor>;
  const report = normalise(run.report);
  let requests = run.requests;
  const entries = RECONCILE_CATALOGUE.filter((e) => run.objects.includes(e.objectType));
  // The commit of the previous page, in flight while this one is compared (pages commit in order).
  let committing: Promise<void> = Promise.resolve();
  /** Commits a page: its repairs, marks, watermark, and the run's cursors and report as of this page. */
  const commit = async (entry: ReconcileEntry, work: PageWork, delta: DriftReport, progress: { cursors: Record<string, TypeCursor>; requests: number }, watermark: Date | null) => {
    const save = (db: Queryable) => {
      mergeReport(report, delta);
      return commitPage(db, run.id, { ...progress, report }, work.marks);
    };
    // A page without repairs is committed by one statement; one with repairs in their transaction.
    if (work.repair === null && watermark === null) return save(deps.pool);
    await withTransaction(deps.pool, async (tx) => {
      await work.repair?.(tx);
      if (watermark) await advanceWatermark(tx, entry.objectType, watermark);
      await save(tx);
    });
  };
  try {
    for (const entry of entries) {
      let cursor = cursors[entry.objectType] ?? (await initialCursor(deps, run, entry, startedAt));
      // The next list page is read while this one is compared and the previous one committed, so
      // HubSpot's latency, the comparison's reads and the commits overlap (after a crash, the
      // pages in flight are read again).
      let prefetched: { after: string; page: Promise<Read> } | null = null;
      while (cursor.phase !== 'done') {
        signal.throwIfAborted();
        const listed = new Set(entries.filter((e) => e.objectType !== entry.objectType && cursors[e.objectType]?.phase === 'done').map((e) => e.objectType));
        if (cursor.phase === 'sweep') listed.add(entry.objectType);
        const page: Read | null =
          cursor.phase === 'sweep'
            ? null
            : cursor.phase === 'list' && prefetched && prefetched.after === cursor.after
              ? await prefetched.page
              : await read(deps, entry, cursor, signal);
        prefetched = null;
        if (cursor.phase === 'list' && page?.after) {
          const after: string = page.after;
          prefetched = { after, page: read(deps, entry, { phase: 'list', after }, signal) };
          prefetched.page.catch(() => undefined); // awaited (and rethrown) on the next turn
        }
        const current: TypeCursor = cursor;
        // Each page counts into a report of its own, added to the run's when it commits.
        const delta: DriftReport = { objects: {}, associations: {} };
        const ctx: PageContext = { db: deps.pool, runId: run.id, mode: run.mode, dryRun: run.dryRun, report: delta, hooks: deps.hooks, listed, startedAt };
        let work: PageWork;
        let next: TypeCursor;
        if (current.phase === 'sweep') {
          // The sweep reads the marks: every list page is committed first.
          await committing;
          const rows = await unseenRows(deps.pool, entry.objectType, run.id, startedAt, current.afterRowId, SWEEP_PAGE);
          work = { marks: null, repair: sweepUnseen(ctx, entry, rows) };
          next = rows.length < SWEEP_PAGE ? { phase: 'done' } : { phase: 'sweep', afterRowId: rows.at(-1)!.rowId };
        } else {
          work = await comparePage(ctx, entry, current.phase === 'search' ? unseen(entry, current, page!) : page!);
          requests += page!.requests;
          next = nextCursor(entry, current, page!);
        }
        // A full run compared everything up to its start; an incremental one its window.
        const watermark = next.phase === 'done' && !run.dryRun ? (current.phase === 'search' ? new Date(current.toMs) : startedAt) : null;
        cursors[entry.objectType] = next;
        const progress = { cursors: { ...cursors }, requests };
        await committing;
        committing = commit(entry, work, delta, progress, watermark);
        committing.catch(() => undefined); // awaited (and rethrown) before the next commit
        // Only list pages overlap their commit with the next page; the rest commit before going on.
        if (current.phase !== 'list' || next.phase !== 'list') await committing;
        cursor = next;
      }
    }
  } finally {
    // A failure or a stop still lets the page being committed finish (its error, if any, is the one thrown otherwise).
    await committing.catch(() => undefined);
  }
  await committing;
}

function normalise(raw: Record<string, unknown>): DriftReport {
  const report = raw as Partial<DriftReport>;
  return { objects: report.objects ?? {}, associations: report.associations ?? {} };
}

async function initialCursor(deps: RunnerDeps, run: ReconcileRun, entry: ReconcileEntry, startedAt: Date): Promise<TypeCursor> {
  if (run.mode === 'full') return { phase: 'list' };
  const watermark = await readWatermark(deps.pool, entry.objectType);
  const fromMs = watermark ? watermark.getTime() - deps.searchLagMs : startedAt.getTime() - deps.firstLookbackMs;
  return { phase: 'search', fromMs, toMs: startedAt.getTime(), equal: false };
}

type Read = SourcePage & { after: string | undefined };

async function read(deps: RunnerDeps, entry: ReconcileEntry, cursor: Exclude<TypeCursor, { phase: 'sweep' | 'done' }>, signal: AbortSignal): Promise<Read> {
  try {
    if (cursor.phase === 'list') return await deps.source.listPage(entry, cursor.after, signal);
    return await deps.source.searchPage(entry, { fromMs: cursor.fromMs, toMs: cursor.toMs, equal: cursor.equal, afterId: cursor.afterId, after: cursor.after }, signal);
  } catch (error) {
    if (isHubSpotError(error, 'rate_limited') && error.policy === RATE_LIMIT_POLICIES.daily) {
      throw new ReconcilePaused(new Date(Date.now() + (error.retryAfterMs ?? 3_600_000)));
    }
    throw error;
  }
}

async function comparePage(ctx: PageContext, entry: ReconcileEntry, page: Read): Promise<PageWork> {
  const report = objectReport(ctx.report, entry.objectType);
  for (const bad of page.invalid) {
    report.invalid++;
    sample(report, bad.id ?? null, bad.reason);
  }
  const work =
    entry.side === 'cache'
      ? await compareCachePage(ctx, { ...entry, objectType: entry.objectType }, page.records)
      : entry.side === 'tickets'
        ? await compareTicketPage(ctx, page.records)
        : await compareWarpPage(ctx, { ...entry, objectType: entry.objectType }, page.records);
  // A record that failed validation was listed all the same: its row is marked, or the sweep would
  // take it for deleted in HubSpot (a cache row marked deleted, a trunk or number recreated).
  const unreadable = page.invalid.flatMap((bad) => (bad.id === undefined ? [] : [bad.id]));
  if (!work.marks || unreadable.length === 0) return work;
  const seen = entry.side === 'warp' ? await warpKeysOf(ctx.db, entry.objectType, unreadable) : unreadable;
  return { ...work, marks: { ...work.marks, seen: [...work.marks.seen, ...seen] } };
}

const modifiedMs = (entry: ReconcileEntry, record: ReconcileRecord): number => {
  const raw = record.properties[entry.lastModifiedProperty] ?? record.updatedAt;
  return /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
};

type SearchCursor = Extract<TypeCursor, { phase: 'search' }>;

/** The page without the records this window compared already (only possible when it walks a full timestamp again). */
function unseen(entry: ReconcileEntry, cursor: SearchCursor, page: Read): Read {
  const seen = cursor.seenAt;
  if (!seen) return page;
  const ids = new Set(seen.ids);
  return { ...page, records: page.records.filter((r) => !(ids.has(r.id) && modifiedMs(entry, r) === seen.ms)) };
}

/** The window's ids at its latest timestamp, after this page. */
function seenAfter(entry: ReconcileEntry, cursor: SearchCursor, page: Read): SearchCursor['seenAt'] {
  let seen = cursor.seenAt;
  for (const record of page.records) {
    const ms = modifiedMs(entry, record);
    if (!seen || ms > seen.ms) seen = { ms, ids: [record.id] };
    else if (ms === seen.ms) seen = { ms, ids: [...seen.ids, record.id] };
  }
  return seen;
}

function nextCursor(entry: ReconcileEntry, cursor: Exclude<TypeCursor, { phase: 'sweep' | 'done' }>, page: Read): TypeCursor {
  if (cursor.phase === 'list') return page.after ? { phase: 'list', after: page.after } : { phase: 'sweep', afterRowId: '0' };
  const { fromMs, toMs } = cursor;
  const capped = page.after !== undefined && Number(page.after) >= SEARCH_MAX_RESULTS;
  if (cursor.equal) {
    // The records at one timestamp, by id: a new query past the last id when this one is used up.
    if (page.after && !capped) return { ...cursor, after: page.after };
    if (capped) return { ...cursor, afterId: page.records.at(-1)?.id ?? cursor.afterId, after: undefined };
    return { phase: 'search', fromMs: fromMs + 1, toMs, equal: false };
  }
  const seenAt = seenAfter(entry, cursor, page);
  if (page.after && !capped) return { ...cursor, after: page.after, ...(seenAt ? { seenAt } : {}) };
  if (!capped || !seenAt) return { phase: 'done' };
  // The window is full: walk its last timestamp on its own (by id), then go on after it.
  return { phase: 'search', fromMs: seenAt.ms, toMs, equal: true, seenAt };
}

