import { appendAudit } from '../../store/audit.js';
import { CACHE_TABLES, lockCachedRecord, setCachedDeleted } from '../../store/cache-records.js';
import { advanceFieldVersion, LIFECYCLE } from '../../store/field-versions.js';
import { enqueue } from '../../store/outbox.js';
import { forgetHubspotIds, type UnseenRow } from '../../store/reconcile-marks.js';
import { lockObject } from '../inbound/object-lock.js';
import type { ReconcileEntry } from './catalogue.js';
import type { PageContext } from './page-context.js';
import { count, objectReport } from './report.js';

/**
 * The end of a full run's walk of one type: live rows the run did not mark were not listed by
 * HubSpot. A cache row is marked deleted (a missed deletion webhook; merges were handled when
 * their survivor was listed); a trunk or number WARP has is missing in HubSpot and is recreated by
 * its outbound sync (the stored HubSpot id is forgotten, so the sync creates and associates it).
 */
export async function sweepUnseen(ctx: PageContext, entry: ReconcileEntry, rows: readonly UnseenRow[]): Promise<void> {
  const report = objectReport(ctx.report, entry.objectType);
  report.deleted += rows.length;
  if (rows.length === 0) return;
  if (entry.side === 'warp') {
    count(report.actions, 'recreate in HubSpot', rows.length);
    if (ctx.dryRun) return;
    const keys = rows.map((r) => r.key);
    await forgetHubspotIds(ctx.tx, entry.objectType, keys);
    await enqueue(ctx.tx, keys.map((recordKey) => ({ objectType: entry.objectType, recordKey })));
    return;
  }
  count(report.actions, 'mark deleted in the cache', rows.length);
  if (ctx.dryRun) return;
  const objectType = entry.objectType;
  for (const { key: hubspotId } of rows) {
    await lockObject(ctx.tx, objectType, hubspotId);
    const record = await lockCachedRecord(ctx.tx, objectType, hubspotId);
    if (!record || !(await setCachedDeleted(ctx.tx, objectType, record.id, true))) continue;
    await advanceFieldVersion(ctx.tx, objectType, hubspotId, LIFECYCLE, new Date());
    await appendAudit(ctx.tx, {
      entityType: CACHE_TABLES[objectType].entity,
      entityId: hubspotId,
      source: 'reconcile',
      event: 'reconcile',
      changes: { deleted: { before: 'false', after: 'true' } },
    });
  }
}
