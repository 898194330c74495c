import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { TRUNK_STATUSES } from '../../domain/value-sets.js';
import type { Trunk } from '../../store/trunks.js';
import { createTrunk, deleteTrunk, getTrunk, listTrunks, updateTrunk } from '../../warp/trunks.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { plainText } from '../schemas.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, iso, isoTime } from './customer-scope.js';

/** SIP trunks of a customer (src/warp/trunks.ts); every change is queued for HubSpot. */

export const trunkView = z.object({
  trunkId: z.string(),
  name: z.string(),
  status: z.enum(TRUNK_STATUSES),
  /** Why the trunk is not active: `account_suspended`, `account_churned`, `credit_limit_reached`, `api`. */
  statusReason: z.string().nullable(),
  ipAddresses: z.array(z.string()),
  concurrentCalls: z.number().int(),
  monthlyMinutes: z.number().int(),
  partitionId: z.string().nullable(),
  createdDate: z.iso.date(),
  hubspotObjectId: z.string().nullable(),
  updatedAt: isoTime,
  deletedAt: isoTime.nullable(),
});

export const presentTrunk = (trunk: Trunk): z.input<typeof trunkView> => ({
  trunkId: trunk.trunkId,
  name: trunk.name,
  status: trunk.status,
  statusReason: trunk.statusReason,
  ipAddresses: trunk.ipAddresses,
  concurrentCalls: trunk.concurrentCalls,
  monthlyMinutes: trunk.monthlyMinutes,
  partitionId: trunk.partitionId,
  createdDate: trunk.createdDate,
  hubspotObjectId: trunk.hubspotObjectId,
  updatedAt: trunk.updatedAt.toISOString(),
  deletedAt: iso(trunk.deletedAt),
});

// Host addresses only (docs/product-rules.md "The CRM model"); a SIP peer is one address, not a network.
const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
const positiveInt = z.number().int().positive().max(2_147_483_647);

const trunkFields = {
  name: plainText(200),
  ipAddresses: z.array(ipAddress).min(1).max(50),
  concurrentCalls: positiveInt,
  monthlyMinutes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  partitionId: plainText(64).nullable(),
};

const createBody = z.object({ ...trunkFields, partitionId: trunkFields.partitionId.optional() }).strict();
const patchBody = z
  .object({
    name: trunkFields.name.optional(),
    ipAddresses: trunkFields.ipAddresses.optional(),
    concurrentCalls: trunkFields.concurrentCalls.optional(),
    monthlyMinutes: trunkFields.monthlyMinutes.optional(),
    partitionId: trunkFields.partitionId.optional(),
    status: z.enum(TRUNK_STATUSES).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change')
  .meta({ minProperties: 1 });

const trunkParams = banParams.extend({ trunkId: z.string().regex(/^trunk_[A-Za-z0-9_]+$/, 'a trunk id looks like trunk_…') });
const NO_TRUNK = { 404: 'No customer with this BAN, or no such trunk of it' };

export function trunkRoutes(pool: Pool) {
  const deps = { pool };
  return [
    defineRoute({
      operationId: 'createTrunk',
      method: 'POST',
      url: '/customers/:ban/trunks',
      access: 'write',
      tag: 'trunks',
      summary: 'Create a SIP trunk (synced to HubSpot with a timeline entry)',
      params: banParams,
      body: createBody,
      success: { status: 201, description: 'The new trunk', schema: trunkView },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, body }) => presentTrunk(valueOrRefusal(await createTrunk(deps, params.ban, body))),
    }),
    defineRoute({
      operationId: 'listTrunks',
      method: 'GET',
      url: '/customers/:ban/trunks',
      access: 'read',
      tag: 'trunks',
      summary: 'List the live trunks of a customer, oldest first',
      params: banParams,
      query: z.object(pageQuery).strict(),
      success: { status: 200, description: 'One page of trunks', schema: pageSchema('trunks', trunkView) },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, query }) => presentPage('trunks', valueOrRefusal(await listTrunks(deps, params.ban, pageRequest(query))), presentTrunk),
    }),
    defineRoute({
      operationId: 'getTrunk',
      method: 'GET',
      url: '/customers/:ban/trunks/:trunkId',
      access: 'read',
      tag: 'trunks',
      summary: 'One trunk',
      params: trunkParams,
      success: { status: 200, description: 'The trunk', schema: trunkView },
      errors: NO_TRUNK,
      handler: async ({ params }) => presentTrunk(valueOrRefusal(await getTrunk(deps, params.ban, params.trunkId))),
    }),
    defineRoute({
      operationId: 'updateTrunk',
      method: 'PATCH',
      url: '/customers/:ban/trunks/:trunkId',
      access: 'write',
      tag: 'trunks',
      summary: 'Change a trunk (configuration and/or status); edits in quick succession make one HubSpot write',
      params: trunkParams,
      body: patchBody,
      success: { status: 200, description: 'The updated trunk', schema: trunkView },
      errors: NO_TRUNK,
      handler: async ({ params, body }) => presentTrunk(valueOrRefusal(await updateTrunk(deps, params.ban, { trunkId: params.trunkId, ...body }))),
    }),
    defineRoute({
      operationId: 'deleteTrunk',
      method: 'DELETE',
      url: '/customers/:ban/trunks/:trunkId',
      access: 'write',
      tag: 'trunks',
      summary: 'Delete a trunk (archived in HubSpot)',
      params: trunkParams,
      success: { status: 200, description: 'The deleted trunk', schema: trunkView },
      errors: NO_TRUNK,
      handler: async ({ params }) => presentTrunk(valueOrRefusal(await deleteTrunk(deps, params.ban, params.trunkId))),
    }),
  ];
}
