import type { PoolClient } from '../../db/pool.js';
import { findAccount } from '../../store/accounts.js';
import { appendAudit } from '../../store/audit.js';
import { CACHE_TABLES, type CachedRecord, setCachedColumn } from '../../store/cache-records.js';
import { recordConflict } from '../../store/conflicts.js';
import { advanceFieldVersion } from '../../store/field-versions.js';
import { type CatalogueRow, crmProperty, outgoingValue, sameValue } from '../../domain/crm-catalogue.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * One HubSpot property value arriving in the cache, from a webhook or a fetched record: parse,
 * check ownership (non-owner changes become conflicts and the owner's value is written back),
 * ignore stale values, write, audit, and trigger dependent updates. Shared by webhook processing,
 * fetches, the full import and reconcile, so the rules exist once.
 */

/**
 * Identifiers WARP issues (a BAN, a WARP user id). A value typed into HubSpot is never taken for
 * one, from a webhook or a snapshot: it could name another customer's BAN or another person's
 * user. When WARP has none for the record, the HubSpot value is kept as a conflict for a person to
 * look at and left in place (clearing it would wipe real BANs after a cache rebuild).
 */
const WARP_ISSUED_IDENTIFIERS: ReadonlySet<string> = new Set(['warp_ban', 'warp_user_id']);

export type FieldOutcome = 'applied' | 'no_change' | 'stale' | 'conflict' | 'written_back' | 'unknown_property' | 'invalid_value';

/** What the cache needs beyond its own tables: write-backs, dependent updates, onboarding, fetches. */
export interface InboundHooks {
  /**
   * Queues a write of WARP's current value of WARP-owned properties back to HubSpot (outbound
   * outbox). Returns false when no outbound sync is wired, so the conflict says so.
   */
  writeBack(tx: PoolClient, objectType: InboundObjectType, record: CachedRecord, properties: string[]): Promise<boolean>;
  /** Cached fields changed: dependent updates (credit limit → trunks) and onboarding (deal stage). */
  afterChange(tx: PoolClient, objectType: InboundObjectType, record: CachedRecord, changedColumns: string[]): Promise<void>;
  /** The full record must be fetched from HubSpot (creation, restore, merge); the inbox queues it durably in `tx`. */
  needsFetch(objectType: InboundObjectType, hubspotId: string): Promise<void> | void;
}

export interface FieldContext {
  tx: PoolClient;
  hooks: InboundHooks;
  /** `hubspot` (webhook), `fetch`, `import`, `reconcile`: the audit trail's source. */
  source: string;
  /** What triggered it (webhook subscription type, job name): the audit trail's event. */
  event: string;
  inboxId: string | null;
  /** `changeSource sourceId` of the HubSpot change, for conflict records. */
  hubspotSource: string | null;
  /**
   * Snapshots (fetch, import) may seed WARP-owned fields the cache has never had (e.g. a BAN
   * written to HubSpot before this cache existed); webhooks never do.
   */
  adoptWarpValuesWhenEmpty: boolean;
}

export async function applyField(
  ctx: FieldContext,
  objectType: InboundObjectType,
  record: CachedRecord,
  property: string,
  raw: string,
  occurredAt: Date,
): Promise<FieldOutcome> {
  const mapping = crmProperty(objectType, property);
  if (!mapping) return 'unknown_property';
  const parsed = mapping.parse(raw);
  if (parsed === undefined) return 'invalid_value';
  const { column } = mapping;
  const current = column === null ? await computedWarpValue(ctx, record, mapping) : (record.values[column] ?? null);
  // A WARP value the cache has never had may be adopted from a snapshot; computed ones never are.
  const adopt = ctx.adoptWarpValuesWhenEmpty && current === null && column !== null && !WARP_ISSUED_IDENTIFIERS.has(property);
  if (mapping.owner === 'warp' && !adopt) {
    const hubspotValue = parsed === null ? null : String(parsed);
    // Equal values are no conflict: e.g. the echo of our own write arriving without our app id,
    // or `0` where the cache says `0.00`.
    if (sameValue(mapping, parsed, current) || (raw === '' && current === null)) return 'no_change';
    // A snapshot without a value is HubSpot not having it yet, not a change made there: send ours.
    if (ctx.adoptWarpValuesWhenEmpty && hubspotValue === null) {
      return (await ctx.hooks.writeBack(ctx.tx, objectType, record, [property])) ? 'written_back' : 'no_change';
    }
    const notIssued = current === null && WARP_ISSUED_IDENTIFIERS.has(property);
    const writtenBack = !notIssued && (await ctx.hooks.writeBack(ctx.tx, objectType, record, [property]));
    await recordConflict(ctx.tx, {
      objectType,
      objectId: record.hubspotId,
      property,
      owner: 'warp',
      hubspotValue,
      warpValue: current,
      hubspotSource: ctx.hubspotSource,
      changedAt: occurredAt,
      resolution: notIssued ? 'identifier_not_adopted' : writtenBack ? 'owner_value_written_back' : 'recorded_no_outbound_sync',
      inboxId: ctx.inboxId,
    });
    return 'conflict';
  }
  // The catalogue test guarantees every HubSpot-owned inbound property has a column.
  if (column === null) throw new Error(`${objectType}.${property} has no cache column`);
  if (!(await advanceFieldVersion(ctx.tx, objectType, record.hubspotId, property, occurredAt))) return 'stale';
  const change = await setCachedColumn(ctx.tx, objectType, record.id, column, parsed, occurredAt);
  if (!change) return 'no_change';
  record.values[column] = change.after;
  await appendAudit(ctx.tx, {
    entityType: CACHE_TABLES[objectType].entity,
    entityId: record.hubspotId,
    source: ctx.source,
    event: ctx.event,
    inboxId: ctx.inboxId,
    changes: { [column]: mapping.pii ? { changed: true } : change },
  });
  await ctx.hooks.afterChange(ctx.tx, objectType, record, [column]);
  return 'applied';
}

/** WARP-owned company facts without a cache column (the roll-ups) are computed from WARP's rows. */
async function computedWarpValue(ctx: FieldContext, record: CachedRecord, mapping: CatalogueRow): Promise<string | null> {
  const account = mapping.object === 'company' && mapping.out !== null ? await findAccount(ctx.tx, record.id) : null;
  if (!account) return null;
  const value = outgoingValue(mapping, account, account);
  return value === null ? null : String(value);
}
