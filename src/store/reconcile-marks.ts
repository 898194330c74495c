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

/** Marks the rows of these keys as seen by the run. */
export async function markSeen(tx: Queryable, type: MarkedType, keys: readonly string[], runId: string): Promise<void> {
  if (keys.length === 0) return;
  const { table, key } = MARKED_TABLES[type];
  await tx.query(`UPDATE ${ident(table)} SET reconcile_seen = $2 WHERE ${ident(key)} = ANY($1::text[]) AND reconcile_seen IS DISTINCT FROM $2`, [[...keys], runId]);
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
     WHERE id > $1 AND ${live} AND ${ident(key)} IS NOT NULL AND reconcile_seen IS DISTINCT FROM $2 AND created_at < $3
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

/** One row of the association pass: the record's HubSpot id and the HubSpot id it should point to. */
export interface AssociationRow {
  rowId: string;
  hubspotId: string;
  /** WARP's key of the record (trunk id, number), for queueing its sync; null for cache rows. */
  warpKey: string | null;
  /** HubSpot id of the expected target; null when the record has none (or its target has no HubSpot id yet). */
  targetHubspotId: string | null;
  /** The expected target exists but is deleted (or gone from HubSpot): a difference that follows from other drift. */
  targetGone: boolean;
}

const ASSOCIATION_QUERIES: Record<string, string> = {
  'contact→company': `SELECT s.id::text AS row_id, s.hubspot_contact_id AS hubspot_id, NULL AS warp_key, c.hubspot_company_id AS target, (c.deleted_at IS NOT NULL) AS target_gone
    FROM users s LEFT JOIN customers c ON c.id = s.customer_id
    WHERE s.id > $1 AND s.deleted_at IS NULL AND s.hubspot_contact_id IS NOT NULL ORDER BY s.id LIMIT $2`,
  'deal→company': `SELECT s.id::text AS row_id, s.hubspot_deal_id AS hubspot_id, NULL AS warp_key, c.hubspot_company_id AS target, (c.deleted_at IS NOT NULL) AS target_gone
    FROM deals s LEFT JOIN customers c ON c.id = s.customer_id
    WHERE s.id > $1 AND s.deleted_at IS NULL ORDER BY s.id LIMIT $2`,
  'trunk→company': `SELECT s.id::text AS row_id, s.hubspot_object_id AS hubspot_id, s.trunk_id AS warp_key, c.hubspot_company_id AS target, (c.deleted_at IS NOT NULL) AS target_gone
    FROM trunks s JOIN customers c ON c.id = s.customer_id
    WHERE s.id > $1 AND s.deleted_at IS NULL AND s.hubspot_object_id IS NOT NULL ORDER BY s.id LIMIT $2`,
  'number→company': `SELECT s.id::text AS row_id, s.hubspot_object_id AS hubspot_id, s.number AS warp_key, c.hubspot_company_id AS target, (c.deleted_at IS NOT NULL) AS target_gone
    FROM numbers s JOIN customers c ON c.id = s.customer_id
    WHERE s.id > $1 AND s.deleted_at IS NULL AND s.status <> 'released' AND s.hubspot_object_id IS NOT NULL ORDER BY s.id LIMIT $2`,
  'number→trunk': `SELECT s.id::text AS row_id, s.hubspot_object_id AS hubspot_id, s.number AS warp_key, t.hubspot_object_id AS target,
      (t.id IS NOT NULL AND (t.deleted_at IS NOT NULL OR t.hubspot_object_id IS NULL)) AS target_gone
    FROM numbers s LEFT JOIN trunks t ON t.id = s.trunk_id
    WHERE s.id > $1 AND s.deleted_at IS NULL AND s.status <> 'released' AND s.hubspot_object_id IS NOT NULL ORDER BY s.id LIMIT $2`,
};

/** The next rows of an association pair's pass, in row order after `afterRowId`. */
export async function associationRows(db: Queryable, pair: string, afterRowId: string, limit: number): Promise<AssociationRow[]> {
  const sql = ASSOCIATION_QUERIES[pair];
  if (!sql) throw new Error(`no association query for ${pair}`);
  const { rows } = await db.query<{ row_id: string; hubspot_id: string; warp_key: string | null; target: string | null; target_gone: boolean | null }>(sql, [afterRowId, limit]);
  return rows.map((r) => ({ rowId: r.row_id, hubspotId: r.hubspot_id, warpKey: r.warp_key, targetHubspotId: r.target, targetGone: r.target_gone === true }));
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
