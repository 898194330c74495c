// One instance of the scheduler benchmark (bench/scheduler.ts starts four): the real job system and
// schedules on the benchmark's database, with several schedules every minute whose work records
// each completed execution. `node --import tsx bench/scheduler-instance.ts DATABASE_URL INDEX`.
import type { ScheduledWork } from '../src/jobs/task.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import type { Schedule } from '../src/schedules/runtime.js';
import { startSchedules } from '../src/schedules/start.js';

const MINUTE_MS = 60_000;

/** Several schedules every minute (graphile-worker's granularity), one of them slow. */
export const BENCH_SCHEDULES: Array<Schedule & { workMs: number }> = [
  { name: 'bench-a', workMs: 50 },
  { name: 'bench-b', workMs: 300 },
  { name: 'bench-c', workMs: 2_000 },
  { name: 'bench-slow', workMs: 25_000 },
].map(({ name, workMs }) => ({
  name,
  description: `every minute, ${workMs} ms of work`,
  cronSetting: 'SCHEDULE_BENCH_CRON',
  defaultCron: '* * * * *',
  cron: '* * * * *',
  fillWindowMs: 10 * MINUTE_MS,
  task: name,
  workMs,
}));

async function main(): Promise<void> {
  const [url, index] = process.argv.slice(2);
  if (!url || !index) throw new Error('usage: scheduler-instance.ts DATABASE_URL INDEX');
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const pool = createPool(url, 6);
  const work = Object.fromEntries(
    BENCH_SCHEDULES.map((s): [string, ScheduledWork] => [
      s.name,
      async (run) => {
        const startedAt = new Date();
        // Real work stops when the instance shuts down, and is retried elsewhere.
        // (The signal is shared by every job of the runner: remove the listener when done.)
        await new Promise<void>((resolve, reject) => {
          const stop = (): void => {
            clearTimeout(timer);
            reject(new Error('stopped by shutdown'));
          };
          const timer = setTimeout(() => {
            run.signal.removeEventListener('abort', stop);
            resolve();
          }, s.workMs);
          run.signal.addEventListener('abort', stop, { once: true });
        });
        await pool.query(`INSERT INTO bench_slot_effects (schedule, slot, instance, started_at) VALUES ($1, $2, $3, $4)`, [s.name, run.slotAt, Number(index), startedAt]);
        return { workMs: s.workMs };
      },
    ]),
  );
  const jobs = await startSchedules({ databaseUrl: url, pool, logger, concurrency: 4, tasks: [], schedules: BENCH_SCHEDULES, work, historyRetentionMs: 24 * 60 * MINUTE_MS });
  process.once('SIGTERM', () => {
    void jobs.stop().then(() => pool.end()).then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

if (process.argv[1]?.endsWith('scheduler-instance.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
