import type { Queryable } from '../../db/pool.js';
import { findAccounts } from '../../store/accounts.js';
import { findNumbers, type PhoneNumber } from '../../store/numbers.js';
import { associationChange, enqueue } from '../../store/outbox.js';
import { linkTargets, warpKeysOf } from '../../store/reconcile-marks.js';
import { findTrunks, type Trunk } from '../../store/trunks.js';
import { numberProperties, type OutgoingProperties, trunkProperties } from '../outbound/mapping.js';
import type { ReconcileEntry, ReconcileObjectType, WarpObjectType } from './catalogue.js';
import { type PageContext, type PageWork, sameAs } from './page-context.js';
import { associationReport, count, objectReport, sample } from './report.js';
import type { ReconcileRecord } from './source.js';

/**
 * One page of WARP's own records in HubSpot (trunks, numbers) against WARP's tables. WARP owns
 * every field and link, so a difference is repaired through the outbox: an edited field by the
 * record's outbound sync (WARP's values written back), an association missing in HubSpot, or one
 * there that WARP did not make, by the record's association work (`associationChange`, which makes
 * HubSpot's links of the record exactly WARP's). A record HubSpot has that WARP does not know is
 * reported, never deleted.
 */

type WarpEntry = ReconcileEntry & { objectType: WarpObjectType };

/** An association a record should have: to `hubspotId` (null: none of that type), unless the target is not in HubSpot yet (`pending`). */
interface ExpectedLink {
  target: 'company' | 'trunk';
  rowId: string | null;
  hubspotId: string | null;
  pending: boolean;
}

interface Expected {
  properties: OutgoingProperties;
  links: ExpectedLink[];
}

const linkTo = (target: ExpectedLink['target'], row: { id: string; hubspotId: string | null } | undefined): ExpectedLink =>
  row ? { target, rowId: row.id, hubspotId: row.hubspotId, pending: row.hubspotId === null } : { target, rowId: null, hubspotId: null, pending: false };

/** WARP's view of each record of the page, by its key (trunk id, number); unknown or deleted keys are absent. */
async function expectedRecords(db: Queryable, objectType: WarpObjectType, keys: string[]): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  const live = <T extends { deletedAt: Date | null }>(rows: T[]) => rows.filter((r) => r.deletedAt === null);
  const rows: Array<Trunk | PhoneNumber> =
    objectType === 'trunk' ? live(await findTrunks(db, keys)) : live(await findNumbers(db, keys)).filter((n) => n.status !== 'released');
  const routed = objectType === 'number' ? (rows as PhoneNumber[]).map((n) => n.trunkId).filter((t): t is string => t !== null) : [];
  // Independent reads, so they go out together.
  const [accountRows, trunkRows] = await Promise.all([findAccounts(db, [...new Set(rows.map((r) => r.customerId))]), routed.length > 0 ? findTrunks(db, routed) : []]);
  const accounts = new Map(accountRows.map((a) => [a.id, a]));
  const trunks = new Map(live(trunkRows).map((t) => [t.trunkId, t]));
  for (const row of rows) {
    const account = accounts.get(row.customerId);
    if (!account) continue;
    const company = linkTo('company', { id: account.id, hubspotId: account.hubspotCompanyId });
    if (objectType === 'trunk') {
      const trunk = row as Trunk;
      out.set(trunk.trunkId, { properties: trunkProperties(trunk, account), links: [company] });
    } else {
      const number = row as PhoneNumber;
      const trunk = number.trunkId === null ? undefined : trunks.get(number.trunkId);
      out.set(number.number, { properties: numberProperties(number, account), links: [company, linkTo('trunk', trunk && { id: trunk.id, hubspotId: trunk.hubspotObjectId })] });
    }
  }
  return out;
}

export async function compareWarpPage(ctx: PageContext, entry: WarpEntry, records: readonly ReconcileRecord[]): Promise<PageWork> {
  const { objectType } = entry;
  const report = objectReport(ctx.report, objectType);
  report.read += records.length;
  const keyProperty = objectType === 'trunk' ? 'trunk_id' : 'number';
  const keyed = records.map((r) => ({ record: r, key: r.properties[keyProperty] ?? '' }));
  for (const { record } of keyed.filter((k) => k.key === '')) {
    report.invalid++;
    sample(report, record.id, `no ${keyProperty}`);
  }
  const expected = await expectedRecords(ctx.db, objectType, keyed.map((k) => k.key).filter(Boolean));
  const listedBy = (type: ReconcileObjectType) => (ctx.listed.has(type) ? { runId: ctx.runId, startedAt: ctx.startedAt } : null);
  const allLinks = [...expected.values()].flatMap((e) => e.links).filter((l) => l.rowId !== null);
  const [companies, trunks] = await Promise.all([
    linkTargets(ctx.db, 'company', allLinks.filter((l) => l.target === 'company').map((l) => l.rowId!), listedBy('company')),
    linkTargets(ctx.db, 'trunk', allLinks.filter((l) => l.target === 'trunk').map((l) => l.rowId!), listedBy('trunk')),
  ]);
  const writeBack = new Set<string>();
  const relink = new Set<string>();
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
      writeBack.add(key);
    }
    for (const link of mine.links) {
      if (link.pending) continue; // the target is not in HubSpot yet: its own sync links it
      const pair = associationReport(ctx.report, `${objectType}→${link.target}`);
      pair.compared++;
      const have = record.associated[link.target] ?? [];
      const missing = link.hubspotId !== null && !have.includes(link.hubspotId);
      const extra = have.filter((id) => id !== link.hubspotId);
      if (!missing && extra.length === 0) continue;
      // A link to a record deleted or merged in HubSpot follows from that drift (a merge moves it to the survivor).
      const target = link.rowId === null ? undefined : (link.target === 'company' ? companies : trunks).get(link.rowId);
      if (target?.gone) pair.consequential++;
      else pair.differing++;
      if (target?.gone && link.target === 'company') {
        // The customer's company is gone from HubSpot: association work would link to an id HubSpot
        // no longer has, fail (OBJECT_NOT_FOUND) into a dead letter, and every later run would queue
        // it again. Nothing to link to until the customer has a company again. (A lost trunk is
        // recreated by the sweep, which relinks its numbers itself.)
        count(pair.actions, 'leave unlinked (its company is deleted or merged in HubSpot)');
        continue;
      }
      if (missing) count(pair.actions, 'associate again');
      if (extra.length > 0) count(pair.actions, 'remove association WARP did not make', extra.length);
      relink.add(key);
    }
  }
  if (writeBack.size > 0) count(report.actions, 'write WARP values back', writeBack.size);
  // A record without its key is still listed: the WARP row stored with its HubSpot id is marked, not swept as missing.
  const keyless = ctx.mode === 'full' ? await warpKeysOf(ctx.db, objectType, keyed.filter((k) => k.key === '').map((k) => k.record.id)) : [];
  const marks = ctx.mode === 'full' ? { type: objectType, seen: [...keyed.map((k) => k.key).filter((k) => expected.has(k)), ...keyless], merged: [] } : null;
  if (ctx.dryRun || writeBack.size + relink.size === 0) return { marks, repair: null };
  const changes = [...[...writeBack].map((recordKey) => ({ objectType, recordKey })), ...[...relink].map((key) => associationChange(objectType, key))];
  return { marks, repair: (tx) => enqueue(tx, changes) };
}
