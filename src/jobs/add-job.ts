import type { Queryable } from '../db/pool.js';
import type { TaskSpec } from './task.js';

export interface JobOptions {
  /**
   * Deduplication: a job with the same key that has not started yet is replaced by this one (one
   * job, the latest payload); one that is running keeps running and this one runs after it.
   */
  jobKey?: string;
  /** `unsafe_dedupe`: do nothing when any job with the key exists, even a running one. */
  jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe';
  runAt?: Date;
  /** Overrides the spec's queue (e.g. a schedule shares the queue of the work it runs). */
  queue?: string;
  maxAttempts?: number;
}

/**
 * Queues a job in the caller's transaction through graphile-worker's SQL API, so the job commits
 * (or not) together with the change that asked for it, and runners in every process are woken by
 * its NOTIFY at commit. The payload is checked against the task's schema here, not only when it
 * runs. Returns the job id.
 */
export async function addJob<P>(db: Queryable, spec: TaskSpec<P>, payload: P, options: JobOptions = {}): Promise<string> {
  const checked = spec.payload.parse(payload);
  const { rows } = await db.query<{ id: string }>(
    `SELECT (graphile_worker.add_job($1, $2::json, queue_name => $3, run_at => $4, max_attempts => $5, job_key => $6, job_key_mode => $7)).id`,
    [spec.name, JSON.stringify(checked), options.queue ?? spec.queue ?? null, options.runAt ?? null, options.maxAttempts ?? spec.maxAttempts, options.jobKey ?? null, options.jobKeyMode ?? 'replace'],
  );
  return String(rows[0]!.id);
}
