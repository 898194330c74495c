import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';

import type { Pool } from '../db/pool.js';
import type { Logger } from '../lib/logger.js';
import { registerApiRoutes } from './api.js';
import { clientError, frameworkError, installErrorHandling, installMethodNotAllowed } from './errors.js';
import { installJsonBodies } from './json-body.js';
import { instrumentHttp } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { defineRoute, type ApiRoute } from './route.js';
import { type OpsDeps, registerOpsDashboard } from './ops/plugin.js';
import { healthRoutes } from './routes/health.js';

export interface AppDeps {
  pool: Pool;
  logger: Logger;
  metrics: Registry;
  bodyLimitBytes: number;
  /** Headers and body must have arrived within this time; slower requests get 408 and are closed. */
  requestTimeoutMs: number;
  /** PEM files: serve HTTPS instead of HTTP. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** Bearer token `/metrics` requires (unset: none). */
  metricsToken?: string | undefined;
  /** Migration versions the code expects; `/readyz` fails until all are applied. */
  expectedMigrations: readonly string[];
  version: string;
  routes: readonly ApiRoute[];
  /** The ops dashboard at /ops; undefined: not served (worker-only processes). */
  ops?: OpsDeps | undefined;
}

/**
 * All request headers together: 8 KiB (Node's default is 16 KiB). Our callers send a key, a
 * signature and a few standard headers; every byte over that is only work for an attacker.
 */
const MAX_HEADER_BYTES = 8 * 1024;

/** Node's HTTP server options: header size, request deadlines (Fastify's default, 0, waits forever) and TLS. */
function serverOptions(deps: AppDeps): ServerOptions & { key?: Buffer; cert?: Buffer } {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: Math.min(60_000, deps.requestTimeoutMs),
    // How often Node checks those deadlines (its default, 30 s, would let a 1 s deadline run 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(deps.requestTimeoutMs / 4))),
    ...(deps.tls ? { cert: readFileSync(deps.tls.certFile), key: readFileSync(deps.tls.keyFile) } : {}),
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Widen pino's Logger to Fastify's logger interface, so the app keeps Fastify's default types.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const options: FastifyServerOptions = {
    loggerInstance,
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout: deps.requestTimeoutMs,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Behind a proxy, `request.ip` must be the client's address for the webhook IP allow-list.
    trustProxy: false,
    return503OnClosing: true,
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  };
  // Fastify types an https app differently; the routes and hooks are the same, so one type serves both.
  const app = (
    deps.tls ? Fastify({ ...(options as unknown as FastifyServerOptions<HttpsServer>), https: serverOptions(deps) }) : Fastify({ ...options, http: serverOptions(deps) })
  ) as unknown as FastifyInstance;

  const readBody = installJsonBodies(app);
  installErrorHandling(app);
  const addMethodNotAllowed = installMethodNotAllowed(app);
  instrumentHttp(app, deps.metrics);
  healthRoutes(app, deps);

  // The description of the API is part of it: the same key rule as every /api/v1 route.
  let openApi: Record<string, unknown> = {};
  const routes = [
    ...deps.routes,
    defineRoute({
      operationId: 'openapi',
      method: 'GET',
      url: '/openapi.json',
      access: 'read',
      tag: 'meta',
      summary: 'This description (OpenAPI 3.1), generated from the route table',
      success: { status: 200, description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) },
      handler: async () => openApi,
    }),
  ];
  openApi = buildOpenApi(routes, deps.version);
  registerApiRoutes(app, routes, deps.pool, readBody);
  addMethodNotAllowed();
  // After the 405 watcher: the dashboard answers unknown methods with its own HTML 404.
  if (deps.ops) await registerOpsDashboard(app, deps.ops);
  await app.ready();
  return app;
}
