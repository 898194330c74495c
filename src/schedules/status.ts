import type { Queryable } from '../db/pool.js';
import { nextSlot } from './cron.js';
import { latestRuns, type RunOutcome, type ScheduleRun } from './run-history.js';
import type { Schedule } from './runtime.js';

/** What `GET /api/v1/schedules` and `schedules list` show for each schedule. */
export interface ScheduleStatus {
  schedule: Schedule;
  /** The latest run's outcome, or `never_run`. */
  status: RunOutcome | 'never_run';
  lastRun: ScheduleRun | null;
  /** How long the latest finished run took. */
  durationMs: number | null;
  /** The next slot after now (null when the expression names none within a year). */
  nextRunAt: Date | null;
}

export async function describeSchedules(db: Queryable, schedules: readonly Schedule[], now = new Date()): Promise<ScheduleStatus[]> {
  const latest = await latestRuns(db, schedules.map((s) => s.name));
  return schedules.map((schedule) => {
    const lastRun = latest.get(schedule.name) ?? null;
    return {
      schedule,
      status: lastRun?.outcome ?? 'never_run',
      lastRun,
      durationMs: lastRun?.endedAt ? lastRun.endedAt.getTime() - lastRun.startedAt.getTime() : null,
      nextRunAt: nextSlot(schedule.cron, now),
    };
  });
}
