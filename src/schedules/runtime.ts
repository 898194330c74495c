import type { CronItem } from 'graphile-worker';
import { z } from 'zod';

import type { Pool, Queryable } from '../db/pool.js';
import { addJob } from '../jobs/add-job.js';
import { defineTask, type RunTrigger, type ScheduledWork, type TaskContext, type TaskDefinition, type TaskSpec } from '../jobs/task.js';
import { publicError, toError } from '../lib/errors.js';
import { INSTANCE_ID } from '../lib/instance.js';
import type { Logger } from '../lib/logger.js';
import type { ScheduleDefinition } from './catalogue.js';
import { beginRun, pruneRuns, recordFailure, recordSuccess } from './run-history.js';

/**
 * Schedules on graphile-worker's crontab. Each schedule becomes one cron item (identifier = its
 * name) whose job runs the schedule's task `schedule:<name>`:
 * - exactly once per slot across every instance: the crontab records each slot it queues in
 *   `known_crontabs`, so the instances that lose the race queue nothing;
 * - missed slots (no instance ran) are queued once each at the next start, up to the fill window,
 *   with `_cron.backfilled`;
 * - a slow run never overlaps the next: all jobs of a schedule share one serial queue;
 * - the slot time comes from `_cron.ts`, so a retried or backfilled job works on its own slot, and
 *   the run history (run-history.ts) never records two successes for one slot.
 */

export type Schedule = ScheduleDefinition & { cron: string };

const DEFAULT_MAX_ATTEMPTS = 3;

const slotPayload = z
  .object({
    _cron: z.object({ ts: z.iso.datetime(), backfilled: z.boolean().optional() }).optional(),
    slot: z.iso.datetime().optional(),
  })
  .refine((p) => p._cron !== undefined || p.slot !== undefined, { message: 'a slot time (_cron.ts or slot) is required' });

export function scheduleTaskSpec(schedule: Pick<ScheduleDefinition, 'name' | 'queue' | 'maxAttempts'>): TaskSpec<z.infer<typeof slotPayload>> {
  return {
    name: `schedule:${schedule.name}`,
    payload: slotPayload,
    queue: schedule.queue ?? `schedule:${schedule.name}`,
    maxAttempts: schedule.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}

/** Resolves each definition's cron expression from the parsed settings (keyed by schedule name). */
export function resolveSchedules(definitions: readonly ScheduleDefinition[], cronByName: Readonly<Record<string, string>>): Schedule[] {
  return definitions.map((d) => ({ ...d, cron: cronByName[d.name] ?? d.defaultCron }));
}

export interface ScheduleJobsOptions {
  schedules: readonly Schedule[];
  work: Readonly<Record<string, ScheduledWork>>;
  pool: Pool;
  logger: Logger;
  /** How long run history is kept. */
  historyRetentionMs: number;
}

/** The tasks and cron items that run the schedules, for `startJobs`. */
export function scheduleJobs(options: ScheduleJobsOptions): { tasks: TaskDefinition[]; cronItems: CronItem[] } {
  const tasks: TaskDefinition[] = [];
  const cronItems: CronItem[] = [];
  for (const schedule of options.schedules) {
    const work = options.work[schedule.task];
    if (!work) throw new Error(`Schedule "${schedule.name}" runs task "${schedule.task}", which nothing provides`);
    const spec = scheduleTaskSpec(schedule);
    tasks.push(defineTask(spec, (payload, context) => runSlot(options, schedule, work, payload, context)));
    cronItems.push({
      task: spec.name,
      match: schedule.cron,
      identifier: schedule.name,
      options: { backfillPeriod: schedule.fillWindowMs, queueName: spec.queue, maxAttempts: spec.maxAttempts },
    });
  }
  return { tasks, cronItems };
}

async function runSlot(options: ScheduleJobsOptions, schedule: Schedule, work: ScheduledWork, payload: z.infer<typeof slotPayload>, context: TaskContext): Promise<void> {
  const slotAt = new Date(payload._cron?.ts ?? payload.slot!);
  const trigger: RunTrigger = payload._cron ? (payload._cron.backfilled ? 'backfill' : 'cron') : 'manual';
  const logger = context.logger.child({ schedule: schedule.name, slot: slotAt.toISOString(), trigger });
  const runId = await beginRun(options.pool, { scheduleName: schedule.name, slotAt, trigger, instanceId: INSTANCE_ID, attempt: context.attempt });
  if (!runId) {
    logger.info('slot already ran successfully; nothing to do');
    return;
  }
  const startedMs = performance.now();
  try {
    const counts = await work({ ...context, logger, slotAt, trigger });
    await recordSuccess(options.pool, runId, counts);
    logger.info({ durationMs: Math.round(performance.now() - startedMs), counts }, 'scheduled run succeeded');
  } catch (error) {
    const err = toError(error);
    await recordFailure(options.pool, runId, publicError(err));
    if (context.signal.aborted) logger.warn({ attempt: context.attempt }, 'scheduled run interrupted by shutdown; its slot is retried');
    else logger.error({ err, attempt: context.attempt, maxAttempts: context.maxAttempts }, 'scheduled run failed');
    // Retried with back-off while attempts remain; the last failure stays in the history.
    if (!context.finalAttempt || context.signal.aborted) throw err;
  } finally {
    await pruneRuns(options.pool, schedule.name, options.historyRetentionMs).catch(() => undefined);
  }
}

/**
 * Queues a run of one slot now (`schedules run`), in the schedule's serial queue. The job key makes
 * asking twice before it starts one run; asking again after it ran redoes the slot. Returns the
 * database time it was queued (the run that answers starts after it).
 */
export async function queueSlotRun(db: Queryable, schedule: Schedule, slotAt: Date): Promise<Date> {
  const spec = scheduleTaskSpec(schedule);
  const { rows } = await db.query<{ now: Date }>('SELECT now()');
  await addJob(db, spec, { slot: slotAt.toISOString() }, { jobKey: `${spec.name}:${slotAt.toISOString()}` });
  return rows[0]!.now;
}
