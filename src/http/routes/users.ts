import { z } from 'zod';

import { type Pool, withTransaction } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { USER_ROLES } from '../../domain/value-sets.js';
import { listWarpUsers, type WarpUser } from '../../store/warp-users.js';
import { createUser, updateUser } from '../../sync/outbound/warp-changes.js';
import { defineRoute } from '../route.js';
import { emailAddress } from '../schemas.js';
import { banParams, customerIdByBan, iso, safeText } from './customer-scope.js';

/**
 * WARP portal users of a customer. Only facts about API keys travel (their count), never a key:
 * the bodies are strict, so a request that tries to send key values is refused.
 */

const presentUser = (user: WarpUser) => ({
  userId: user.userId,
  email: user.email,
  firstname: user.firstname,
  lastname: user.lastname,
  role: user.role,
  twofaEnabled: user.twofaEnabled,
  lastLogin: iso(user.lastLogin),
  apiKeyCount: user.apiKeyCount,
  lastApiCall: iso(user.lastApiCall),
  hubspotContactId: user.hubspotContactId,
});

const apiKeyCount = z.number().int().nonnegative().max(10_000);

const createBody = z
  .object({
    email: emailAddress,
    firstname: safeText(100).optional(),
    lastname: safeText(100).optional(),
    role: z.enum(USER_ROLES),
    twofaEnabled: z.boolean().optional(),
    apiKeyCount: apiKeyCount.optional(),
  })
  .strict();

const patchBody = z
  .object({
    role: z.enum(USER_ROLES).optional(),
    twofaEnabled: z.boolean().optional(),
    lastLogin: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
    apiKeyCount: apiKeyCount.optional(),
    lastApiCall: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');

export function userRoutes(pool: Pool) {
  return [
    defineRoute({
      method: 'POST',
      url: '/customers/:ban/users',
      access: 'write',
      tag: 'users',
      summary: 'Create a WARP user (synced to the HubSpot contact with the same email)',
      params: banParams,
      body: createBody,
      success: { status: 201, description: 'The user' },
      handler: async ({ params, body }) =>
        presentUser(await withTransaction(pool, async (tx) => createUser(tx, await customerIdByBan(tx, params.ban), body))),
    }),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/users',
      access: 'read',
      tag: 'users',
      summary: 'List the WARP users of a customer',
      params: banParams,
      success: { status: 200, description: 'Users' },
      handler: async ({ params }) => ({ users: (await listWarpUsers(pool, await customerIdByBan(pool, params.ban))).map(presentUser) }),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/customers/:ban/users/:userId',
      access: 'write',
      tag: 'users',
      summary: 'Update role, 2FA, last login or API key count of a user',
      params: banParams.extend({ userId: z.string().regex(/^usr_[A-Za-z0-9_]+$/, 'a user id looks like usr_…') }),
      body: patchBody,
      success: { status: 200, description: 'The updated user' },
      handler: async ({ params, body }) => {
        const user = await withTransaction(pool, async (tx) => updateUser(tx, await customerIdByBan(tx, params.ban), params.userId, body));
        if (!user) throw notFound(`No user ${params.userId} for BAN ${params.ban}`);
        return presentUser(user);
      },
    }),
  ];
}
