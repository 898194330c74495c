import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { listRuns, type ScheduleRun } from '../../schedules/run-history.js';
import type { Schedule } from '../../schedules/runtime.js';
import { describeSchedules } from '../../schedules/status.js';
import { defineRoute } from '../route.js';
import { iso } from './customer-scope.js';

/** The schedules (src/schedules/) and their run history: one row per run of a slot. */

const presentRun = (run: ScheduleRun) => ({
  id: run.id,
  name: run.scheduleName,
  slot: run.slotAt.toISOString(),
  trigger: run.trigger,
  instance: run.instanceId,
  attempt: run.attempt,
  startedAt: run.startedAt.toISOString(),
  endedAt: iso(run.endedAt),
  durationMs: run.endedAt ? run.endedAt.getTime() - run.startedAt.getTime() : null,
  outcome: run.outcome,
  error: run.error,
  counts: run.counts,
});

export function scheduleRoutes(db: Queryable, schedules: readonly Schedule[]) {
  return [
    defineRoute({
      method: 'GET',
      url: '/schedules',
      access: 'read',
      tag: 'schedules',
      summary: 'Every schedule: cron expression (UTC), last and next run, status and duration of the last run',
      success: { status: 200, description: 'Schedules' },
      handler: async () => ({
        schedules: (await describeSchedules(db, schedules)).map((s) => ({
          name: s.schedule.name,
          description: s.schedule.description,
          cron: s.schedule.cron,
          setting: s.schedule.cronSetting,
          fillWindowMs: s.schedule.fillWindowMs,
          status: s.status,
          lastRun: s.lastRun ? presentRun(s.lastRun) : null,
          durationMs: s.durationMs,
          nextRunAt: iso(s.nextRunAt),
        })),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/schedules/runs',
      access: 'read',
      tag: 'schedules',
      summary: 'Runs of one slot each (slot time, instance, start, end, outcome, error, counts), newest first',
      query: z
        .object({
          name: z.string().min(1).max(100).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        })
        .strict(),
      success: { status: 200, description: 'Schedule runs, newest first' },
      handler: async ({ query }) => {
        if (query.name !== undefined && !schedules.some((s) => s.name === query.name)) {
          throw notFound(`No schedule named "${query.name}" (known: ${schedules.map((s) => s.name).join(', ')})`);
        }
        return { runs: (await listRuns(db, { scheduleName: query.name, limit: query.limit })).map(presentRun) };
      },
    }),
  ];
}
