import { appendAudit } from '../../store/audit.js';
import { CACHE_TABLES, lockCachedRecord, setCachedDeleted } from '../../store/cache-records.js';
import { advanceFieldVersion, LIFECYCLE } from '../../store/field-versions.js';
import { associationChange, enqueue } from '../../store/outbox.js';
import { forgetHubspotIds, numbersRoutedTo, type UnseenRow } from '../../store/reconcile-marks.js';
import { markTicketDeleted } from '../../store/ticket-cache.js';
import { lockObject } from '../inbound/object-lock.js';
import type { ReconcileEntry } from './catalogue.js';
import type { PageContext, PageWork } from './page-context.js';
import { count, objectReport } from './report.js';

/**
 * The end of a full run's walk of one type: live rows the run did not mark were not listed by
 * HubSpot. A cache row (a ticket cache row too) is marked deleted (a missed deletion webhook;
 * merges were handled when their survivor was listed); a trunk or number WARP has is missing in HubSpot and is recreated by
 * its outbound sync (the stored HubSpot id is forgotten, so the sync creates and associates it), and
 * the numbers routed to a recreated trunk are linked to it again by their association work.
 */
export function sweepUnseen(ctx: PageContext, entry: ReconcileEntry, rows: readonly UnseenRow[]): PageWork['repair'] {
  const report = objectReport(ctx.report, entry.objectType);
  report.deleted += rows.length;
  if (rows.length === 0) return null;
  if (entry.side === 'warp') {
    count(report.actions, 'recreate in HubSpot', rows.length);
    if (ctx.dryRun) return null;
    const objectType = entry.objectType;
    const keys = rows.map((r) => r.key);
    return async (tx) => {
      await forgetHubspotIds(tx, objectType, keys);
      // The numbers routed to a trunk HubSpot lost: their association work links them once it is back.
      const routed = objectType === 'trunk' ? await numbersRoutedTo(tx, keys) : [];
      await enqueue(tx, [...keys.map((recordKey) => ({ objectType, recordKey })), ...routed.map((n) => associationChange('number', n))]);
    };
  }
  count(report.actions, 'mark deleted in the cache', rows.length);
  if (ctx.dryRun) return null;
  if (entry.side === 'tickets') {
    return async (tx) => {
      for (const { key } of rows) await markTicketDeleted(tx, key, new Date(), null);
    };
  }
  const objectType = entry.objectType;
  return async (tx) => {
    for (const { key: hubspotId } of rows) {
      await lockObject(tx, objectType, hubspotId);
      const record = await lockCachedRecord(tx, objectType, hubspotId);
      if (!record || !(await setCachedDeleted(tx, objectType, record.id, true))) continue;
      await advanceFieldVersion(tx, objectType, hubspotId, LIFECYCLE, new Date());
      await appendAudit(tx, {
        entityType: CACHE_TABLES[objectType].entity,
        entityId: hubspotId,
        source: 'reconcile',
        event: 'reconcile',
        changes: { deleted: { before: 'false', after: 'true' } },
      });
    }
  };
}
