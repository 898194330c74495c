import { z } from 'zod';

import { type Pool, type Queryable, withTransaction } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { TRUNK_STATUSES } from '../../domain/value-sets.js';
import { findTrunk, listTrunks, type Trunk } from '../../store/trunks.js';
import { createTrunk, deleteTrunk, updateTrunk } from '../../sync/outbound/warp-changes.js';
import { defineRoute } from '../route.js';
import { banParams, customerIdByBan, iso, safeText } from './customer-scope.js';

/** SIP trunks of a customer. Every change is queued for HubSpot in the same transaction. */

export const presentTrunk = (trunk: Trunk) => ({
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
  name: safeText(200),
  ipAddresses: z.array(ipAddress).min(1).max(50),
  concurrentCalls: positiveInt,
  monthlyMinutes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  partitionId: safeText(64).nullable(),
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
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');

const trunkParams = banParams.extend({ trunkId: z.string().regex(/^trunk_[A-Za-z0-9_]+$/, 'a trunk id looks like trunk_…') });

/** The trunk, if it belongs to the customer the BAN names; 404 otherwise. */
async function ownedTrunk(db: Queryable, ban: string, trunkId: string): Promise<Trunk> {
  const customerId = await customerIdByBan(db, ban);
  const trunk = await findTrunk(db, trunkId);
  if (!trunk || trunk.customerId !== customerId) throw notFound(`No trunk ${trunkId} for BAN ${ban}`);
  return trunk;
}

export function trunkRoutes(pool: Pool) {
  return [
    defineRoute({
      method: 'POST',
      url: '/customers/:ban/trunks',
      access: 'write',
      tag: 'trunks',
      summary: 'Create a SIP trunk (synced to HubSpot with a timeline entry)',
      params: banParams,
      body: createBody,
      success: { status: 201, description: 'The new trunk' },
      handler: async ({ params, body }) =>
        presentTrunk(
          await withTransaction(pool, async (tx) => {
            return createTrunk(tx, { customerId: await customerIdByBan(tx, params.ban), ...body });
          }),
        ),
    }),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/trunks',
      access: 'read',
      tag: 'trunks',
      summary: 'List the live trunks of a customer',
      params: banParams,
      success: { status: 200, description: 'Trunks' },
      handler: async ({ params }) => ({ trunks: (await listTrunks(pool, await customerIdByBan(pool, params.ban))).map(presentTrunk) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/trunks/:trunkId',
      access: 'read',
      tag: 'trunks',
      summary: 'One trunk',
      params: trunkParams,
      success: { status: 200, description: 'The trunk' },
      handler: async ({ params }) => presentTrunk(await ownedTrunk(pool, params.ban, params.trunkId)),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/customers/:ban/trunks/:trunkId',
      access: 'write',
      tag: 'trunks',
      summary: 'Change a trunk (configuration and/or status); edits in quick succession make one HubSpot write',
      params: trunkParams,
      body: patchBody,
      success: { status: 200, description: 'The updated trunk' },
      handler: async ({ params, body }) =>
        presentTrunk(
          await withTransaction(pool, async (tx) => {
            await ownedTrunk(tx, params.ban, params.trunkId);
            return (await updateTrunk(tx, params.trunkId, body))!;
          }),
        ),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/customers/:ban/trunks/:trunkId',
      access: 'write',
      tag: 'trunks',
      summary: 'Delete a trunk (archived in HubSpot)',
      params: trunkParams,
      success: { status: 200, description: 'The deleted trunk' },
      handler: async ({ params }) =>
        presentTrunk(
          await withTransaction(pool, async (tx) => {
            await ownedTrunk(tx, params.ban, params.trunkId);
            return (await deleteTrunk(tx, params.trunkId))!;
          }),
        ),
    }),
  ];
}
