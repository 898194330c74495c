import type { CachedRecord } from '../../store/cache-records.js';
import { type CachePageRow, readCachePage } from '../../store/reconcile-marks.js';
import { applyMergedRecords } from '../inbound/apply-merge.js';
import { applySnapshot } from '../inbound/apply-snapshot.js';
import type { CrmRecord } from '../inbound/crm-reader.js';
import type { CacheObjectType, ReconcileEntry } from './catalogue.js';
import { type PageContext, type PageWork, sameAs } from './page-context.js';
import { associationReport, count, objectReport, type ObjectReport } from './report.js';
import type { ReconcileRecord } from './source.js';

/**
 * One page of HubSpot's master data (companies, contacts, deals) against the cache: merges found in
 * `hs_merged_object_ids`, records the cache lacks, fields that differ and the company a contact or
 * deal belongs to. The page's cache rows (with their companies) are read in one query; only records
 * that differ go through the inbound apply path (ownership rules, conflicts, write-backs,
 * onboarding on a closed-won stage) in the repair, the rest cost nothing beyond the page's mark.
 */

type CacheEntry = ReconcileEntry & { objectType: CacheObjectType };

const SOURCE = 'reconcile';

export async function compareCachePage(ctx: PageContext, entry: CacheEntry, records: readonly ReconcileRecord[]): Promise<PageWork> {
  const { objectType } = entry;
  const report = objectReport(ctx.report, objectType);
  report.read += records.length;
  const mergedInto = mergedIds(records);
  const rows = await readCachePage(
    ctx.db,
    objectType,
    [...records.map((r) => r.id), ...mergedInto.keys()],
    ctx.listed.has('company') ? { runId: ctx.runId, startedAt: ctx.startedAt } : null,
  );
  const merged = [...mergedInto.keys()].map((id) => rows.get(id)?.record).filter((r): r is CachedRecord => r !== undefined && !r.deleted);
  if (merged.length > 0) {
    report.merged += merged.length;
    count(report.actions, 'merge in the cache', merged.length);
  }
  const pair = objectType === 'company' ? null : `${objectType}→company`;
  const snapshots: CrmRecord[] = [];
  for (const record of records) {
    // A survivor the cache lacks takes over the row of a record merged into it (the merge moves it).
    const cached = rows.get(record.id) ?? survivorRow(rows, mergedInto, record.id);
    const row = cached?.record;
    let differs = false;
    // What goes through the apply path: every property of a record new to the cache, else only those that differ.
    let apply: Record<string, string | null> = {};
    if (!row || row.deleted) {
      count(report.actions, row ? 'restore in the cache' : 'create in the cache');
      report.created++;
      differs = true;
      apply = record.properties;
    } else {
      // WARP-owned fields mean something only on WARP's records (a company with a BAN, a contact that is a WARP user).
      const warpRecord = row.values[objectType === 'company' ? 'ban' : 'user_id'] != null;
      const fields = entry.properties.filter(
        (p) => p.column !== null && (p.owner === 'hubspot' || warpRecord) && !sameAs(p, record.properties[p.name], row.values[p.column] ?? null),
      );
      for (const p of fields) count(report.fields, p.name);
      if (fields.length > 0) report.changed++;
      differs = fields.length > 0;
      apply = Object.fromEntries(fields.map((p) => [p.name, record.properties[p.name] ?? null]));
    }
    if (pair && row && !row.deleted) {
      const link = associationReport(ctx.report, pair);
      link.compared++;
      const expected = record.associated.company?.[0] ?? null;
      const target = cached?.company ?? null;
      if ((target?.hubspotId ?? null) !== expected) {
        // A link to a company deleted or merged in HubSpot follows from that drift.
        if (target?.gone) link.consequential++;
        else link.differing++;
        count(link.actions, 'link as in HubSpot');
        differs = true;
      }
    }
    if (!differs) continue;
    snapshots.push({ id: record.id, properties: apply, updatedAt: record.updatedAt, ...(record.associated.company ? { companyIds: record.associated.company } : {}) });
  }
  const marks = ctx.mode === 'full' ? { type: objectType, seen: records.map((r) => r.id), merged: merged.map((r) => r.hubspotId) } : null;
  if (ctx.dryRun || (merged.length === 0 && snapshots.length === 0)) return { marks, repair: null };
  return {
    marks,
    repair: async (tx) => {
      for (const row of merged) {
        await applyMergedRecords(tx, objectType, mergedInto.get(row.hubspotId)!, [row.hubspotId], { source: SOURCE, event: SOURCE, inboxId: null });
      }
      for (const snapshot of snapshots) countOutcomes(report, await applySnapshot(tx, ctx.hooks, objectType, snapshot, SOURCE));
    },
  };
}

/** Survivors name the records merged into them: merged id → survivor id. */
function mergedIds(records: readonly ReconcileRecord[]): Map<string, string> {
  const mergedInto = new Map<string, string>();
  for (const record of records) {
    for (const id of (record.properties['hs_merged_object_ids'] ?? '').split(';').filter(Boolean)) if (id !== record.id) mergedInto.set(id, record.id);
  }
  return mergedInto;
}

function survivorRow(rows: ReadonlyMap<string, CachePageRow>, mergedInto: ReadonlyMap<string, string>, survivorId: string): CachePageRow | undefined {
  for (const [mergedId, into] of mergedInto) {
    const row = into === survivorId ? rows.get(mergedId) : undefined;
    if (row && !row.record.deleted) return row;
  }
  return undefined;
}

function countOutcomes(report: ObjectReport, outcomes: Record<string, number | undefined>): void {
  for (const [outcome, n] of Object.entries(outcomes)) if (outcome !== 'no_change' && n) count(report.actions, outcome, n);
}
