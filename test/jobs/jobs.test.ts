import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { addJob } from '../../src/jobs/add-job.js';
import { startRunnerRegistry } from '../../src/jobs/runner-registry.js';
import { startJobs } from '../../src/jobs/runtime.js';
import { defineTask, type TaskSpec } from '../../src/jobs/task.js';
import { captureLogger } from '../support/capture-log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { waitFor } from '../support/wait.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const ECHO: TaskSpec<{ n: number }> = { name: 'test-echo', payload: z.object({ n: z.number().int() }), queue: 'test-serial', maxAttempts: 2 };

describe('the job system', () => {
  it('runs typed tasks, one at a time per queue, and drops a payload that does not match its schema', async () => {
    const { logger, lines } = captureLogger();
    const seen: number[] = [];
    let running = 0;
    let overlapped = false;
    const jobs = await startJobs({
      databaseUrl: db.url,
      logger,
      concurrency: 4,
      tasks: [
        defineTask(ECHO, async ({ n }) => {
          running++;
          overlapped ||= running > 1;
          await new Promise((resolve) => setTimeout(resolve, 30));
          seen.push(n);
          running--;
        }),
      ],
    });
    try {
      for (let n = 1; n <= 5; n++) await addJob(db.pool, ECHO, { n });
      await expect(addJob(db.pool, ECHO, { n: 1.5 })).rejects.toThrow(); // checked when queued, too
      await db.pool.query(`SELECT graphile_worker.add_job('test-echo', '{"n":"six"}', queue_name => 'test-serial')`);
      await jobs.drain();
      expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
      expect(overlapped).toBe(false);
      expect(lines().find((l) => l['msg'] === 'job payload does not match its task; dropped')).toMatchObject({ level: 'error', task: 'test-echo', issues: ['n Invalid input: expected number, received string'] });
    } finally {
      await jobs.stop();
    }
  });

  it('deduplicates by job key: queued twice before it runs, it runs once with the latest payload', async () => {
    await addJob(db.pool, ECHO, { n: 10 }, { jobKey: 'test-echo:dedup' });
    await addJob(db.pool, ECHO, { n: 11 }, { jobKey: 'test-echo:dedup' });
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE key = 'test-echo:dedup'`);
    expect(rows[0]).toEqual({ n: 1 });
    await db.pool.query(`SELECT graphile_worker.remove_job('test-echo:dedup')`);
  });
});

describe('the job runner registry', () => {
  it('gives the jobs of a runner that stopped heartbeating back to the queue; live runners keep theirs', async () => {
    const { logger, lines } = captureLogger();
    const dead = await addJob(db.pool, ECHO, { n: 20 });
    const unregistered = await addJob(db.pool, ECHO, { n: 21 });
    const alive = await addJob(db.pool, ECHO, { n: 22 });
    // What the library leaves behind when instances are SIGKILLed mid-job: locked for 4 hours.
    await db.pool.query(
      `UPDATE graphile_worker._private_jobs SET locked_by = CASE id WHEN $1 THEN 'pool-dead' WHEN $2 THEN 'pool-never-registered' ELSE 'pool-alive' END,
         locked_at = now() - interval '1 minute' WHERE id = ANY($3::bigint[])`,
      [dead, unregistered, [dead, unregistered, alive]],
    );
    await db.pool.query(`INSERT INTO job_runners (runner_id, instance_id, heartbeat_at) VALUES ('pool-dead', 'gone', now() - interval '1 minute'), ('pool-alive', 'here', now() + interval '1 hour')`);
    const registry = startRunnerRegistry({ pool: db.pool, runnerId: 'pool-self', instanceId: 'self', logger, heartbeatMs: 50, deadAfterMs: 1_000 });
    try {
      await waitFor(async () => lines().some((l) => String(l['msg']).startsWith('released the jobs')), 10_000, 'the release');
      const { rows } = await db.pool.query<{ id: string; locked_by: string | null }>(`SELECT id, locked_by FROM graphile_worker.jobs WHERE id = ANY($1::bigint[]) ORDER BY id`, [[dead, unregistered, alive]]);
      expect(rows.map((r) => r.locked_by)).toEqual([null, null, 'pool-alive']);
      const runners = await db.pool.query<{ runner_id: string }>(`SELECT runner_id FROM job_runners ORDER BY runner_id`);
      expect(runners.rows.map((r) => r.runner_id)).toEqual(['pool-alive', 'pool-self']);
    } finally {
      await registry.stop();
      await db.pool.query(`DELETE FROM graphile_worker._private_jobs WHERE id = ANY($1::bigint[])`, [[dead, unregistered, alive]]);
    }
    expect((await db.pool.query(`SELECT runner_id FROM job_runners WHERE runner_id = 'pool-self'`)).rowCount).toBe(0);
  });

  it('declares nobody dead before it has itself been healthy for the whole period (a database restart)', async () => {
    const { logger, lines } = captureLogger();
    await db.pool.query(`INSERT INTO job_runners (runner_id, instance_id, heartbeat_at) VALUES ('pool-other', 'other', now() - interval '10 seconds')`);
    const registry = startRunnerRegistry({ pool: db.pool, runnerId: 'pool-self-2', instanceId: 'self', logger, heartbeatMs: 50, deadAfterMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await registry.stop();
    expect(lines().some((l) => String(l['msg']).startsWith('released the jobs'))).toBe(false);
    expect((await db.pool.query(`SELECT 1 FROM job_runners WHERE runner_id = 'pool-other'`)).rowCount).toBe(1);
  });
});
