import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';

import type { Queryable } from '../db/pool.js';
import type { ApiKey } from '../store/api-keys.js';
import { authenticate } from './auth.js';
import { validationError } from './errors.js';
import { gunzipRequestBody } from './gzip.js';
import type { ApiRoute } from './route.js';

export const API_PREFIX = '/api/v1';

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error.issues, where);
  return result.data;
}

/**
 * Registers `/api/v1` routes. Authentication runs before the body is parsed against the schema,
 * so an unauthenticated caller learns nothing about the expected input.
 */
export function registerApiRoutes(app: FastifyInstance, routes: readonly ApiRoute[], db: Queryable): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: API_PREFIX + route.url,
      ...(route.bodyLimitBytes ? { bodyLimit: route.bodyLimitBytes } : {}),
      ...(route.acceptsGzip ? { preParsing: gunzipRequestBody } : {}),
      handler: async (request: FastifyRequest, reply) => {
        let apiKey: ApiKey | null = null;
        if (route.access !== 'webhook') apiKey = await authenticate(request, db, route.access);
        const params = parse(route.params, request.params, 'path');
        const query = parse(route.query, request.query, 'query');
        const body = parse(route.body, request.body, 'body');
        const result = await route.handler({ params, query, body, request, reply, apiKey });
        if (reply.sent) return reply;
        return reply.status(route.success.status).send(result ?? undefined);
      },
    });
  }
}
