import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { badRequest, notFound } from '../../lib/errors.js';
import { getReconcileRun, listReconcileRuns, type ReconcileRun } from '../../store/reconcile-runs.js';
import { parseObjectList } from '../../sync/reconcile/catalogue.js';
import { runProgress } from '../../sync/reconcile/report.js';
import { queueReconcile } from '../../sync/reconcile/task.js';
import { defineRoute } from '../route.js';
import { isoTime } from './customer-scope.js';

export interface ReconcileRouteDeps {
  pool: Pool;
  /** The configured HubSpot burst limit, for the ETA. */
  limits: { burstLimit: number; burstWindowMs: number };
}

const publicErrorView = z.object({ code: z.string(), message: z.string() });

export const reconcileRunView = z.object({
  id: z.string(),
  mode: z.enum(['full', 'incremental']),
  dryRun: z.boolean(),
  objects: z.array(z.string()),
  trigger: z.enum(['manual', 'schedule']),
  status: z.enum(['queued', 'running', 'paused', 'succeeded', 'failed']),
  progress: z.object({
    requests: z.number().int().describe('HubSpot requests made so far'),
    expectedRequests: z.number().int().describe('Requests the whole run is expected to take'),
    fraction: z.number(),
    etaMs: z.number().nullable().describe('Time left at the configured burst limit'),
  }),
  report: z.record(z.string(), z.unknown()).describe('Per object type and field: records that differ and what was (or, dry, would be) done; per association pair the same'),
  pausedUntil: isoTime.nullable(),
  pauseReason: z.string().nullable(),
  error: publicErrorView.nullable(),
  attempts: z.number().int(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
});

export const presentReconcileRun = (run: ReconcileRun, limits: ReconcileRouteDeps['limits']): z.input<typeof reconcileRunView> => ({
  id: run.id,
  mode: run.mode,
  dryRun: run.dryRun,
  objects: run.objects,
  trigger: run.trigger,
  status: run.status,
  progress: runProgress(run, limits),
  report: run.report,
  pausedUntil: run.pausedUntil?.toISOString() ?? null,
  pauseReason: run.pauseReason,
  error: run.error,
  attempts: run.attempts,
  createdAt: run.createdAt.toISOString(),
  startedAt: run.startedAt?.toISOString() ?? null,
  finishedAt: run.finishedAt?.toISOString() ?? null,
});

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** Reconcile: start a run (full or incremental, dry or not, some object types), list runs, read one with its drift report. */
export function reconcileRoutes(deps: ReconcileRouteDeps) {
  return [
    defineRoute({
      operationId: 'startReconcile',
      method: 'POST',
      url: '/sync/customers/reconcile',
      access: 'write',
      tag: 'sync',
      summary: 'Compare HubSpot with the cache and WARP and repair drift per ownership (background run; dryRun only reports)',
      query: z
        .object({
          dryRun: flag.default(false),
          incremental: flag.default(false),
          objects: z.string().max(200).optional().describe('Comma-separated: companies, contacts, deals, tickets, trunks, numbers (default all)'),
        })
        .strict(),
      success: {
        status: 202,
        description: 'The run, queued (or the run already active: one at a time)',
        schema: z.object({ run: reconcileRunView, alreadyRunning: z.boolean() }),
      },
      handler: async ({ query, reply }) => {
        const { objects, unknown } = parseObjectList(query.objects?.split(',') ?? []);
        if (unknown.length > 0) throw badRequest('unknown_object_type', `Unknown object type: ${unknown.join(', ')} (known: companies, contacts, deals, tickets, trunks, numbers)`);
        const { run, created } = await queueReconcile(deps.pool, { mode: query.incremental ? 'incremental' : 'full', dryRun: query.dryRun, objects, trigger: 'manual' });
        reply.header('location', `/api/v1/sync/customers/reconcile/runs/${run.id}`);
        return { run: presentReconcileRun(run, deps.limits), alreadyRunning: !created };
      },
    }),
    defineRoute({
      operationId: 'listReconcileRuns',
      method: 'GET',
      url: '/sync/customers/reconcile/runs',
      access: 'read',
      tag: 'sync',
      summary: 'Reconcile runs with progress and drift report, newest first',
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }).strict(),
      success: { status: 200, description: 'Runs, newest first', schema: z.object({ runs: z.array(reconcileRunView) }) },
      handler: async ({ query }) => ({ runs: (await listReconcileRuns(deps.pool, query.limit)).map((r) => presentReconcileRun(r, deps.limits)) }),
    }),
    defineRoute({
      operationId: 'getReconcileRun',
      method: 'GET',
      url: '/sync/customers/reconcile/runs/:id',
      access: 'read',
      tag: 'sync',
      summary: 'One reconcile run: status, progress with ETA, drift report',
      params: z.object({ id: z.string().regex(/^\d{1,18}$/) }).strict(),
      success: { status: 200, description: 'The run', schema: z.object({ run: reconcileRunView }) },
      errors: { 404: 'No such run' },
      handler: async ({ params }) => {
        const run = await getReconcileRun(deps.pool, params.id);
        if (!run) throw notFound(`No reconcile run ${params.id}`);
        return { run: presentReconcileRun(run, deps.limits) };
      },
    }),
  ];
}
