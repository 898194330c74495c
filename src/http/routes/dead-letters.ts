import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { DEAD_LETTER_STATUSES, type DeadLetter, findDeadLetter, listDeadLetters } from '../../store/dead-letters.js';
import { discardDeadLetter, retryDeadLetter } from '../../sync/outbound/dead-letters.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { iso, isoTime } from './customer-scope.js';

/** Records the outbound sync gave up on: inspect, retry (back into the outbox) or discard. */

const deadLetterView = z.object({
  id: z.string(),
  objectType: z.string(),
  recordKey: z.string(),
  payload: z.unknown().describe('What was to be sent (refused values replaced)'),
  errors: z.array(z.object({ at: z.string(), message: z.string(), status: z.number().int().optional(), correlationId: z.string().optional() })),
  correlationId: z.string().nullable(),
  status: z.enum(DEAD_LETTER_STATUSES),
  createdAt: isoTime,
  resolvedAt: isoTime.nullable(),
});

const presentDeadLetter = (letter: DeadLetter): z.input<typeof deadLetterView> => ({
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
const NO_LETTER = { 404: 'No dead letter with this id' };
const CLOSED = { ...NO_LETTER, 409: '`dead_letter_closed`: already retried or discarded' };

export function deadLetterRoutes(pool: Pool) {
  return [
    defineRoute({
      operationId: 'listDeadLetters',
      method: 'GET',
      url: '/dead-letters',
      access: 'read',
      tag: 'dead-letters',
      summary: 'List dead letters (default: open ones), oldest first',
      query: z.object({ status: z.enum(DEAD_LETTER_STATUSES).default('open'), ...pageQuery }).strict(),
      success: { status: 200, description: 'One page of dead letters', schema: pageSchema('deadLetters', deadLetterView) },
      handler: async ({ query }) => presentPage('deadLetters', await listDeadLetters(pool, { status: query.status }, pageRequest(query)), presentDeadLetter),
    }),
    defineRoute({
      operationId: 'getDeadLetter',
      method: 'GET',
      url: '/dead-letters/:id',
      access: 'read',
      tag: 'dead-letters',
      summary: 'One dead letter with every attempt’s error',
      params: idParams,
      success: { status: 200, description: 'The dead letter', schema: deadLetterView },
      errors: NO_LETTER,
      handler: async ({ params }) => {
        const letter = await findDeadLetter(pool, params.id);
        if (!letter) throw notFound(`No dead letter ${params.id}`);
        return presentDeadLetter(letter);
      },
    }),
    defineRoute({
      operationId: 'retryDeadLetter',
      method: 'POST',
      url: '/dead-letters/:id/retry',
      access: 'write',
      tag: 'dead-letters',
      summary: 'Put the record back in the outbox (its current state is sent, with fresh attempts)',
      params: idParams,
      success: { status: 200, description: 'The dead letter, now retried', schema: deadLetterView },
      errors: CLOSED,
      handler: async ({ params }) => presentDeadLetter(await retryDeadLetter(pool, params.id)),
    }),
    defineRoute({
      operationId: 'discardDeadLetter',
      method: 'POST',
      url: '/dead-letters/:id/discard',
      access: 'write',
      tag: 'dead-letters',
      summary: 'Close a dead letter without retrying it',
      params: idParams,
      success: { status: 200, description: 'The dead letter, now discarded', schema: deadLetterView },
      errors: CLOSED,
      handler: async ({ params }) => presentDeadLetter(await discardDeadLetter(pool, params.id)),
    }),
  ];
}
