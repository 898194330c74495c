import { createHash, randomBytes } from 'node:crypto';

import type { Queryable } from '../db/pool.js';
import type { ApiKeyScope } from './api-keys.js';

/**
 * Dashboard sessions (migration 0110): a random token in an HttpOnly cookie, its hash here, a
 * CSRF token per session, and the API key it was opened with. A revoked key ends its sessions at
 * once (the key is checked on every request), an expired session is deleted when next presented.
 */

export interface OpsSession {
  id: string;
  csrfToken: string;
  apiKeyId: string;
  keyName: string;
  scopes: ApiKeyScope[];
  expiresAt: Date;
}

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/** Opens a session; returns the cookie's token (never stored) and the session. */
export async function openOpsSession(db: Queryable, apiKeyId: string, ttlMs: number): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db.query(
    `INSERT INTO ops_sessions (token_hash, csrf_token, api_key_id, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')`,
    [hashToken(token), csrfToken, apiKeyId, ttlMs],
  );
  // Expired sessions of anyone are swept here, so the table stays the size of the signed-in set.
  await db.query('DELETE FROM ops_sessions WHERE expires_at < now()');
  return { token, csrfToken };
}

/** The live session for a cookie token: null when unknown, expired or its key revoked. */
export async function findOpsSession(db: Queryable, token: string): Promise<OpsSession | null> {
  const { rows } = await db.query<{ id: string; csrf_token: string; api_key_id: string; name: string; scopes: ApiKeyScope[]; expires_at: Date }>(
    `SELECT s.id, s.csrf_token, s.api_key_id, k.name, k.scopes, s.expires_at
     FROM ops_sessions s JOIN api_keys k ON k.id = s.api_key_id
     WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return null;
  return { id: String(row.id), csrfToken: row.csrf_token, apiKeyId: String(row.api_key_id), keyName: row.name, scopes: row.scopes, expiresAt: row.expires_at };
}

export async function closeOpsSession(db: Queryable, sessionId: string): Promise<void> {
  await db.query('DELETE FROM ops_sessions WHERE id = $1', [sessionId]);
}
