import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { NUMBER_CAPABILITIES, NUMBER_STATUSES, NUMBER_TYPES } from '../../domain/value-sets.js';
import type { PhoneNumber } from '../../store/numbers.js';
import { addNumber, listNumbers, releaseNumber, updateNumber } from '../../warp/numbers.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { plainText } from '../schemas.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, e164, isoTime } from './customer-scope.js';

/** Phone numbers of a customer (src/warp/numbers.ts): purchase, port in, release, E911 and CNAM updates. */

export const numberView = z.object({
  number: z.string(),
  trunkId: z.string().nullable(),
  type: z.enum(NUMBER_TYPES),
  capabilities: z.array(z.enum(NUMBER_CAPABILITIES)),
  monthlyCost: z.number(),
  e911Address: z.string().nullable(),
  cnam: z.string().nullable(),
  status: z.enum(NUMBER_STATUSES),
  hubspotObjectId: z.string().nullable(),
  updatedAt: isoTime,
});

const presentNumber = (number: PhoneNumber): z.input<typeof numberView> => ({
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
const capabilities = z
  .array(z.enum(NUMBER_CAPABILITIES))
  .min(1)
  .refine((c) => new Set(c).size === c.length, 'capabilities must not repeat')
  .meta({ uniqueItems: true });

const addBody = z
  .object({
    number: e164,
    /** `port`: the number is being ported in from another carrier (it is `porting` until done). */
    acquisition: z.enum(['purchase', 'port']).default('purchase'),
    type: z.enum(NUMBER_TYPES),
    capabilities,
    monthlyCost: z.number().nonnegative().max(100_000),
    trunkId: trunkId.optional(),
    e911Address: plainText(500).optional(),
    cnam: cnam.optional(),
  })
  .strict();

const patchBody = z
  .object({ trunkId: trunkId.nullable().optional(), e911Address: plainText(500).nullable().optional(), cnam: cnam.nullable().optional(), capabilities: capabilities.optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change')
  .meta({ minProperties: 1 });

const numberParams = banParams.extend({ number: e164 });
const NO_NUMBER = { 404: 'No customer with this BAN, no such number of it (released ones included), or the routing trunk is not its own' };

export function numberRoutes(pool: Pool) {
  const deps = { pool };
  return [
    defineRoute({
      operationId: 'addNumber',
      method: 'POST',
      url: '/customers/:ban/numbers',
      access: 'write',
      tag: 'numbers',
      summary: 'Purchase a number or start porting one in',
      params: banParams,
      body: addBody,
      success: { status: 201, description: 'The number', schema: numberView },
      errors: { 404: 'No customer with this BAN, or the routing trunk is not its own', 409: 'The number is in use (`number_taken`)' },
      handler: async ({ params, body }) => {
        const { acquisition, ...input } = body;
        return presentNumber(valueOrRefusal(await addNumber(deps, params.ban, { ...input, status: acquisition === 'port' ? 'porting' : 'active' })));
      },
    }),
    defineRoute({
      operationId: 'listNumbers',
      method: 'GET',
      url: '/customers/:ban/numbers',
      access: 'read',
      tag: 'numbers',
      summary: 'List the numbers of a customer (released ones excluded), oldest first',
      params: banParams,
      query: z.object(pageQuery).strict(),
      success: { status: 200, description: 'One page of numbers', schema: pageSchema('numbers', numberView) },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, query }) => presentPage('numbers', valueOrRefusal(await listNumbers(deps, params.ban, pageRequest(query))), presentNumber),
    }),
    defineRoute({
      operationId: 'updateNumber',
      method: 'PATCH',
      url: '/customers/:ban/numbers/:number',
      access: 'write',
      tag: 'numbers',
      summary: 'Change routing, E911 address, CNAM or capabilities of a number',
      params: numberParams,
      body: patchBody,
      success: { status: 200, description: 'The updated number', schema: numberView },
      errors: NO_NUMBER,
      handler: async ({ params, body }) => presentNumber(valueOrRefusal(await updateNumber(deps, params.ban, { number: params.number, ...body }))),
    }),
    defineRoute({
      operationId: 'releaseNumber',
      method: 'DELETE',
      url: '/customers/:ban/numbers/:number',
      access: 'write',
      tag: 'numbers',
      summary: 'Release a number (removed from HubSpot)',
      params: numberParams,
      success: { status: 200, description: 'The released number', schema: numberView },
      errors: { 404: 'No customer with this BAN, or no such number of it (released ones included)' },
      handler: async ({ params }) => presentNumber(valueOrRefusal(await releaseNumber(deps, params.ban, params.number))),
    }),
  ];
}
