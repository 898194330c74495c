import pg from 'pg';

import type { Queryable } from '../db/pool.js';

/**
 * Reconcile's bookkeeping in the tables it compares (migrations/0070): a full run marks the rows
 * whose record HubSpot listed with its run id, then sweeps the live rows it did not mark, page by
 * page in row-id order, so no run ever holds a set of every id in memory. Also the rows of the
 * association pass, each with the HubSpot id of the record it should be associated with.
 */

/** Per type: the table and the key HubSpot records are matched by (HubSpot id, or WARP's unique id). */
export const MARKED_TABLES = {
  company: { table: 'customers', key: 'hubspot_company_id', live: 'deleted_at IS NULL' },
  contact: { table: 'users', key: 'hubspot_contact_id', live: 'deleted_at IS NULL' },
  deal: { table: 'deals', key: 'hubspot_deal_id', live: 'deleted_at IS NULL' },
  trunk: { table: 'trunks', key: 'trunk_id', live: 'deleted_at IS NULL' },
  number: { table: 'numbers', key: 'number', live: `deleted_at IS NULL AND status <> 'released'` },
} as const;
export type MarkedType = keyof typeof MARKED_TABLES;

const ident = pg.escapeIdentifier;

/**
 * Marks the rows of these keys as seen by the run (`merged`: merged away in HubSpot; the mark is
 * the negated run id, so the sweep skips them and links to them count as following from a merge).
 */
export async function markSeen(tx: Queryable, type: MarkedType, keys: readonly string[], runId: string, merged = false): Promise<void> {
  if (keys.length === 0) return;
  const { table, key } = MARKED_TABLES[type];
  const mark = merged ? `-${runId}` : runId;
  await tx.query(`UPDATE ${ident(table)} SET reconcile_seen = $2 WHERE ${ident(key)} = ANY($1::text[]) AND reconcile_seen IS DISTINCT FROM $2`, [[...keys], mark]);
}

/** A record an association points to: its HubSpot id, and whether it is gone (deleted, merged, or not listed by the run). */
export interface LinkTarget {
  hubspotId: string | null;
  gone: boolean;
}

const TARGET_TABLES = {
  company: { table: 'customers', hubspotId: 'hubspot_company_id' },
  trunk: { table: 'trunks', hubspotId: 'hubspot_object_id' },
} as const;

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
    `SELECT id::text, ${ident(hubspotId)} AS hubspot_id,
       (deleted_at IS NOT NULL OR ($2::bigint IS NOT NULL AND created_at < $3 AND reconcile_seen IS DISTINCT FROM $2)) AS gone
     FROM ${ident(table)} WHERE id = ANY($1::bigint[])`,
    [[...new Set(rowIds)], listedBy?.runId ?? null, listedBy?.startedAt ?? null],
  );
  return new Map(rows.map((r) => [r.id, { hubspotId: r.hubspot_id, gone: r.gone }]));
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
    `SELECT id::text, ${ident(key)} AS key FROM ${ident(table)}
     WHERE id > $1 AND ${live} AND ${ident(key)} IS NOT NULL AND reconcile_seen IS DISTINCT FROM $2::bigint AND reconcile_seen IS DISTINCT FROM -($2::bigint) AND created_at < $3
     ORDER BY id LIMIT $4`,
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
