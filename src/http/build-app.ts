import { randomUUID } from 'node:crypto';

import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

import type { Pool } from '../db/pool.js';
import type { Logger } from '../lib/logger.js';
import { API_PREFIX, registerApiRoutes } from './api.js';
import { installErrorHandling } from './errors.js';
import { instrumentHttp } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import type { ApiRoute } from './route.js';
import { healthRoutes } from './routes/health.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of a JSON body: webhook signatures are computed over these, never over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

export interface AppDeps {
  pool: Pool;
  logger: Logger;
  metrics: Registry;
  bodyLimitBytes: number;
  /** Migration versions the code expects; `/readyz` fails until all are applied. */
  expectedMigrations: readonly string[];
  version: string;
  routes: readonly ApiRoute[];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Widen pino's Logger to Fastify's logger interface, so the app keeps Fastify's default types.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.bodyLimitBytes,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Behind a proxy, `request.ip` must be the client's address for the webhook IP allow-list.
    trustProxy: false,
    return503OnClosing: true,
  });

  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // parseAs 'buffer' always hands us a Buffer; the union type comes from Fastify's overloads.
    const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
    request.rawBody = raw;
    void defaultJsonParser(request, raw.toString('utf8'), done);
  });

  installErrorHandling(app);
  instrumentHttp(app, deps.metrics);
  healthRoutes(app, deps);

  const openApi = buildOpenApi(deps.routes, deps.version);
  app.get(`${API_PREFIX}/openapi.json`, async () => openApi);
  registerApiRoutes(app, deps.routes, deps.pool);
  await app.ready();
  return app;
}
