import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

import type { Pool } from '../../db/pool.js';
import { migrationsApplied } from '../../db/migrate.js';
import { errorBody } from '../errors.js';

/**
 * Probes for orchestrators: `/healthz` says the process serves requests; `/readyz` says it can do
 * useful work (database reachable, schema current); `/metrics` is Prometheus text.
 */
export function healthRoutes(app: FastifyInstance, deps: { pool: Pool; metrics: Registry; expectedMigrations: readonly string[] }): void {
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

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.contentType);
    return deps.metrics.metrics();
  });
}
