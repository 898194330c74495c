import { findAccounts } from '../../store/accounts.js';
import { findNumbers, type PhoneNumber } from '../../store/numbers.js';
import { enqueue } from '../../store/outbox.js';
import { forgetHubspotIds, linkTargets, markSeen } from '../../store/reconcile-marks.js';
import { findTrunks, type Trunk } from '../../store/trunks.js';
import { numberProperties, type OutgoingProperties, trunkProperties } from '../outbound/mapping.js';
import type { ReconcileEntry, ReconcileObjectType, WarpObjectType } from './catalogue.js';
import { sameAs, type PageContext } from './page-context.js';
import { associationReport, count, objectReport, sample } from './report.js';
import type { ReconcileRecord } from './source.js';

/**
 * One page of WARP's own records in HubSpot (trunks, numbers) against WARP's tables, in the page's
 * transaction. WARP owns every field and link, so a difference is repaired by queueing the record's
 * outbound sync: an edited field is written back; a lost company association is made again by
 * forgetting the stored HubSpot id, so the sync upserts and associates it as new (numbers are
 * re-linked to their trunk on every sync). A record HubSpot has that WARP does not know is
 * reported, never deleted.
 */

type WarpEntry = ReconcileEntry & { objectType: WarpObjectType };

interface Expected {
  key: string;
  properties: OutgoingProperties;
  /** HubSpot ids the record should be associated with, per target, with the target's row id. */
  links: Array<{ target: 'company' | 'trunk'; rowId: string | null; hubspotId: string | null }>;
}

/** WARP's view of each record of the page, by its key (trunk id, number); unknown or deleted keys are absent. */
async function expectedRecords(ctx: PageContext, objectType: WarpObjectType, keys: string[]): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  const live = <T extends { deletedAt: Date | null }>(rows: T[]) => rows.filter((r) => r.deletedAt === null);
  const rows: Array<Trunk | PhoneNumber> =
    objectType === 'trunk' ? live(await findTrunks(ctx.tx, keys)) : live(await findNumbers(ctx.tx, keys)).filter((n) => n.status !== 'released');
  const accounts = new Map((await findAccounts(ctx.tx, [...new Set(rows.map((r) => r.customerId))])).map((a) => [a.id, a]));
  const routed = objectType === 'number' ? (rows as PhoneNumber[]).map((n) => n.trunkId).filter((t): t is string => t !== null) : [];
  const trunks = new Map((routed.length > 0 ? await findTrunks(ctx.tx, routed) : []).map((t) => [t.trunkId, t]));
  for (const row of rows) {
    const account = accounts.get(row.customerId);
    if (!account) continue;
    const company = { target: 'company' as const, rowId: account.id, hubspotId: account.hubspotCompanyId };
    if (objectType === 'trunk') {
      const trunk = row as Trunk;
      out.set(trunk.trunkId, { key: trunk.trunkId, properties: trunkProperties(trunk, account), links: [company] });
    } else {
      const number = row as PhoneNumber;
      const trunk = number.trunkId === null ? undefined : trunks.get(number.trunkId);
      const links = [company, ...(trunk ? [{ target: 'trunk' as const, rowId: trunk.id, hubspotId: trunk.hubspotObjectId }] : [])];
      out.set(number.number, { key: number.number, properties: numberProperties(number, account), links });
    }
  }
  return out;
}

export async function reconcileWarpPage(ctx: PageContext, entry: WarpEntry, records: readonly ReconcileRecord[]): Promise<void> {
  const { objectType } = entry;
  const report = objectReport(ctx.report, objectType);
  report.read += records.length;
  const keyProperty = objectType === 'trunk' ? 'trunk_id' : 'number';
  const keyed = records.map((r) => ({ record: r, key: r.properties[keyProperty] ?? '' }));
  for (const { record } of keyed.filter((k) => k.key === '')) {
    report.invalid++;
    sample(report, record.id, `no ${keyProperty}`);
  }
  const expected = await expectedRecords(ctx, objectType, keyed.map((k) => k.key).filter(Boolean));
  const listedBy = (type: ReconcileObjectType) => (ctx.listed.has(type) ? { runId: ctx.runId, startedAt: ctx.startedAt } : null);
  const allLinks = [...expected.values()].flatMap((e) => e.links);
  const companies = await linkTargets(ctx.tx, 'company', allLinks.filter((l) => l.target === 'company' && l.rowId).map((l) => l.rowId!), listedBy('company'));
  const trunks = await linkTargets(ctx.tx, 'trunk', allLinks.filter((l) => l.target === 'trunk' && l.rowId).map((l) => l.rowId!), listedBy('trunk'));
  const writeBack: string[] = [];
  const relink: string[] = [];
  for (const { record, key } of keyed) {
    if (key === '') continue;
    const mine = expected.get(key);
    if (!mine) {
      report.unknown++;
      count(report.actions, 'report (unknown to WARP, not deleted)');
      sample(report, record.id, `${keyProperty} unknown to WARP`);
      continue;
    }
    const fields = entry.properties.filter((p) => !sameAs(p, record.properties[p.name], mine.properties[p.name] ?? null));
    for (const p of fields) count(report.fields, p.name);
    if (fields.length > 0) {
      report.changed++;
      writeBack.push(key);
    }
    for (const link of mine.links) {
      if (link.hubspotId === null) continue; // the target is not in HubSpot yet: its own sync links it
      const pair = associationReport(ctx.report, `${objectType}→${link.target}`);
      pair.compared++;
      if ((record.associated[link.target] ?? []).includes(link.hubspotId)) continue;
      const target = (link.target === 'company' ? companies : trunks).get(link.rowId ?? '');
      if (target?.gone) pair.consequential++;
      else pair.differing++;
      count(pair.actions, 'associate again');
      relink.push(key);
    }
  }
  if (ctx.mode === 'full') await markSeen(ctx.tx, objectType, [...expected.keys()].filter((k) => keyed.some((r) => r.key === k)), ctx.runId);
  if (writeBack.length > 0) count(report.actions, 'write WARP values back', writeBack.length);
  if (ctx.dryRun) return;
  await forgetHubspotIds(ctx.tx, objectType, [...new Set(relink)]);
  await enqueue(ctx.tx, [...new Set([...writeBack, ...relink])].map((recordKey) => ({ objectType, recordKey })));
}
