import { z } from 'zod';

import { type Pool, type Queryable, withTransaction } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { NUMBER_CAPABILITIES, NUMBER_TYPES } from '../../domain/value-sets.js';
import { findNumber, listNumbers, type PhoneNumber } from '../../store/numbers.js';
import { addNumber, releaseNumber, updateNumber } from '../../sync/outbound/warp-changes.js';
import { defineRoute } from '../route.js';
import { banParams, customerIdByBan, e164, safeText } from './customer-scope.js';

/** Phone numbers of a customer: purchase, port in, release, E911 and CNAM updates. */

const presentNumber = (number: PhoneNumber) => ({
  number: number.number,
  trunkId: number.trunkId,
  type: number.type,
  capabilities: number.capabilities,
  monthlyCost: number.monthlyCost,
  e911Address: number.e911Address,
  cnam: number.cnam,
  status: number.status,
  hubspotObjectId: number.hubspotObjectId,
  updatedAt: number.updatedAt.toISOString(),
});

const trunkId = z.string().regex(/^trunk_[A-Za-z0-9_]+$/, 'a trunk id looks like trunk_…');
// Caller ID name: at most 15 characters (the CNAM database limit), letters, digits and simple punctuation.
const cnam = z.string().trim().regex(/^[A-Za-z0-9 .,'&-]{1,15}$/, 'CNAM is 1–15 letters, digits, spaces or . , \' & -');
const capabilities = z.array(z.enum(NUMBER_CAPABILITIES)).min(1).refine((c) => new Set(c).size === c.length, 'capabilities must not repeat');

const addBody = z
  .object({
    number: e164,
    /** `port`: the number is being ported in from another carrier (it is `porting` until done). */
    acquisition: z.enum(['purchase', 'port']).default('purchase'),
    type: z.enum(NUMBER_TYPES),
    capabilities,
    monthlyCost: z.number().nonnegative().max(100_000),
    trunkId: trunkId.optional(),
    e911Address: safeText(500).optional(),
    cnam: cnam.optional(),
  })
  .strict();

const patchBody = z
  .object({ trunkId: trunkId.nullable().optional(), e911Address: safeText(500).nullable().optional(), cnam: cnam.nullable().optional(), capabilities: capabilities.optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');

const numberParams = banParams.extend({ number: e164 });

async function ownedNumber(db: Queryable, ban: string, number: string): Promise<PhoneNumber> {
  const customerId = await customerIdByBan(db, ban);
  const found = await findNumber(db, number);
  if (!found || found.customerId !== customerId || found.status === 'released') throw notFound(`No number ${number} for BAN ${ban}`);
  return found;
}

export function numberRoutes(pool: Pool) {
  return [
    defineRoute({
      method: 'POST',
      url: '/customers/:ban/numbers',
      access: 'write',
      tag: 'numbers',
      summary: 'Purchase a number or start porting one in',
      params: banParams,
      body: addBody,
      success: { status: 201, description: 'The number' },
      handler: async ({ params, body }) =>
        presentNumber(
          await withTransaction(pool, async (tx) => {
            const { acquisition, ...input } = body;
            return addNumber(tx, await customerIdByBan(tx, params.ban), { ...input, status: acquisition === 'port' ? 'porting' : 'active' });
          }),
        ),
    }),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/numbers',
      access: 'read',
      tag: 'numbers',
      summary: 'List the numbers of a customer (released ones excluded)',
      params: banParams,
      success: { status: 200, description: 'Numbers' },
      handler: async ({ params }) => ({ numbers: (await listNumbers(pool, await customerIdByBan(pool, params.ban))).map(presentNumber) }),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/customers/:ban/numbers/:number',
      access: 'write',
      tag: 'numbers',
      summary: 'Change routing, E911 address, CNAM or capabilities of a number',
      params: numberParams,
      body: patchBody,
      success: { status: 200, description: 'The updated number' },
      handler: async ({ params, body }) =>
        presentNumber(
          await withTransaction(pool, async (tx) => {
            await ownedNumber(tx, params.ban, params.number);
            return (await updateNumber(tx, params.number, body))!;
          }),
        ),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/customers/:ban/numbers/:number',
      access: 'write',
      tag: 'numbers',
      summary: 'Release a number (removed from HubSpot)',
      params: numberParams,
      success: { status: 200, description: 'The released number' },
      handler: async ({ params }) =>
        presentNumber(
          await withTransaction(pool, async (tx) => {
            await ownedNumber(tx, params.ban, params.number);
            return (await releaseNumber(tx, params.number))!;
          }),
        ),
    }),
  ];
}
