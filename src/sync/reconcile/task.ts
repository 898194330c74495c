import { z } from 'zod';

import { type Pool, withTransaction } from '../../db/pool.js';
import { addJob } from '../../jobs/add-job.js';
import { defineTask, type ScheduledRun, type TaskContext, type TaskDefinition, type TaskSpec } from '../../jobs/task.js';
import { publicError, toError } from '../../lib/errors.js';
import { countLiveRows } from '../../store/reconcile-marks.js';
import {
  createOrGetActiveRun,
  finishRun,
  getReconcileRun,
  markRunRunning,
  pauseRun,
  type ReconcileMode,
  type ReconcileRun,
  type ReconcileTrigger,
  requeueRun,
} from '../../store/reconcile-runs.js';
import { CUSTOMER_SYNC_QUEUE } from '../inbound/customer-sync.js';
import { RECONCILE_OBJECT_TYPES, type ReconcileObjectType } from './catalogue.js';
import { driftFound, type DriftReport } from './report.js';
import { executeRun, ReconcilePaused, type RunnerDeps } from './runner.js';

/**
 * Reconcile as background work: a run is a `reconcile_runs` row (what the status API shows, and
 * what a resumed attempt continues from) plus a graphile-worker job in the serial `customer-sync`
 * queue, so never two walks at once across instances. The schedules (daily full, incremental
 * every 15 minutes) run in the same queue and adopt a run queued meanwhile.
 */

export const RECONCILE_TASK: TaskSpec<{ runId: string }> = {
  name: 'reconcile-run',
  payload: z.object({ runId: z.string().regex(/^\d+$/) }),
  queue: CUSTOMER_SYNC_QUEUE,
  // Every attempt resumes from the last committed page, so a few more attempts cost little.
  maxAttempts: 5,
};

export interface ReconcileRequest {
  mode: ReconcileMode;
  dryRun: boolean;
  objects: readonly ReconcileObjectType[];
  trigger: ReconcileTrigger;
}

const jobKey = (runId: string) => `reconcile:${runId}`;

async function createRun(pool: Pool, request: ReconcileRequest): Promise<{ run: ReconcileRun; created: boolean }> {
  const objects = request.objects.length > 0 ? request.objects : RECONCILE_OBJECT_TYPES;
  // Expected records per type, for the progress bar and its ETA (counted before the lock: estimates only).
  const estimate: Record<string, number> = {};
  for (const type of objects) estimate[type] = await countLiveRows(pool, type);
  return withTransaction(pool, (tx) => createOrGetActiveRun(tx, { ...request, objects, estimate }));
}

/** Queues a run, or returns the one already active (`created` false): never two at once. */
export async function queueReconcile(pool: Pool, request: ReconcileRequest): Promise<{ run: ReconcileRun; created: boolean }> {
  const queued = await createRun(pool, request);
  if (queued.created) await addJob(pool, RECONCILE_TASK, { runId: queued.run.id }, { jobKey: jobKey(queued.run.id) });
  return queued;
}

export type ReconcileDeps = RunnerDeps;

/** Runs an attempt to its end, pause or failure, recording which on the run. */
async function attempt(deps: ReconcileDeps, run: ReconcileRun, context: TaskContext): Promise<'finished' | 'paused'> {
  const { pool, logger } = deps;
  const log = { runId: run.id, mode: run.mode, dryRun: run.dryRun, attempt: context.attempt };
  logger.info(log, 'reconcile run started');
  try {
    await executeRun(deps, run, context.signal);
    await finishRun(pool, run.id, 'succeeded', null);
    logger.info(log, 'reconcile run finished');
    return 'finished';
  } catch (error) {
    if (error instanceof ReconcilePaused) {
      // Lowest priority: wait for the quota to reset, then go on from the last committed page.
      await pauseRun(pool, run.id, error.until, error.message);
      await addJob(pool, RECONCILE_TASK, { runId: run.id }, { jobKey: jobKey(run.id), runAt: error.until });
      logger.warn({ ...log, until: error.until }, 'reconcile run paused until the daily quota resets');
      return 'paused';
    }
    const err = toError(error);
    if (context.signal.aborted || !context.finalAttempt) await requeueRun(pool, run.id, publicError(err));
    else await finishRun(pool, run.id, 'failed', publicError(err));
    logger.error({ ...log, err }, 'reconcile run failed');
    throw err;
  }
}

/** The task behind POST /sync/customers/reconcile and `npm run cli -- reconcile`. */
export function reconcileTask(deps: ReconcileDeps): TaskDefinition {
  return defineTask(RECONCILE_TASK, async ({ runId }, context) => {
    const run = await markRunRunning(deps.pool, runId, context.attempt);
    if (!run) return; // finished already (adopted by a schedule, or run twice)
    await attempt(deps, run, context).catch((error: unknown) => {
      // The last attempt's failure is recorded on the run; the job ends here.
      if (context.finalAttempt && !context.signal.aborted) return;
      throw error;
    });
  });
}

/** Run history counts: per type and outcome, plus requests. */
export function reportCounts(run: { requests: number; report: Record<string, unknown> }): Record<string, number> {
  const report = run.report as Partial<DriftReport>;
  const counts: Record<string, number> = { requests: run.requests, drift: driftFound({ objects: report.objects ?? {}, associations: report.associations ?? {} }) };
  for (const [type, o] of Object.entries(report.objects ?? {})) {
    for (const key of ['read', 'changed', 'created', 'deleted', 'merged', 'unknown', 'invalid'] as const) if (o[key] > 0) counts[`${type}.${key}`] = o[key];
  }
  for (const [pair, a] of Object.entries(report.associations ?? {})) if (a.differing > 0) counts[`${pair}.differing`] = a.differing;
  return counts;
}

/**
 * A schedule's work: a run of this mode now, adopting one queued meanwhile (its own job then
 * finds it finished). A run active elsewhere (running, or paused for the quota) is left alone.
 */
export async function reconcileOnSchedule(deps: ReconcileDeps, mode: ReconcileMode, context: ScheduledRun): Promise<Record<string, number>> {
  const { run } = await createRun(deps.pool, { mode, dryRun: false, objects: RECONCILE_OBJECT_TYPES, trigger: 'schedule' });
  if (run.status !== 'queued') return { alreadyRunning: 1 };
  const running = await markRunRunning(deps.pool, run.id, context.attempt);
  if (!running) return { alreadyRunning: 1 };
  const outcome = await attempt(deps, running, context);
  const final = await getReconcileRun(deps.pool, run.id);
  return { ...(final ? reportCounts(final) : {}), ...(outcome === 'paused' ? { paused: 1 } : {}) };
}
