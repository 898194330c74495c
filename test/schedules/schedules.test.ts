import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { JobSystem } from '../../src/jobs/runtime.js';
import { AppError } from '../../src/lib/errors.js';
import type { ScheduledWork } from '../../src/jobs/task.js';
import { type Schedule, queueSlotRun } from '../../src/schedules/runtime.js';
import { startSchedules } from '../../src/schedules/start.js';
import { captureLogger } from '../support/capture-log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { waitFor } from '../support/wait.js';

const MINUTE_MS = 60_000;
const tick: Schedule = {
  name: 'tick',
  description: 'every minute',
  cronSetting: 'SCHEDULE_TICK_CRON',
  defaultCron: '* * * * *',
  cron: '* * * * *',
  fillWindowMs: 15 * MINUTE_MS,
  task: 'tick',
};

let db: TestDatabase;
let systems: JobSystem[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`CREATE TABLE test_effects (slot timestamptz NOT NULL, instance int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
});
afterEach(async () => {
  await Promise.all(systems.map((s) => s.stop()));
  systems = [];
  await db.pool.query(`TRUNCATE test_effects, schedule_runs`);
  await db.pool.query(`DELETE FROM graphile_worker._private_known_crontabs`);
});
afterAll(async () => {
  await db?.drop();
});

/** Work that records each execution of a slot (the thing that must happen once per slot). */
const recording = (instance: number, durationMs = 20): ScheduledWork => async (run) => {
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  await db.pool.query(`INSERT INTO test_effects (slot, instance) VALUES ($1, $2)`, [run.slotAt, instance]);
  return { instance };
};

function start(instance: number, work: ScheduledWork = recording(instance), schedules = [tick]): Promise<JobSystem> {
  const { logger } = captureLogger('warn');
  return startSchedules({ databaseUrl: db.url, pool: db.pool, logger, concurrency: 2, tasks: [], schedules, work: { tick: work }, historyRetentionMs: 30 * 24 * 60 * MINUTE_MS }).then((s) => {
    systems.push(s);
    return s;
  });
}

const successes = async () =>
  (await db.pool.query<{ slot: Date; n: number; trigger: string }>(`SELECT slot_at AS slot, count(*)::int AS n, min(trigger) AS trigger FROM schedule_runs WHERE outcome = 'succeeded' GROUP BY slot_at ORDER BY slot_at`)).rows;

describe('schedules on graphile-worker crontab', () => {
  it('backfills the slots missed during an outage once each, across three instances starting together', async () => {
    // The schedule was last run 8 minutes ago; then every instance was down.
    const lastRun = new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 8 * MINUTE_MS);
    await db.pool.query(`INSERT INTO graphile_worker._private_known_crontabs (identifier, known_since, last_execution) VALUES ('tick', $1, $1)`, [lastRun]);
    const startedAt = Date.now();
    await Promise.all([start(1), start(2), start(3)]);
    const missed = Math.floor(startedAt / MINUTE_MS) - lastRun.getTime() / MINUTE_MS; // lastRun+1 … the current minute
    await waitFor(async () => (await successes()).length >= missed, 30_000, `${missed} backfilled slots`);

    const runs = await successes();
    expect(runs.slice(0, missed).map((r) => r.slot.getTime())).toEqual(Array.from({ length: missed }, (_, i) => lastRun.getTime() + (i + 1) * MINUTE_MS));
    expect(runs.every((r) => r.n === 1)).toBe(true);
    expect(runs.slice(0, missed).every((r) => r.trigger === 'backfill')).toBe(true);
    const effects = await db.pool.query<{ slot: Date; n: number }>(`SELECT slot, count(*)::int AS n FROM test_effects GROUP BY slot HAVING count(*) > 1`);
    expect(effects.rows).toEqual([]); // no slot executed twice
    // The runs of one schedule are serial (one queue): none started before the previous ended.
    const timeline = await db.pool.query<{ started_at: Date; ended_at: Date }>(`SELECT started_at, ended_at FROM schedule_runs ORDER BY started_at`);
    for (let i = 1; i < timeline.rows.length; i++) expect(timeline.rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(timeline.rows[i - 1]!.ended_at.getTime());
  });

  it('retries a failing slot with back-off and records each attempt; only the success counts', async () => {
    const slot = new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 2 * MINUTE_MS);
    // Only this slot's first attempt fails: the crontab may run the minute's own slot meanwhile.
    let failed = false;
    const flaky: ScheduledWork = async (run) => {
      if (!failed && run.slotAt.getTime() === slot.getTime()) {
        failed = true;
        throw new AppError(503, 'hubspot_unavailable', 'HubSpot is down for customer ops@example.com');
      }
      return recording(1)(run);
    };
    await start(1, flaky);
    await queueSlotRun(db.pool, tick, slot);
    await waitFor(async () => (await successes()).some((r) => r.slot.getTime() === slot.getTime()), 20_000, 'the retried slot');
    const rows = await db.pool.query(`SELECT attempt, outcome, error_code, error, counts FROM schedule_runs WHERE slot_at = $1 ORDER BY id`, [slot]);
    // The error as API clients may see it: a stable code, the message scrubbed of personal data.
    expect(rows.rows).toEqual([
      { attempt: 1, outcome: 'failed', error_code: 'hubspot_unavailable', error: 'HubSpot is down for customer [email]', counts: {} },
      { attempt: 2, outcome: 'succeeded', error_code: null, error: null, counts: { instance: 1 } },
    ]);
  });

  it('redoes a slot on request (the earlier success is superseded), and marks a run its dead instance left unfinished abandoned', async () => {
    await start(1);
    const slot = new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 60 * MINUTE_MS);
    await db.pool.query(`INSERT INTO schedule_runs (schedule_name, slot_at, trigger, instance_id, attempt) VALUES ('tick', $1, 'cron', 'dead-instance', 1)`, [slot]);
    for (let i = 0; i < 2; i++) {
      await queueSlotRun(db.pool, tick, slot);
      await waitFor(async () => ((await db.pool.query(`SELECT count(*)::int AS n FROM test_effects WHERE slot = $1`, [slot])).rows[0] as { n: number }).n === i + 1, 20_000, `run ${i + 1}`);
      await waitFor(async () => (await successes()).some((r) => r.slot.getTime() === slot.getTime()), 5_000, 'its success');
    }
    const rows = await db.pool.query(`SELECT instance_id, trigger, outcome FROM schedule_runs WHERE slot_at = $1 ORDER BY id`, [slot]);
    expect(rows.rows.map((r: { outcome: string; trigger: string }) => `${r.trigger}:${r.outcome}`)).toEqual(['cron:abandoned', 'manual:superseded', 'manual:succeeded']);
  });

  it('refuses a schedule whose task nothing provides', async () => {
    await expect(start(1, recording(1), [{ ...tick, task: 'missing' }])).rejects.toThrow('Schedule "tick" runs task "missing", which nothing provides');
  });
});
