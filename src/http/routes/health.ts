import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import { migrationsApplied } from '../../db/migrate.js';
import { errorBody } from '../errors.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares a presented `Authorization` header with `Bearer <token>` in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  return header !== undefined && timingSafeEqual(digest(header.replace(/^bearer\s+/i, 'Bearer ')), digest(`Bearer ${token}`));
}

/**
 * Probes for orchestrators: `/healthz` says the process serves requests; `/readyz` says it can do
 * useful work (database reachable, schema current); `/metrics` is Prometheus text, behind
 * `Authorization: Bearer $METRICS_TOKEN` when that is set (it shares the listener with webhooks,
 * which must be public).
 */
export function healthRoutes(app: FastifyInstance, deps: { pool: Pool; metrics: Registry; expectedMigrations: readonly string[]; metricsToken?: string | undefined }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      if (!(await migrationsApplied(deps.pool, deps.expectedMigrations))) {
        return reply.status(503).send(errorBody('not_ready', 'Database migrations are pending'));
      }
      return { status: 'ready', database: 'ok', migrations: 'current' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.status(503).send(errorBody('not_ready', 'Database is unreachable'));
    }
  });

  app.get('/metrics', async (request, reply) => {
    if (deps.metricsToken !== undefined && !bearerMatches(request.headers.authorization, deps.metricsToken)) {
      return reply.status(401).send(errorBody('unauthorized', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"'));
    }
    reply.header('content-type', deps.metrics.contentType);
    return deps.metrics.metrics();
  });
}
