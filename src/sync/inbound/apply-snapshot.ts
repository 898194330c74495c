import type { PoolClient } from '../../db/pool.js';
import { appendAudit } from '../../store/audit.js';
import { CACHE_TABLES, type CachedRecord, ensureCachedRecord, linkToCompany, setCachedDeleted, unlinkCompany } from '../../store/cache-records.js';
import { applyField, type FieldContext, type FieldOutcome, type InboundHooks } from './apply-field.js';
import type { CrmRecord } from './crm-reader.js';
import { lockObject } from './object-lock.js';
import { syncedProperties } from '../../domain/crm-catalogue.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * Applies a full HubSpot record (fetched after a creation/merge/restore event, or read by the
 * import or reconcile) to the cache. Each property goes through the same rules as a webhook
 * change, versioned at the record's `updatedAt`, so a snapshot never overwrites a newer event.
 */

export type SnapshotCounts = Partial<Record<FieldOutcome | 'restored', number>>;

export async function applySnapshot(
  tx: PoolClient,
  hooks: InboundHooks,
  objectType: InboundObjectType,
  snapshot: CrmRecord,
  source: 'fetch' | 'import' | 'reconcile',
): Promise<SnapshotCounts> {
  await lockObject(tx, objectType, snapshot.id);
  const { record } = await ensureCachedRecord(tx, objectType, snapshot.id);
  const counts: SnapshotCounts = {};
  // A record HubSpot lists is live: a deletion we recorded was undone there (missed restore).
  if (record.deleted && source !== 'fetch' && (await setCachedDeleted(tx, objectType, record.id, false))) {
    await appendAudit(tx, { entityType: CACHE_TABLES[objectType].entity, entityId: snapshot.id, source, event: source, changes: { deleted: { before: 'true', after: 'false' } } });
    counts.restored = 1;
  }
  const ctx: FieldContext = { tx, hooks, source, event: source, inboxId: null, hubspotSource: null, adoptWarpValuesWhenEmpty: true };
  const updatedAt = new Date(snapshot.updatedAt);
  for (const property of syncedProperties(objectType)) {
    if (!(property in snapshot.properties)) continue;
    const outcome = await applyField(ctx, objectType, record, property, snapshot.properties[property] ?? '', updatedAt);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  if (snapshot.companyIds && objectType !== 'company' && (await applyCompanyLink(tx, objectType, record, snapshot.companyIds[0], source))) {
    counts.applied = (counts.applied ?? 0) + 1;
  }
  return counts;
}

/**
 * A contact's or deal's company as HubSpot has it (its primary company, or none): linked or
 * unlinked in the cache, audited. Returns true when the link changed.
 */
export async function applyCompanyLink(tx: PoolClient, objectType: 'contact' | 'deal', record: CachedRecord, companyId: string | undefined, source: string): Promise<boolean> {
  if (companyId) await ensureCachedRecord(tx, 'company', companyId);
  const change = companyId
    ? await linkToCompany(tx, objectType, record.id, companyId, false)
    : record.values['customer_id'] !== null
      ? await unlinkCompany(tx, objectType, record.id)
      : null;
  if (!change) return false;
  await appendAudit(tx, { entityType: CACHE_TABLES[objectType].entity, entityId: record.hubspotId, source, event: source, changes: { customer_id: change } });
  return true;
}
