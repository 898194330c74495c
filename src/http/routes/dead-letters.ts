import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { DEAD_LETTER_STATUSES, type DeadLetter, findDeadLetter, listDeadLetters } from '../../store/dead-letters.js';
import { discardDeadLetter, retryDeadLetter } from '../../sync/outbound/dead-letters.js';
import { defineRoute } from '../route.js';
import { iso } from './customer-scope.js';

/** Records the outbound sync gave up on: inspect, retry (back into the outbox) or discard. */

const presentDeadLetter = (letter: DeadLetter) => ({
  id: letter.id,
  objectType: letter.objectType,
  recordKey: letter.recordKey,
  payload: letter.payload,
  errors: letter.errors,
  correlationId: letter.correlationId,
  status: letter.status,
  createdAt: letter.createdAt.toISOString(),
  resolvedAt: iso(letter.resolvedAt),
});

const idParams = z.object({ id: z.string().regex(/^[0-9]+$/, 'must be a numeric dead-letter id') });

export function deadLetterRoutes(pool: Pool) {
  return [
    defineRoute({
      method: 'GET',
      url: '/dead-letters',
      access: 'read',
      tag: 'dead-letters',
      summary: 'List dead letters (default: open ones), oldest first; page with `after`',
      query: z
        .object({
          status: z.enum(DEAD_LETTER_STATUSES).default('open'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          after: z.string().regex(/^[0-9]+$/).optional(),
        })
        .strict(),
      success: { status: 200, description: 'Dead letters' },
      handler: async ({ query }) => ({ deadLetters: (await listDeadLetters(pool, { status: query.status, limit: query.limit, afterId: query.after })).map(presentDeadLetter) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/dead-letters/:id',
      access: 'read',
      tag: 'dead-letters',
      summary: 'One dead letter with every attempt’s error',
      params: idParams,
      success: { status: 200, description: 'The dead letter' },
      handler: async ({ params }) => {
        const letter = await findDeadLetter(pool, params.id);
        if (!letter) throw notFound(`No dead letter ${params.id}`);
        return presentDeadLetter(letter);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/dead-letters/:id/retry',
      access: 'write',
      tag: 'dead-letters',
      summary: 'Put the record back in the outbox (its current state is sent, with fresh attempts)',
      params: idParams,
      success: { status: 200, description: 'The dead letter, now retried' },
      handler: async ({ params }) => presentDeadLetter(await retryDeadLetter(pool, params.id)),
    }),
    defineRoute({
      method: 'POST',
      url: '/dead-letters/:id/discard',
      access: 'write',
      tag: 'dead-letters',
      summary: 'Close a dead letter without retrying it',
      params: idParams,
      success: { status: 200, description: 'The dead letter, now discarded' },
      handler: async ({ params }) => presentDeadLetter(await discardDeadLetter(pool, params.id)),
    }),
  ];
}
