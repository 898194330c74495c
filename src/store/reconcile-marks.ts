import pg from 'pg';

import type { Queryable } from '../db/pool.js';
import { CACHE_TABLES, type CachedObjectType, type CachedRecord, textColumns, toCached } from './cache-records.js';

/**
 * Reconcile's bookkeeping in the tables it compares (migrations/0070, 0150): a full run marks the rows
 * whose record HubSpot listed with its run id, then sweeps the live rows it did not mark, page by
 * page in row-id order, so no run ever holds a set of every id in memory. Also the rows of the
 * association pass, each with the HubSpot id of the record it should be associated with.
 */

/** Per type: the table and the key HubSpot records are matched by (HubSpot id, or WARP's unique id). */
export const MARKED_TABLES = {
  company: { table: 'customers', key: 'hubspot_company_id', live: 'deleted_at IS NULL' },
  contact: { table: 'users', key: 'hubspot_contact_id', live: 'deleted_at IS NULL' },
  deal: { table: 'deals', key: 'hubspot_deal_id', live: 'deleted_at IS NULL' },
  ticket: { table: 'ticket_cache', key: 'hubspot_id', live: 'deleted_at IS NULL' },
  trunk: { table: 'trunks', key: 'trunk_id', live: 'deleted_at IS NULL' },
  number: { table: 'numbers', key: 'number', live: `deleted_at IS NULL AND status <> 'released'` },
} as const;
export type MarkedType = keyof typeof MARKED_TABLES;

const ident = pg.escapeIdentifier;

/*
 * The mark (written with the page's checkpoint, store/reconcile-runs.ts `commitPage`) is the run's
 * id; a row merged away in HubSpot gets the negated run id, so the sweep skips it and links to it
 * count as following from a merge.
 */

/** A record an association points to: its HubSpot id, and whether it is gone (deleted, merged, or not listed by the run). */
export interface LinkTarget {
  hubspotId: string | null;
  gone: boolean;
}

const TARGET_TABLES = {
  company: { table: 'customers', hubspotId: 'hubspot_company_id' },
  trunk: { table: 'trunks', hubspotId: 'hubspot_object_id' },
} as const;

/** Whether the target row `alias` is gone: deleted, or not marked by the run that listed its whole type ($2 run id, $3 its start). */
const goneSql = (alias: string) => `(${alias}.deleted_at IS NOT NULL OR ($2::bigint IS NOT NULL AND ${alias}.created_at < $3 AND ${alias}.reconcile_seen IS DISTINCT FROM $2))`;

/**
 * Companies or trunks by row id. `listedBy`: the run that has listed every record of that type, so
 * a row it did not mark (created before it started) is gone from HubSpot even before the sweep.
 */
export async function linkTargets(
  db: Queryable,
  type: keyof typeof TARGET_TABLES,
  rowIds: readonly string[],
  listedBy: { runId: string; startedAt: Date } | null,
): Promise<Map<string, LinkTarget>> {
  if (rowIds.length === 0) return new Map();
  const { table, hubspotId } = TARGET_TABLES[type];
  const { rows } = await db.query<{ id: string; hubspot_id: string | null; gone: boolean }>(
    `SELECT id::text, ${ident(hubspotId)} AS hubspot_id, ${goneSql(ident(table))} AS gone FROM ${ident(table)} WHERE id = ANY($1::bigint[])`,
    [[...new Set(rowIds)], listedBy?.runId ?? null, listedBy?.startedAt ?? null],
  );
  return new Map(rows.map((r) => [r.id, { hubspotId: r.hubspot_id, gone: r.gone }]));
}

/** A cache row with the company it is linked to (contacts and deals), as a page compares it. */
export interface CachePageRow {
  record: CachedRecord;
  company: LinkTarget | null;
}

/**
 * The cache rows of a page's HubSpot ids (and of the ids its survivors merged), each with its
 * company as a link target, in one query. `listedBy` as for `linkTargets`.
 */
