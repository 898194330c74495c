import type { Registry } from 'prom-client';

import type { Pool } from '../db/pool.js';
import { type JobSystem, startJobs } from '../jobs/runtime.js';
import type { ScheduledWork, TaskDefinition } from '../jobs/task.js';
import type { Logger } from '../lib/logger.js';
import { type Schedule, scheduleJobs } from './runtime.js';

export interface StartSchedulesOptions {
  databaseUrl: string;
  pool: Pool;
  logger: Logger;
  metrics?: Registry | undefined;
  /** Jobs run at once in this process; 0: none (jobs and slots are still queued, others run them). */
  concurrency: number;
  /** Background tasks other code queues (import, reconcile, onboarding). */
  tasks: readonly TaskDefinition[];
  schedules: readonly Schedule[];
  /** The work each schedule's `task` names. */
  work: Readonly<Record<string, ScheduledWork>>;
  historyRetentionMs: number;
}

/** Starts the job system with the background tasks and every schedule's task and cron item. */
export async function startSchedules(options: StartSchedulesOptions): Promise<JobSystem> {
  const scheduled = scheduleJobs({ schedules: options.schedules, work: options.work, pool: options.pool, logger: options.logger, historyRetentionMs: options.historyRetentionMs });
  return startJobs({
    databaseUrl: options.databaseUrl,
    logger: options.logger,
    metrics: options.metrics,
    concurrency: options.concurrency,
    tasks: [...options.tasks, ...scheduled.tasks],
    cronItems: scheduled.cronItems,
  });
}
