import type { Pool } from '../db/pool.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * graphile-worker gives a job locked by a worker that died (SIGKILL, a lost machine) back to the
 * queue only after 4 hours, and a serial queue stays blocked as long. This registry closes that gap:
 * every job runner heartbeats its row in `job_runners`, and each runner that has itself been healthy
 * for a whole `deadAfterMs` declares runners whose heartbeat is older than that dead and releases
 * their jobs and queues with `graphile_worker.force_unlock_workers` (the library's documented way
 * to unlock the jobs of workers known to be gone). The "healthy for a whole period" rule keeps a
 * database restart from making the first instance back declare every other instance dead.
 */

export interface RunnerRegistryOptions {
  pool: Pool;
  /** graphile-worker's worker pool id (what locked jobs carry in `locked_by`). */
  runnerId: string;
  instanceId: string;
  logger: Logger;
  heartbeatMs: number;
  deadAfterMs: number;
}

export interface RunnerRegistry {
  stop(): Promise<void>;
}

/** Registers or renews this runner. */
async function heartbeat(pool: Pool, runnerId: string, instanceId: string): Promise<void> {
  await pool.query(
    `INSERT INTO job_runners (runner_id, instance_id) VALUES ($1, $2)
     ON CONFLICT (runner_id) DO UPDATE SET heartbeat_at = now()`,
    [runnerId, instanceId],
  );
}

/**
 * Forgets runners silent for `deadAfterMs` and unlocks their jobs, plus jobs locked that long by a
 * runner that never registered (it died between taking a job and its first heartbeat).
 */
async function releaseDeadRunners(pool: Pool, selfId: string, deadAfterMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ ids: string[] | null }>(
    `WITH dead AS (
       DELETE FROM job_runners WHERE heartbeat_at < now() - make_interval(secs => $1 / 1000.0) AND runner_id <> $2
       RETURNING runner_id
     ), unregistered AS (
       SELECT DISTINCT locked_by AS runner_id FROM graphile_worker.jobs
       WHERE locked_by IS NOT NULL AND locked_by <> $2 AND locked_at < now() - make_interval(secs => $1 / 1000.0)
         AND NOT EXISTS (SELECT 1 FROM job_runners r WHERE r.runner_id = jobs.locked_by)
     ), gone AS (
       SELECT runner_id FROM dead UNION SELECT runner_id FROM unregistered
     )
     SELECT (SELECT array_agg(runner_id) FROM gone) AS ids,
            graphile_worker.force_unlock_workers(coalesce((SELECT array_agg(runner_id) FROM gone), '{}'))`,
    [deadAfterMs, selfId],
  );
  return rows[0]?.ids ?? [];
}

export function startRunnerRegistry(options: RunnerRegistryOptions): RunnerRegistry {
  const { pool, runnerId, instanceId, logger } = options;
  let healthySinceMs: number | null = null;
  let failing = false;

  const beat = async (): Promise<void> => {
    try {
      await heartbeat(pool, runnerId, instanceId);
      healthySinceMs ??= Date.now();
      if (failing) logger.info({ runnerId }, 'job runner heartbeat restored');
      failing = false;
      if (Date.now() - healthySinceMs < options.deadAfterMs) return;
      const released = await releaseDeadRunners(pool, runnerId, options.deadAfterMs);
      if (released.length > 0) logger.warn({ runners: released }, 'released the jobs of job runners that stopped heartbeating (their instances died)');
    } catch (error) {
      healthySinceMs = null;
      if (!failing) logger.warn({ runnerId, err: toError(error) }, 'job runner heartbeat failed; retrying');
      failing = true;
    }
  };
  let current = beat();
  const timer = setInterval(() => {
    current = current.then(beat);
  }, options.heartbeatMs);

  return {
    stop: async () => {
      clearInterval(timer);
      await current;
      await pool.query('DELETE FROM job_runners WHERE runner_id = $1', [runnerId]).catch(() => undefined);
    },
  };
}
