import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { listConflicts } from '../../store/conflicts.js';
import { defineRoute } from '../route.js';
import { numericId, pageLimit } from '../schemas.js';

const query = z
  .object({
    objectType: z.enum(['company', 'contact', 'deal']).optional(),
    objectId: numericId('a HubSpot object id').optional(),
    before: numericId('a conflict id').optional(),
    limit: pageLimit(500, 100),
  })
  .strict();

/** Field-ownership conflicts for review: HubSpot changes to fields WARP owns (newest first). */
export function conflictRoutes(db: Queryable) {
  return [
    defineRoute({
      method: 'GET',
      url: '/conflicts',
      access: 'read',
      tag: 'sync',
      summary: 'Changes refused because the other side owns the field, with both values',
      query,
      success: { status: 200, description: 'Conflicts, newest first; page with ?before=<last id>' },
      handler: async ({ query: q }) => {
        const conflicts = await listConflicts(db, { objectType: q.objectType, objectId: q.objectId, beforeId: q.before, limit: q.limit });
        return {
          conflicts: conflicts.map((c) => ({ ...c, detectedAt: c.detectedAt.toISOString(), changedAt: c.changedAt.toISOString() })),
          nextBefore: conflicts.length === q.limit ? conflicts.at(-1)?.id : undefined,
        };
      },
    }),
  ];
}
