import type { z } from 'zod';

import type { Logger } from '../lib/logger.js';

/**
 * A background task of the job system (graphile-worker): its name, the zod schema its payload is
 * parsed with, and how its jobs run. Callers queue jobs with the spec alone (`addJob`, add-job.ts);
 * the composition root binds the spec to its handler (`defineTask`), so queuing a job never needs
 * the handler's dependencies.
 */
export interface TaskSpec<P> {
  /** graphile-worker's task identifier; also the job key prefix by convention. */
  name: string;
  payload: z.ZodType<P>;
  /** Jobs of one queue run one at a time across every instance (graphile-worker's named queues). */
  queue?: string | undefined;
  /** Attempts before the job is given up; retries wait graphile-worker's back-off (e^attempt seconds). */
  maxAttempts: number;
}

export interface TaskContext {
  logger: Logger;
  /** Aborted when the runner shuts down: stop between steps, the job is retried elsewhere. */
  signal: AbortSignal;
  jobId: string;
  /** This attempt's number (1 for the first run). */
  attempt: number;
  maxAttempts: number;
  /** No retry follows if this attempt fails: record the final failure. */
  finalAttempt: boolean;
}

/** A spec bound to its handler. A handler that throws is retried with back-off until its attempts run out. */
export interface TaskDefinition {
  spec: TaskSpec<unknown>;
  run(payload: unknown, context: TaskContext): Promise<void>;
}

export function defineTask<P>(spec: TaskSpec<P>, run: (payload: P, context: TaskContext) => Promise<void>): TaskDefinition {
  return { spec, run: (payload, context) => run(payload as P, context) };
}

/** How a scheduled run came about (src/schedules/): its cron slot, a backfilled missed slot, or `schedules run`. */
export type RunTrigger = 'cron' | 'backfill' | 'manual';

export interface ScheduledRun extends TaskContext {
  /** The slot this run is for (not the time it runs: a backfilled slot runs later). */
  slotAt: Date;
  trigger: RunTrigger;
}

/** The work a schedule runs; returns counts for its run history (rows read, deleted, …). */
export type ScheduledWork = (run: ScheduledRun) => Promise<Record<string, number>>;
