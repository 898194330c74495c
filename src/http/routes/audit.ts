import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { listAudit } from '../../store/audit.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { isoTime } from './customer-scope.js';

const query = z
  .object({
    entityType: z.enum(['customer', 'user', 'deal', 'trunk', 'onboarding']).optional(),
    entityId: z.string().min(1).max(100).optional(),
    ...pageQuery,
  })
  .strict();

const auditEntryView = z.object({
  id: z.string(),
  at: isoTime,
  entityType: z.string(),
  entityId: z.string(),
  source: z.string(),
  event: z.string(),
  inboxId: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()).describe('Per field: {before, after}, or {changed: true} for personal data'),
});

/** The cache's append-only change history (personal data appears only as "changed"). */
export function auditRoutes(db: Queryable) {
  return [
    defineRoute({
      operationId: 'listAudit',
      method: 'GET',
      url: '/audit',
      access: 'read',
      tag: 'sync',
      summary: 'Changes to the WARP cache: source, event, before/after per field, time; newest first',
      query,
      success: { status: 200, description: 'One page of audit entries', schema: pageSchema('entries', auditEntryView) },
      handler: async ({ query: q }) => {
        const page = await listAudit(db, { entityType: q.entityType, entityId: q.entityId }, pageRequest(q));
        return presentPage('entries', page, (e) => ({ ...e, at: e.at.toISOString() }));
      },
    }),
  ];
}
