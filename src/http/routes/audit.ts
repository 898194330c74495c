import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { listAudit } from '../../store/audit.js';
import { defineRoute } from '../route.js';
import { numericId, pageLimit } from '../schemas.js';

const query = z
  .object({
    entityType: z.enum(['customer', 'user', 'deal', 'trunk', 'onboarding']).optional(),
    entityId: z.string().min(1).max(100).optional(),
    before: numericId('an audit entry id').optional(),
    limit: pageLimit(500, 100),
  })
  .strict();

/** The cache's append-only change history (personal data appears only as "changed"). */
export function auditRoutes(db: Queryable) {
  return [
    defineRoute({
      method: 'GET',
      url: '/audit',
      access: 'read',
      tag: 'sync',
      summary: 'Changes to the WARP cache: source, event, before/after per field, time',
      query,
      success: { status: 200, description: 'Audit entries, newest first; page with ?before=<last id>' },
      handler: async ({ query: q }) => {
        const entries = await listAudit(db, { entityType: q.entityType, entityId: q.entityId, beforeId: q.before, limit: q.limit });
        return {
          entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })),
          nextBefore: entries.length === q.limit ? entries.at(-1)?.id : undefined,
        };
      },
    }),
  ];
}
