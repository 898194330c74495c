import pg from 'pg';

import type { Queryable } from '../db/pool.js';

/**
 * The cache rows of HubSpot objects: customers (companies), users (contacts) and deals. One module
 * for the three because they share their HubSpot bookkeeping (HubSpot id, last applied time,
 * version, soft delete); columns come from the property map (code constants, never input).
 */

export const CACHE_TABLES = {
  company: { table: 'customers', hubspotId: 'hubspot_company_id', entity: 'customer' },
  contact: { table: 'users', hubspotId: 'hubspot_contact_id', entity: 'user' },
  deal: { table: 'deals', hubspotId: 'hubspot_deal_id', entity: 'deal' },
} as const;
export type CachedObjectType = keyof typeof CACHE_TABLES;

export interface CachedRecord {
  /** Row id in the cache table. */
  id: string;
  hubspotId: string;
  deleted: boolean;
  /** Every column, as text (what the audit trail and conflict records show). */
  values: Record<string, string | null>;
}

const ident = pg.escapeIdentifier;

export function toCached(objectType: CachedObjectType, row: Record<string, string | null>): CachedRecord {
  return { id: row['id'] ?? '', hubspotId: row[CACHE_TABLES[objectType].hubspotId] ?? '', deleted: row['deleted_at'] !== null, values: row };
}

/** All columns cast to text, so values compare and display the same way PostgreSQL stores them. */
export const textColumns = (alias: string) => `(SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(${alias})))`;

async function selectCachedRecord(db: Queryable, objectType: CachedObjectType, hubspotId: string, lock: boolean): Promise<CachedRecord | null> {
  const { table, hubspotId: column } = CACHE_TABLES[objectType];
  const { rows } = await db.query<{ row: Record<string, string | null> }>(
    `SELECT ${textColumns('t')} AS row FROM ${ident(table)} t WHERE ${ident(column)} = $1${lock ? ' FOR UPDATE' : ''}`,
    [hubspotId],
  );
  return rows[0] ? toCached(objectType, rows[0].row) : null;
}

/** The row for a HubSpot object, locked for this transaction; null if we never saw it. */
export function lockCachedRecord(tx: Queryable, objectType: CachedObjectType, hubspotId: string): Promise<CachedRecord | null> {
  return selectCachedRecord(tx, objectType, hubspotId, true);
}

/** The row for a HubSpot object as it is now (no lock); null if we never saw it. */
export function readCachedRecord(db: Queryable, objectType: CachedObjectType, hubspotId: string): Promise<CachedRecord | null> {
  return selectCachedRecord(db, objectType, hubspotId, false);
}

/** The rows of many HubSpot objects at once (no lock), by HubSpot id; ids never seen are absent. */
export async function readCachedRecords(db: Queryable, objectType: CachedObjectType, hubspotIds: readonly string[]): Promise<Map<string, CachedRecord>> {
  const { table, hubspotId: column } = CACHE_TABLES[objectType];
  const { rows } = await db.query<{ row: Record<string, string | null> }>(
    `SELECT ${textColumns('t')} AS row FROM ${ident(table)} t WHERE ${ident(column)} = ANY($1::text[])`,
    [[...hubspotIds]],
  );
  return new Map(rows.map((r) => { const record = toCached(objectType, r.row); return [record.hubspotId, record]; }));
}

/** The row for a HubSpot object, created empty when it does not exist yet; locked. */
export async function ensureCachedRecord(tx: Queryable, objectType: CachedObjectType, hubspotId: string): Promise<{ record: CachedRecord; created: boolean }> {
  const { table, hubspotId: column } = CACHE_TABLES[objectType];
  const inserted = await tx.query(`INSERT INTO ${ident(table)} (${ident(column)}) VALUES ($1) ON CONFLICT (${ident(column)}) DO NOTHING`, [hubspotId]);
  const record = await lockCachedRecord(tx, objectType, hubspotId);
  if (!record) throw new Error(`${table} row for ${hubspotId} vanished`);
  return { record, created: (inserted.rowCount ?? 0) > 0 };
}

/**
 * Sets one column if its value differs; returns the text forms before and after, or null when
 * the value was already there (no version bump, nothing to audit).
 */
