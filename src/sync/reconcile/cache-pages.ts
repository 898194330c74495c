import { readCachedRecords } from '../../store/cache-records.js';
import { type LinkTarget, linkTargets, markSeen } from '../../store/reconcile-marks.js';
import { applyMergedRecords } from '../inbound/apply-merge.js';
import { applySnapshot } from '../inbound/apply-snapshot.js';
import type { CacheObjectType, ReconcileEntry } from './catalogue.js';
import { sameAs, type PageContext } from './page-context.js';
import { associationReport, count, objectReport, type ObjectReport } from './report.js';
import type { ReconcileRecord } from './source.js';

/**
 * One page of HubSpot's master data (companies, contacts, deals) against the cache, in the page's
 * transaction: merges found in `hs_merged_object_ids`, records the cache lacks, fields that differ
 * and the company a contact or deal belongs to. Only records that differ go through the inbound
 * apply path (ownership rules, conflicts, write-backs, onboarding on a closed-won stage); the rest
 * cost one read and one mark for the whole page.
 */

type CacheEntry = ReconcileEntry & { objectType: CacheObjectType };

const SOURCE = 'reconcile';

export async function reconcileCachePage(ctx: PageContext, entry: CacheEntry, records: readonly ReconcileRecord[]): Promise<void> {
  const { objectType } = entry;
  const report = objectReport(ctx.report, objectType);
  report.read += records.length;
  await applyMerges(ctx, entry, records, report);
  const cached = await readCachedRecords(ctx.tx, objectType, records.map((r) => r.id));
  const pair = objectType === 'company' ? null : `${objectType}→company`;
  const targets = pair
    ? await linkTargets(
        ctx.tx,
        'company',
        [...cached.values()].map((c) => c.values['customer_id']).filter((id): id is string => id !== null && id !== undefined),
        ctx.listed.has('company') ? { runId: ctx.runId, startedAt: ctx.startedAt } : null,
      )
    : new Map<string, LinkTarget>();
  for (const record of records) {
    const row = cached.get(record.id);
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
      const customerId = row.values['customer_id'] ?? null;
      const target = customerId === null ? null : targets.get(customerId);
      if ((target?.hubspotId ?? null) !== expected) {
        // A link to a company deleted or merged in HubSpot follows from that drift.
        if (target?.gone) link.consequential++;
        else link.differing++;
        count(link.actions, 'link as in HubSpot');
        differs = true;
      }
    }
    if (!differs || ctx.dryRun) continue;
    const outcomes = await applySnapshot(ctx.tx, ctx.hooks, objectType, {
      id: record.id,
      properties: apply,
      updatedAt: record.updatedAt,
      ...(record.associated.company ? { companyIds: record.associated.company } : {}),
    }, SOURCE);
    for (const [outcome, n] of Object.entries(outcomes)) if (outcome !== 'no_change') count(report.actions, outcome, n);
  }
  if (ctx.mode === 'full') await markSeen(ctx.tx, objectType, records.map((r) => r.id), ctx.runId);
}

/** Survivors name the records merged into them: live cache rows of those are merged (or, dry, marked as such). */
async function applyMerges(ctx: PageContext, entry: CacheEntry, records: readonly ReconcileRecord[], report: ObjectReport): Promise<void> {
  const mergedInto = new Map<string, string>();
  for (const record of records) {
    for (const id of (record.properties['hs_merged_object_ids'] ?? '').split(';').filter(Boolean)) if (id !== record.id) mergedInto.set(id, record.id);
  }
  if (mergedInto.size === 0) return;
  const rows = await readCachedRecords(ctx.tx, entry.objectType, [...mergedInto.keys()]);
  const live = [...rows.values()].filter((r) => !r.deleted);
  if (live.length === 0) return;
  report.merged += live.length;
  count(report.actions, 'merge in the cache', live.length);
  if (ctx.mode === 'full') await markSeen(ctx.tx, entry.objectType, live.map((r) => r.hubspotId), ctx.runId, true);
  if (ctx.dryRun) return;
  for (const row of live) {
    await applyMergedRecords(ctx.tx, entry.objectType, mergedInto.get(row.hubspotId)!, [row.hubspotId], { source: SOURCE, event: SOURCE, inboxId: null });
  }
}
