import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

import { type CronItem, parseCronItems, run, type Runner, type TaskList, type WorkerEvents } from 'graphile-worker';
import { Counter, type Registry } from 'prom-client';

import { createPool, describeConnectionError } from '../db/pool.js';
import { toError } from '../lib/errors.js';
import { graphileLogger } from '../lib/graphile-logger.js';
import { INSTANCE_ID } from '../lib/instance.js';
import type { Logger } from '../lib/logger.js';
import { startRunnerRegistry, type RunnerRegistry } from './runner-registry.js';
import type { TaskDefinition } from './task.js';

/**
 * The job system: one graphile-worker runner per process running the typed task list (payloads
 * parsed with each task's zod schema), with its crontab (src/schedules/ builds the cron items),
 * logging through our logger. graphile-worker brings job keys, retries with back-off, serial
 * queues, LISTEN/NOTIFY wake-up that reconnects, and the crontab's once-per-slot guarantee; this
 * module adds what it lacks for us: a dead instance's jobs come back within a minute (the runner
 * registry), and a runner that stops on its own (it gives up when it cannot record a job's result
 * for minutes) is started again, so a long database outage needs no supervisor.
 */

export interface JobSystemOptions {
  databaseUrl: string;
  logger: Logger;
  tasks: readonly TaskDefinition[];
  cronItems?: readonly CronItem[];
  /** Jobs run at once in this process; 0 runs no runner here (jobs are still queued). */
  concurrency: number;
  metrics?: Registry | undefined;
}

export interface JobSystem {
  /** Waits until no job is running or due (tests, CLI); throws after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** How often idle workers look for due jobs (retries, delayed jobs) when no NOTIFY arrives. */
const POLL_INTERVAL_MS = 1_000;
/** Shutdown: running jobs get their abort signal after this long, then stop between steps. */
const ABORT_AFTER_MS = 3_000;
const HEARTBEAT_MS = 10_000;
const RUNNER_DEAD_AFTER_MS = 45_000;
const RESTART_MAX_DELAY_MS = 30_000;

function jobMetrics(registry: Registry | undefined): Counter | undefined {
  if (!registry) return undefined;
  return new Counter({ name: 'warp_hubspot_jobs_total', help: 'Background job attempts finished in this instance, by task and outcome', labelNames: ['task', 'outcome'], registers: [registry] });
}

function taskList(tasks: readonly TaskDefinition[], logger: Logger): TaskList {
  const list: TaskList = {};
  for (const task of tasks) {
    list[task.spec.name] = async (payload, helpers) => {
      const context = {
        logger: logger.child({ task: task.spec.name, jobId: helpers.job.id }),
        signal: helpers.abortSignal,
        jobId: String(helpers.job.id),
        attempt: helpers.job.attempts,
        maxAttempts: helpers.job.max_attempts,
        finalAttempt: helpers.job.attempts >= helpers.job.max_attempts,
      };
      const parsed = task.spec.payload.safeParse(payload);
      if (!parsed.success) {
        // Retrying cannot fix a payload: say so once and let the job go.
        context.logger.error({ issues: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`) }, 'job payload does not match its task; dropped');
        return;
      }
      await task.run(parsed.data, context);
    };
  }
  return list;
}

export async function startJobs(options: JobSystemOptions): Promise<JobSystem> {
  const { logger } = options;
  const pool = createPool(options.databaseUrl, options.concurrency + 3, (error) => logger.debug(describeConnectionError(error), 'job system database connection lost'));
  const names = new Set<string>();
  for (const task of options.tasks) {
    if (names.has(task.spec.name)) throw new Error(`Two tasks are named "${task.spec.name}"`);
    names.add(task.spec.name);
  }
  const parsedCronItems = parseCronItems([...(options.cronItems ?? [])]);
  const counter = jobMetrics(options.metrics);
  let stopping = false;
  let runner: Runner | undefined;
  let registry: RunnerRegistry | undefined;

  const start = async (): Promise<void> => {
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) => {
      registry = startRunnerRegistry({ pool, runnerId: workerPool.id, instanceId: INSTANCE_ID, logger, heartbeatMs: HEARTBEAT_MS, deadAfterMs: RUNNER_DEAD_AFTER_MS });
    });
    events.on('job:success', ({ job }) => counter?.inc({ task: job.task_identifier, outcome: 'succeeded' }));
    events.on('job:error', ({ job }) => counter?.inc({ task: job.task_identifier, outcome: 'failed' }));
    try {
      runner = await run({
        pgPool: pool,
        concurrency: options.concurrency,
        noHandleSignals: true,
        pollInterval: POLL_INTERVAL_MS,
        logger: graphileLogger(logger),
        taskList: taskList(options.tasks, logger),
        parsedCronItems,
        events,
        // Without batching, 0.17.3 records a job's result with a promise nobody awaits, so a lost
        // connection at that moment is an unhandled rejection (the process dies). Batched (even
        // with no delay), recording is retried for minutes: a restart costs a delay, not the process.
        preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0, gracefulShutdownAbortTimeout: ABORT_AFTER_MS } },
      });
    } catch (error) {
      await registry?.stop();
      registry = undefined;
      throw error;
    }
    const current = runner;
    current.promise.then(
      () => restartUnlessStopping(undefined),
      (error: unknown) => restartUnlessStopping(error),
    );
  };

  let restarts = 0;
  const restartUnlessStopping = (error: unknown): void => {
    if (stopping) return;
    void registry?.stop();
    registry = undefined;
    restarts++;
    const delayMs = Math.min(RESTART_MAX_DELAY_MS, 1_000 * 2 ** Math.min(restarts, 5));
    logger.error({ err: error === undefined ? undefined : toError(error), restartInMs: delayMs }, 'job runner stopped unexpectedly; starting it again');
    void (async () => {
      for (;;) {
        await sleep(delayMs);
        if (stopping) return;
        try {
          await start();
          return;
        } catch (startError) {
          logger.warn({ err: toError(startError) }, 'job runner could not start; retrying');
        }
      }
    })();
  };

  if (options.concurrency > 0) await start();

  return {
    drain: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE locked_at IS NOT NULL OR (run_at <= now() AND attempts < max_attempts)`,
        );
        if (rows[0]!.n === 0) return;
        if (Date.now() > deadline) throw new Error(`jobs still due or running after ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    stop: async () => {
      stopping = true;
      await runner?.stop().catch((error: unknown) => logger.warn({ err: toError(error) }, 'job runner stopped with an error'));
      await registry?.stop();
      await pool.end();
    },
  };
}
