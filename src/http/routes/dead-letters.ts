import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { scrubText } from '../../lib/redact.js';
import type { ApiKey } from '../../store/api-keys.js';
import { DEAD_LETTER_STATUSES, type DeadLetter, findDeadLetter, listDeadLetters } from '../../store/dead-letters.js';
import type { AttemptError } from '../../store/outbox.js';
import { discardDeadLetter, retryDeadLetter } from '../../sync/outbound/dead-letters.js';
import { pageQuery, pageRequest, pageSchema, presentPage } from '../paging.js';
import { defineRoute } from '../route.js';
import { numericId } from '../schemas.js';
import { iso, isoTime } from './customer-scope.js';

/**
 * Records the outbound sync gave up on: inspect, retry (back into the outbox) or discard. What was
 * sent (e911 addresses, caller names, note bodies) and HubSpot's own error text are shown only to
 * keys that may change data (`write`); a `read` key sees each attempt's stable code and status.
 */

/** A stable code for an attempt's failure, from what the outbound sync recorded. */
export function attemptCode(error: AttemptError): string {
  if (error.message.startsWith('Refused to send')) return 'outgoing_guard';
  const status = error.status;
  if (status === undefined || status === 0) return 'send_failed';
  if (status === 400 || status === 422) return 'hubspot_validation';
  if (status === 401 || status === 403) return 'hubspot_auth';
  if (status === 404) return 'hubspot_not_found';
  if (status === 409) return 'hubspot_conflict';
  if (status === 429) return 'hubspot_rate_limited';
  return status >= 500 ? 'hubspot_unavailable' : 'hubspot_error';
}

const mayWrite = (key: ApiKey | null): boolean => key !== null && (key.scopes.includes('write') || key.scopes.includes('admin'));

const deadLetterView = z.object({
  id: z.string(),
  objectType: z.string(),
  recordKey: z.string(),
  payload: z.unknown().describe('What was to be sent (refused values replaced); null for read keys'),
  errors: z.array(
    z.object({
      at: z.string(),
      code: z.string(),
      status: z.number().int().nullable(),
      correlationId: z.string().nullable(),
      message: z.string().optional().describe('HubSpot’s or the sync’s own words; write keys only'),
    }),
  ),
  correlationId: z.string().nullable(),
  status: z.enum(DEAD_LETTER_STATUSES),
  createdAt: isoTime,
  resolvedAt: isoTime.nullable(),
});

const presentDeadLetter = (letter: DeadLetter, key: ApiKey | null): z.input<typeof deadLetterView> => {
  const full = mayWrite(key);
  return {
    id: letter.id,
    objectType: letter.objectType,
    recordKey: letter.recordKey,
    // null for read keys: what was sent can hold personal data.
    payload: full ? letter.payload : null,
    errors: letter.errors.map((e) => ({
      at: e.at,
      code: attemptCode(e),
      status: e.status ?? null,
      correlationId: e.correlationId ?? null,
      ...(full ? { message: scrubText(e.message, 1000) } : {}),
    })),
    correlationId: letter.correlationId,
    status: letter.status,
    createdAt: letter.createdAt.toISOString(),
    resolvedAt: iso(letter.resolvedAt),
  };
};

const idParams = z.object({ id: numericId('a dead-letter id') });
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
      summary: 'List dead letters (default: open ones), oldest first; payloads and HubSpot messages need `write`',
      query: z.object({ status: z.enum(DEAD_LETTER_STATUSES).default('open'), ...pageQuery }).strict(),
      success: { status: 200, description: 'One page of dead letters', schema: pageSchema('deadLetters', deadLetterView) },
      handler: async ({ query, apiKey }) =>
        presentPage('deadLetters', await listDeadLetters(pool, { status: query.status }, pageRequest(query)), (l) => presentDeadLetter(l, apiKey)),
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
      handler: async ({ params, apiKey }) => {
        const letter = await findDeadLetter(pool, params.id);
        if (!letter) throw notFound(`No dead letter ${params.id}`);
        return presentDeadLetter(letter, apiKey);
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
      handler: async ({ params, apiKey }) => presentDeadLetter(await retryDeadLetter(pool, params.id), apiKey),
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
      handler: async ({ params, apiKey }) => presentDeadLetter(await discardDeadLetter(pool, params.id), apiKey),
    }),
  ];
}
