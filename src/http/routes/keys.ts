import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { API_KEY_SCOPES, type ApiKey, createApiKey, listApiKeys, revokeApiKey } from '../../store/api-keys.js';
import { defineRoute } from '../route.js';
import { numericId } from '../schemas.js';

const presentKey = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  createdAt: key.createdAt.toISOString(),
  lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  revokedAt: key.revokedAt?.toISOString() ?? null,
});

const createKeyBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
  })
  .strict();

/** Key management over HTTP (admin only); the CLI offers the same operations. */
export function keyRoutes(db: Queryable) {
  return [
    defineRoute({
      method: 'GET',
      url: '/whoami',
      access: 'any',
      tag: 'keys',
      summary: 'The API key used for this request (name, scopes); any valid key may ask',
      success: { status: 200, description: 'The calling key' },
      handler: async ({ apiKey }) => presentKey(apiKey!),
    }),
    defineRoute({
      method: 'GET',
      url: '/keys',
      access: 'admin',
      tag: 'keys',
      summary: 'List API keys (never their secrets)',
      query: z.object({ includeRevoked: z.enum(['true', 'false']).default('false') }).strict(),
      success: { status: 200, description: 'Keys' },
      handler: async ({ query }) => ({ keys: (await listApiKeys(db, query.includeRevoked === 'true')).map(presentKey) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/keys',
      access: 'admin',
      tag: 'keys',
      summary: 'Create an API key; the secret is in this response only',
      body: createKeyBody,
      success: { status: 201, description: 'The new key, with its secret' },
      handler: async ({ body }) => {
        const { key, apiKey } = await createApiKey(db, body.name, body.scopes);
        return { ...presentKey(apiKey), key };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/keys/:id',
      access: 'admin',
      tag: 'keys',
      summary: 'Revoke an API key',
      params: z.object({ id: numericId('a key id') }),
      success: { status: 200, description: 'The revoked key' },
      handler: async ({ params }) => {
        const revoked = await revokeApiKey(db, params.id);
        if (!revoked) throw notFound(`No active API key with id ${params.id}`);
        return presentKey(revoked);
      },
    }),
  ];
}