export async function setCachedColumn(
  tx: Queryable,
  objectType: CachedObjectType,
  rowId: string,
  column: string,
  value: string | boolean | null,
  /** HubSpot time of the change; null for WARP's own changes (keeps the last HubSpot time). */
  hubspotChangedAt: Date | null,
): Promise<{ before: string | null; after: string | null } | null> {
  const table = ident(CACHE_TABLES[objectType].table);
  const col = ident(column);
  const { rows } = await tx.query<{ before: string | null; after: string | null }>(
    `WITH old AS (SELECT ${col}::text AS v FROM ${table} WHERE id = $1)
     UPDATE ${table} SET ${col} = $2, version = version + 1, updated_at = now(), hubspot_updated_at = GREATEST(hubspot_updated_at, $3::timestamptz)
     WHERE id = $1 AND ${col} IS DISTINCT FROM $2
     RETURNING (SELECT v FROM old) AS before, ${col}::text AS after`,
    [rowId, value, hubspotChangedAt],
  );
  return rows[0] ?? null;
}

/** Soft delete or restore; returns false when the row already was in that state. */
export async function setCachedDeleted(tx: Queryable, objectType: CachedObjectType, rowId: string, deleted: boolean): Promise<boolean> {
  const table = ident(CACHE_TABLES[objectType].table);
  const { rowCount } = await tx.query(
    `UPDATE ${table} SET deleted_at = CASE WHEN $2 THEN now() END, version = version + 1, updated_at = now()
     WHERE id = $1 AND (deleted_at IS NOT NULL) <> $2`,
    [rowId, deleted],
  );
  return (rowCount ?? 0) > 0;
}

/** After a merge in HubSpot, the surviving record id takes over a cache row (keeping its BAN/user id). */
export async function moveHubspotId(tx: Queryable, objectType: CachedObjectType, rowId: string, newHubspotId: string): Promise<void> {
  const { table, hubspotId } = CACHE_TABLES[objectType];
  await tx.query(`UPDATE ${ident(table)} SET ${ident(hubspotId)} = $2, version = version + 1, updated_at = now() WHERE id = $1`, [rowId, newHubspotId]);
}

/**
 * Links a user or deal to the customer of a HubSpot company, or (`removed`) unlinks it when it is
 * linked to that company. Returns the customer id before and after, or null when nothing changed.
 */
export async function linkToCompany(
  tx: Queryable,
  objectType: 'contact' | 'deal',
  rowId: string,
  companyHubspotId: string,
  removed: boolean,
): Promise<{ before: string | null; after: string | null } | null> {
  const table = ident(CACHE_TABLES[objectType].table);
  const dealCompany = objectType === 'deal' ? ', hubspot_company_id = CASE WHEN $3 THEN NULL ELSE $2 END' : '';
  const { rows } = await tx.query<{ before: string | null; after: string | null }>(
    `WITH old AS (SELECT customer_id FROM ${table} WHERE id = $1),
          target AS (SELECT id FROM customers WHERE hubspot_company_id = $2)
     UPDATE ${table} SET customer_id = CASE WHEN $3 THEN NULL ELSE (SELECT id FROM target) END${dealCompany},
       version = version + 1, updated_at = now()
     WHERE id = $1 AND CASE WHEN $3 THEN customer_id = (SELECT id FROM target)
                            ELSE customer_id IS DISTINCT FROM (SELECT id FROM target) END
     RETURNING (SELECT customer_id::text FROM old) AS before, customer_id::text AS after`,
    [rowId, companyHubspotId, removed],
  );
  return rows[0] ?? null;
}

/** Unlinks a user or deal from whatever customer it has (HubSpot lists no company for it). */
export async function unlinkCompany(tx: Queryable, objectType: 'contact' | 'deal', rowId: string): Promise<{ before: string | null; after: string | null } | null> {
  const table = ident(CACHE_TABLES[objectType].table);
  const dealCompany = objectType === 'deal' ? ', hubspot_company_id = NULL' : '';
  const { rows } = await tx.query<{ before: string | null }>(
    `WITH old AS (SELECT customer_id FROM ${table} WHERE id = $1)
     UPDATE ${table} SET customer_id = NULL${dealCompany}, version = version + 1, updated_at = now()
     WHERE id = $1 AND customer_id IS NOT NULL
     RETURNING (SELECT customer_id::text FROM old) AS before`,
    [rowId],
  );
  return rows[0] ? { before: rows[0].before, after: null } : null;
}

export async function countCachedRecords(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ customers: number; users: number; deals: number }>(
    `SELECT (SELECT count(*) FROM customers WHERE deleted_at IS NULL)::int AS customers,
            (SELECT count(*) FROM users WHERE deleted_at IS NULL)::int AS users,
            (SELECT count(*) FROM deals WHERE deleted_at IS NULL)::int AS deals`,
  );
  return { ...rows[0]! };
}
