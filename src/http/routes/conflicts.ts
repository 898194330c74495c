import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { listConflicts } from '../../store/conflicts.js';
import { SYNC_SIDES } from '../../domain/crm-catalogue.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { numericId } from '../schemas.js';
import { isoTime } from './customer-scope.js';

const query = z
  .object({
    objectType: z.enum(['company', 'contact', 'deal']).optional(),
    objectId: numericId('a HubSpot object id').optional(),
    ...pageQuery,
  })
  .strict();

const conflictView = z.object({
  id: z.string(),
  detectedAt: isoTime,
  objectType: z.string(),
  objectId: z.string(),
  property: z.string(),
  owner: z.enum(SYNC_SIDES),
  hubspotValue: z.string().nullable(),
  warpValue: z.string().nullable(),
  hubspotSource: z.string().nullable(),
  changedAt: isoTime,
  resolution: z.string(),
  inboxId: z.string().nullable(),
});

/** Field-ownership conflicts for review: HubSpot changes to fields WARP owns (newest first). */
export function conflictRoutes(db: Queryable) {
  return [
    defineRoute({
      operationId: 'listConflicts',
      method: 'GET',
      url: '/conflicts',
      access: 'read',
      tag: 'sync',
      summary: 'Changes refused because the other side owns the field, with both values; newest first',
      query,
      success: { status: 200, description: 'One page of conflicts', schema: pageSchema('conflicts', conflictView) },
      handler: async ({ query: q }) => {
        const page = await listConflicts(db, { objectType: q.objectType, objectId: q.objectId }, pageRequest(q));
        return presentPage('conflicts', page, (c) => ({ ...c, detectedAt: c.detectedAt.toISOString(), changedAt: c.changedAt.toISOString() }));
      },
    }),
  ];
}
