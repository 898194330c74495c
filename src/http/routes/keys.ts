import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { API_KEY_SCOPES, type ApiKey, createApiKey, listApiKeys, revokeApiKey } from '../../store/api-keys.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { numericId, plainText } from '../schemas.js';
import { isoTime } from './customer-scope.js';

const keyView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it; never the secret'),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  createdAt: isoTime,
  lastUsedAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
});

const presentKey = (key: ApiKey): z.input<typeof keyView> => ({
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
    name: plainText(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
  })
  .strict();

/** Key management over HTTP (admin only); the CLI offers the same operations. */
export function keyRoutes(db: Queryable) {
  return [
    defineRoute({
      operationId: 'whoami',
      method: 'GET',
      url: '/whoami',
      access: 'any',
      tag: 'keys',
      summary: 'The API key used for this request (name, scopes); any valid key may ask',
      success: { status: 200, description: 'The calling key', schema: keyView },
      handler: async ({ apiKey }) => presentKey(apiKey!),
    }),
    defineRoute({
      operationId: 'listKeys',
      method: 'GET',
      url: '/keys',
      access: 'admin',
      tag: 'keys',
      summary: 'List API keys (never their secrets), oldest first',
      query: z.object({ includeRevoked: z.enum(['true', 'false']).default('false'), ...pageQuery }).strict(),
      success: { status: 200, description: 'One page of keys', schema: pageSchema('keys', keyView) },
      handler: async ({ query }) => presentPage('keys', await listApiKeys(db, query.includeRevoked === 'true', pageRequest(query)), presentKey),
    }),
    defineRoute({
      operationId: 'createKey',
      method: 'POST',
      url: '/keys',
      access: 'admin',
      tag: 'keys',
      summary: 'Create an API key; the secret is in this response only',
      body: createKeyBody,
      success: { status: 201, description: 'The new key, with its secret', schema: keyView.extend({ key: z.string().describe('The secret: shown this once') }) },
      errors: { 409: '`key_name_taken`: an active key already has this name' },
      handler: async ({ body }) => {
        const { key, apiKey } = await createApiKey(db, body.name, body.scopes);
        return { ...presentKey(apiKey), key };
      },
    }),
    defineRoute({
      operationId: 'revokeKey',
      method: 'DELETE',
      url: '/keys/:id',
      access: 'admin',
      tag: 'keys',
      summary: 'Revoke an API key',
      params: z.object({ id: numericId('a key id') }),
      success: { status: 200, description: 'The revoked key', schema: keyView },
      errors: { 404: 'No active key with this id' },
      handler: async ({ params }) => {
        const revoked = await revokeApiKey(db, params.id);
        if (!revoked) throw notFound(`No active API key with id ${params.id}`);
        return presentKey(revoked);
      },
    }),
  ];
}
