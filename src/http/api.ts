import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';

import type { Queryable } from '../db/pool.js';
import { badRequest } from '../lib/errors.js';
import { findBrokenText, jsonMayHoldBrokenText } from '../lib/text.js';
import type { ApiKey } from '../store/api-keys.js';
import { describeSensitive, findSensitiveValue } from '../domain/outgoing-guard.js';
import { authenticate } from './auth.js';
import { validationError } from './errors.js';
import { gunzipRequestBody } from './gzip.js';
import type { JsonBodyReader } from './json-body.js';
import type { ApiRoute } from './route.js';

export const API_PREFIX = '/api/v1';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's key, set before the body is read; null on webhook routes. */
    apiKey?: ApiKey | null;
  }
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error.issues, where);
  return result.data;
}

/**
 * Refuses, for every field of every route in one place, what must never be stored or sent on:
 * NULs and unpaired surrogates anywhere (PostgreSQL cannot store them: they used to answer 500),
 * and in bodies what the outgoing guard would refuse to send to HubSpot (a card number or an API
 * key, whether text or a number such as `monthlyMinutes`), which used to be accepted with 201 and
 * then dead-lettered for good. A route whose body is never sent on (`checksSensitiveText`) does
 * that part itself, for the free text it stores. `bodyBytes`: the JSON the body was parsed from,
 * whose escapes tell whether its strings need a closer look at all.
 */
function refuseUnusable(input: { path: unknown; query: unknown; body: unknown }, bodyBytes: Buffer | undefined, guardBody: boolean): void {
  for (const [where, value] of Object.entries(input)) {
    if (where === 'body' && bodyBytes && !jsonMayHoldBrokenText(bodyBytes)) continue;
    const broken = findBrokenText(value);
    if (broken) {
      const path = [where, broken.path].filter(Boolean).join('.');
      throw badRequest('invalid_value', `${path} contains a NUL character or an unpaired surrogate`, [{ path, message: 'must be valid Unicode text without NUL' }]);
    }
  }
  const sensitive = guardBody ? findSensitiveValue(input.body) : null;
  if (sensitive) {
    const path = ['body', sensitive.path].filter(Boolean).join('.');
    throw badRequest('sensitive_value', `${path} looks like ${describeSensitive(sensitive.kind)}, which is never stored or sent to HubSpot`, [
      { path, message: `must not look like ${describeSensitive(sensitive.kind)}` },
    ]);
  }
}

/**
 * Registers `/api/v1` routes. The caller's key is checked first, before the body is even read
 * (`onRequest`), so an unauthenticated caller gets 401, never 400/413/415, and learns nothing about
 * the expected input. Then the body is parsed, checked for unusable values, and parsed against
 * the route's schemas. Webhook routes verify their signature themselves and read the raw body.
 */
export function registerApiRoutes(app: FastifyInstance, routes: readonly ApiRoute[], db: Queryable, readBody: JsonBodyReader): void {
  for (const route of routes) {
    const access = route.access;
    app.route({
      method: route.method,
      url: API_PREFIX + route.url,
      ...(route.bodyLimitBytes === undefined ? {} : { bodyLimit: route.bodyLimitBytes }),
      ...(route.acceptsGzip ? { preParsing: gunzipRequestBody } : {}),
      ...(access === 'webhook'
        ? {}
        : {
            onRequest: async (request: FastifyRequest) => {
              request.apiKey = await authenticate(request, db, access);
            },
          }),
      handler: async (request: FastifyRequest, reply) => {
        const rawBody = route.body ? await readBody(request) : undefined;
        refuseUnusable({ path: request.params, query: request.query, body: rawBody }, request.rawBody, !route.checksSensitiveText);
        const params = parse(route.params, request.params, 'path');
        const query = parse(route.query, request.query, 'query');
        const body = parse(route.body, rawBody, 'body');
        const result = await route.handler({ params, query, body, request, reply, apiKey: request.apiKey ?? null });
        if (reply.sent) return reply;
        return reply.status(route.success.status).send(result ?? undefined);
      },
    });
  }
}
