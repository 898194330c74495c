import type { FastifyRequest } from 'fastify';

import type { Queryable } from '../db/pool.js';
import { AppError } from '../lib/errors.js';
import { type ApiKey, type ApiKeyScope, findActiveApiKey } from '../store/api-keys.js';

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Resolves the caller's API key and checks it carries `scope` (`any`: every valid key). `admin`
 * satisfies every scope; otherwise the exact scope is required (a read-only dashboard key can
 * never write).
 */
export async function authenticate(request: FastifyRequest, db: Queryable, scope: ApiKeyScope | 'any'): Promise<ApiKey> {
  const header = request.headers.authorization;
  if (!header) throw new AppError(401, 'unauthorized', 'Send an API key as "Authorization: Bearer <key>"');
  const presented = BEARER.exec(header)?.[1];
  const apiKey = presented ? await findActiveApiKey(db, presented) : null;
  if (!apiKey) throw new AppError(401, 'unauthorized', 'The API key is invalid or revoked');
  if (scope !== 'any' && !apiKey.scopes.includes(scope) && !apiKey.scopes.includes('admin')) {
    throw new AppError(403, 'forbidden', `This API key lacks the "${scope}" scope`);
  }
  return apiKey;
}
