import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { USER_ROLES } from '../../domain/value-sets.js';
import type { WarpUser } from '../../store/warp-users.js';
import { createUser, listUsers, updateUser } from '../../warp/users.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { emailAddress, plainText } from '../schemas.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, iso, isoTime } from './customer-scope.js';

/**
 * WARP portal users of a customer (src/warp/users.ts). Only facts about API keys travel (their
 * count), never a key: the bodies are strict, so a request that tries to send key values is refused.
 */

export const userView = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  firstname: z.string().nullable(),
  lastname: z.string().nullable(),
  role: z.enum(USER_ROLES).nullable(),
  twofaEnabled: z.boolean(),
  lastLogin: isoTime.nullable(),
  apiKeyCount: z.number().int(),
  lastApiCall: isoTime.nullable(),
  hubspotContactId: z.string().nullable(),
});

const presentUser = (user: WarpUser): z.input<typeof userView> => ({
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
    firstname: plainText(100).optional(),
    lastname: plainText(100).optional(),
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
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change')
  .meta({ minProperties: 1 });

export function userRoutes(pool: Pool) {
  const deps = { pool };
  return [
    defineRoute({
      operationId: 'createUser',
      method: 'POST',
      url: '/customers/:ban/users',
      access: 'write',
      tag: 'users',
      summary: 'Create a WARP user (synced to the HubSpot contact with the same email; one WARP user per email)',
      params: banParams,
      body: createBody,
      success: { status: 201, description: 'The user', schema: userView },
      errors: {
        404: 'No customer with this BAN',
        409: "`email_taken`: another WARP user has this email (compared without case), or it is a HubSpot contact of another customer's company",
      },
      handler: async ({ params, body }) => presentUser(valueOrRefusal(await createUser(deps, params.ban, body))),
    }),
    defineRoute({
      operationId: 'listUsers',
      method: 'GET',
      url: '/customers/:ban/users',
      access: 'read',
      tag: 'users',
      summary: 'List the WARP users of a customer, oldest first',
      params: banParams,
      query: z.object(pageQuery).strict(),
      success: { status: 200, description: 'One page of users', schema: pageSchema('users', userView) },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, query }) => presentPage('users', valueOrRefusal(await listUsers(deps, params.ban, pageRequest(query))), presentUser),
    }),
    defineRoute({
      operationId: 'updateUser',
      method: 'PATCH',
      url: '/customers/:ban/users/:userId',
      access: 'write',
      tag: 'users',
      summary: 'Update role, 2FA, last login or API key count of a user',
      params: banParams.extend({ userId: z.string().regex(/^usr_[A-Za-z0-9_]+$/, 'a user id looks like usr_…') }),
      body: patchBody,
      success: { status: 200, description: 'The updated user', schema: userView },
      errors: { 404: 'No customer with this BAN, or no such user of it' },
      handler: async ({ params, body }) => presentUser(valueOrRefusal(await updateUser(deps, params.ban, { userId: params.userId, ...body }))),
    }),
  ];
}
