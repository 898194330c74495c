import type { PoolClient } from '../../db/pool.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';
import { appendAudit } from '../../store/audit.js';
import { CACHE_TABLES, lockCachedRecord, moveHubspotId, setCachedDeleted } from '../../store/cache-records.js';

/**
 * HubSpot merged records into `survivorId`. If the survivor has no cache row, a merged record's
 * row is moved to it, so a BAN or WARP user id is never lost; otherwise merged rows are marked
 * deleted. Shared by merge webhooks and reconcile (which finds merges in `hs_merged_object_ids`).
 * Returns how many cache rows changed.
 */
export async function applyMergedRecords(
  tx: PoolClient,
  objectType: InboundObjectType,
  survivorId: string,
  mergedIds: readonly string[],
  audit: { source: string; event: string; inboxId: string | null },
): Promise<number> {
  const entity = CACHE_TABLES[objectType].entity;
  let survivor = await lockCachedRecord(tx, objectType, survivorId);
  let changed = 0;
  for (const candidate of mergedIds) {
    if (candidate === survivorId) continue;
    const merged = await lockCachedRecord(tx, objectType, candidate);
    if (!merged || merged.deleted) continue;
    if (!survivor) {
      await moveHubspotId(tx, objectType, merged.id, survivorId);
      survivor = { ...merged, hubspotId: survivorId };
      await appendAudit(tx, { entityType: entity, entityId: survivorId, ...audit, changes: { hubspot_id: { before: candidate, after: survivorId } } });
    } else {
      await setCachedDeleted(tx, objectType, merged.id, true);
      await appendAudit(tx, { entityType: entity, entityId: candidate, ...audit, changes: { merged_into: { before: null, after: survivorId } } });
    }
    changed++;
  }
  return changed;
}