export async function readCachePage(
  db: Queryable,
  type: CachedObjectType,
  hubspotIds: readonly string[],
  listedBy: { runId: string; startedAt: Date } | null,
): Promise<Map<string, CachePageRow>> {
  if (hubspotIds.length === 0) return new Map();
  const { table, hubspotId } = CACHE_TABLES[type];
  const linked = type !== 'company';
  const { rows } = await db.query<{ row: Record<string, string | null>; company_id: string | null; company_gone: boolean | null }>(
    `SELECT ${textColumns('t')} AS row${linked ? `, c.hubspot_company_id AS company_id, CASE WHEN c.id IS NOT NULL THEN ${goneSql('c')} END AS company_gone` : ''}
     FROM ${ident(table)} t${linked ? ' LEFT JOIN customers c ON c.id = t.customer_id' : ''}
     WHERE t.${ident(hubspotId)} = ANY($1::text[])`,
    [[...new Set(hubspotIds)], ...(linked ? [listedBy?.runId ?? null, listedBy?.startedAt ?? null] : [])],
  );
  return new Map(
    rows.map((r) => {
      const record = toCached(type, r.row);
      return [record.hubspotId, { record, company: r.company_gone === null || r.company_gone === undefined ? null : { hubspotId: r.company_id, gone: r.company_gone } }];
    }),
  );
}

export interface UnseenRow {
  rowId: string;
  key: string;
}

/**
 * Live rows (with a key) the run did not mark, created before it started, after `afterRowId` in
 * row order: what HubSpot no longer lists.
 */
export async function unseenRows(db: Queryable, type: MarkedType, runId: string, startedBefore: Date, afterRowId: string, limit: number): Promise<UnseenRow[]> {
  const { table, key, live } = MARKED_TABLES[type];
  const { rows } = await db.query<{ id: string; key: string }>(
    // Ordered by the row's bigint id (the output column `id` is text: ordering by it would skip rows).
    `SELECT t.id::text AS id, ${ident(key)} AS key FROM ${ident(table)} t
     WHERE t.id > $1 AND ${live} AND ${ident(key)} IS NOT NULL AND reconcile_seen IS DISTINCT FROM $2::bigint AND reconcile_seen IS DISTINCT FROM -($2::bigint) AND created_at < $3
     ORDER BY t.id LIMIT $4`,
    [afterRowId, runId, startedBefore, limit],
  );
  return rows.map((r) => ({ rowId: r.id, key: r.key }));
}

/** Live rows expected in HubSpot, for estimates and progress. */
export async function countLiveRows(db: Queryable, type: MarkedType): Promise<number> {
  const { table, key, live } = MARKED_TABLES[type];
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(table)} WHERE ${live} AND ${ident(key)} IS NOT NULL`);
  return rows[0]?.n ?? 0;
}

/**
 * Forgets the HubSpot id WARP stored for trunks or numbers, so their next sync upserts and
 * associates them as new: how a record missing in HubSpot is recreated, and how a lost association
 * of one is made again.
 */
export async function forgetHubspotIds(tx: Queryable, type: 'trunk' | 'number', keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const { table, key } = MARKED_TABLES[type];
  await tx.query(`UPDATE ${ident(table)} SET hubspot_object_id = NULL WHERE ${ident(key)} = ANY($1::text[])`, [[...keys]]);
}

/**
 * The mark keys (trunk id, number) of WARP's trunks or numbers stored with these HubSpot ids: how a
 * HubSpot record reconcile could not read (no key, or it failed validation) still marks its row.
 */
export async function warpKeysOf(db: Queryable, type: 'trunk' | 'number', hubspotIds: readonly string[]): Promise<string[]> {
  if (hubspotIds.length === 0) return [];
  const { table, key } = MARKED_TABLES[type];
  const { rows } = await db.query<{ key: string }>(`SELECT ${ident(key)} AS key FROM ${ident(table)} WHERE hubspot_object_id = ANY($1::text[])`, [[...hubspotIds]]);
  return rows.map((r) => r.key);
}

/** Live numbers routed to these trunks (by WARP trunk id). */
export async function numbersRoutedTo(db: Queryable, trunkIds: readonly string[]): Promise<string[]> {
  if (trunkIds.length === 0) return [];
  const { rows } = await db.query<{ number: string }>(
    `SELECT n.number FROM numbers n JOIN trunks t ON t.id = n.trunk_id
     WHERE t.trunk_id = ANY($1::text[]) AND n.deleted_at IS NULL AND n.status <> 'released'`,
    [[...trunkIds]],
  );
  return rows.map((r) => r.number);
}
