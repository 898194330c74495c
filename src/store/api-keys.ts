import { createHash, randomBytes } from 'node:crypto';

import type { Queryable } from '../db/pool.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

// `usage:write` is the switches' integration key: it posts usage records and nothing else, and no
// other scope but admin may post them (docs/usage.md "Access").
export const API_KEY_SCOPES = ['read', 'write', 'admin', 'usage:write', 'support:write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: String(row.id),
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

// `whk_` marks the string as a warp-hubspot key (the log scrubber recognises it); 30 random
// bytes give 240 bits of secret.
const KEY_PREFIX = 'whk_';
const SHOWN_PREFIX_LENGTH = 12;
const LAST_USED_RESOLUTION_MS = 60_000;

const hashKey = (key: string): Buffer => createHash('sha256').update(key).digest();

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(30).toString('base64url');
}

/** Stores a new key and returns it with its secret, which is never retrievable again. */
export async function createApiKey(db: Queryable, name: string, scopes: ApiKeyScope[]): Promise<{ key: string; apiKey: ApiKey }> {
  const key = generateApiKey();
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4)
     RETURNING id, name, prefix, scopes, created_at, last_used_at, revoked_at`,
    [name, key.slice(0, SHOWN_PREFIX_LENGTH), hashKey(key), [...new Set(scopes)]],
  );
  return { key, apiKey: toApiKey(rows[0]!) };
}

/** Keys, oldest first: one page (the API), or every one when no page is asked for (the CLI). */
export async function listApiKeys(db: Queryable, includeRevoked: boolean, page?: PageRequest): Promise<Page<ApiKey>> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_keys
     WHERE ($1 OR revoked_at IS NULL) AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3`,
    [includeRevoked, page?.cursor ?? null, page ? fetchLimit(page) : null],
  );
  const keys = rows.map(toApiKey);
  return page ? toPage(keys, page, (k) => k.id) : { items: keys, nextCursor: null };
}

/** Revokes by id or by name; returns the revoked key, or null if no active key matched. */
export async function revokeApiKey(db: Queryable, idOrName: string): Promise<ApiKey | null> {
  const byId = /^\d+$/.test(idOrName);
  const { rows } = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = now()
     WHERE revoked_at IS NULL AND ${byId ? 'id = $1::bigint' : 'name = $1'}
     RETURNING id, name, prefix, scopes, created_at, last_used_at, revoked_at`,
    [idOrName],
  );
  return rows[0] ? toApiKey(rows[0]) : null;
}

/** Finds the active key for a presented secret. Records use at most once a minute per key. */
export async function findActiveApiKey(db: Queryable, presented: string): Promise<ApiKey | null> {
  if (!presented.startsWith(KEY_PREFIX)) return null;
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_keys
     WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashKey(presented)],
  );
  const row = rows[0];
  if (!row) return null;
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [row.id]);
  }
  return toApiKey(row);
}
