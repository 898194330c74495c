import { z } from 'zod';

import type { Queryable } from '../../db/pool.js';
import { notFound } from '../../lib/errors.js';
import { listRuns, type ScheduleRun } from '../../schedules/run-history.js';
import type { Schedule } from '../../schedules/runtime.js';
import { describeSchedules } from '../../schedules/status.js';
import { defineRoute } from '../route.js';
import { iso, isoTime } from './customer-scope.js';

/** The schedules (src/schedules/) and their run history: one row per run of a slot. */

const runView = z.object({
  id: z.string(),
  name: z.string(),
  slot: isoTime.describe('The time the cron expression named (UTC), not when the run started'),
  trigger: z.enum(['cron', 'backfill', 'manual']),
  instance: z.string().describe('The instance that ran it'),
  attempt: z.number().int(),
  startedAt: isoTime,
  endedAt: isoTime.nullable(),
  durationMs: z.number().int().nullable(),
  outcome: z.enum(['running', 'succeeded', 'failed', 'abandoned', 'superseded']),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  counts: z.record(z.string(), z.number()),
});

const scheduleView = z.object({
  name: z.string(),
  description: z.string(),
  cron: z.string().describe('Five fields, UTC'),
  setting: z.string().describe('The environment variable that sets the cron expression'),
  fillWindowMs: z.number().int().describe('How far back missed slots are run after an outage'),
  status: z.enum(['never_run', 'running', 'succeeded', 'failed', 'abandoned', 'superseded']).describe("The latest run's outcome"),
  lastRun: runView.nullable(),
  durationMs: z.number().int().nullable(),
  nextRunAt: isoTime.nullable(),
});

const presentRun = (run: ScheduleRun): z.input<typeof runView> => ({
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
      operationId: 'listSchedules',
      method: 'GET',
      url: '/schedules',
      access: 'read',
      tag: 'schedules',
      summary: 'Every schedule: cron expression (UTC), last and next run, status and duration of the last run',
      success: { status: 200, description: 'Schedules', schema: z.object({ schedules: z.array(scheduleView) }) },
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
      operationId: 'listScheduleRuns',
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
      success: { status: 200, description: 'Schedule runs, newest first', schema: z.object({ runs: z.array(runView) }) },
      errors: { 404: 'No schedule has that name' },
      handler: async ({ query }) => {
        if (query.name !== undefined && !schedules.some((s) => s.name === query.name)) {
          throw notFound(`No schedule named "${query.name}" (known: ${schedules.map((s) => s.name).join(', ')})`);
        }
        return { runs: (await listRuns(db, { scheduleName: query.name, limit: query.limit })).map(presentRun) };
      },
    }),
  ];
}
