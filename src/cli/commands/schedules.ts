import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { SCHEDULES } from '../../schedules/catalogue.js';
import { isSlot, previousSlot } from '../../schedules/cron.js';
import { listRuns, manualRunSince, type ScheduleRun } from '../../schedules/run-history.js';
import { queueSlotRun, resolveSchedules, type Schedule } from '../../schedules/runtime.js';
import { describeSchedules } from '../../schedules/status.js';
import { type CliCommand, UsageError } from '../command.js';
import { withDb } from '../database.js';

const USAGE = `Usage:
  npm run cli -- schedules list
  npm run cli -- schedules runs [NAME] [--limit N]
  npm run cli -- schedules run NAME [--at ISO-TIME] [--wait-s SECONDS]

list   every schedule: cron expression (UTC), status and duration of its last run, next run
runs   the latest runs (one row per run of a slot), of NAME or of every schedule
run    runs one slot of NAME now: its latest slot, or the slot at --at (e.g. 2026-05-01T00:00:00Z,
       which must be one of its slots). Running a slot again redoes it. Waits up to --wait-s
       (default 600) for a worker to finish it; exit code 1 if it fails or no worker ran it.

Schedules: ${SCHEDULES.map((s) => s.name).join(', ')}`;

/** node:util parseArgs with its mistakes (unknown option, missing value) reported as usage errors. */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const dash = (value: string | null | undefined): string => value ?? '-';
const seconds = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

function describeRun(run: ScheduleRun): string {
  const duration = run.endedAt ? run.endedAt.getTime() - run.startedAt.getTime() : null;
  const counts = Object.entries(run.counts).map(([k, v]) => `${k}=${v}`).join(' ');
  return [
    run.scheduleName.padEnd(20),
    run.slotAt.toISOString().padEnd(25),
    run.outcome.padEnd(11),
    run.trigger.padEnd(9),
    `attempt ${run.attempt}`.padEnd(10),
    `started ${run.startedAt.toISOString()}`,
    seconds(duration).padStart(9),
    `  ${run.instanceId}`,
    counts ? `  ${counts}` : '',
    run.error ? `  error: ${run.error.code}: ${run.error.message}` : '',
  ].join(' ');
}

function findSchedule(schedules: readonly Schedule[], name: string | undefined): Schedule {
  if (!name) throw new UsageError('Name the schedule to run');
  const schedule = schedules.find((s) => s.name === name);
  if (!schedule) throw new UsageError(`Unknown schedule "${name}"`);
  return schedule;
}

/** The slot to run: --at (which must be a slot of the schedule), or the latest slot until now. */
function slotToRun(schedule: Schedule, at: string | undefined): Date {
  if (at === undefined) {
    const latest = previousSlot(schedule.cron, new Date());
    if (!latest) throw new UsageError(`"${schedule.name}" (${schedule.cron}) had no slot in the past year; give --at`);
    return latest;
  }
  const parsed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(at) ? new Date(at) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw new UsageError(`--at must be an ISO time with a zone, e.g. 2026-05-01T00:00:00Z (got "${at}")`);
  if (!isSlot(schedule.cron, parsed)) {
    const before = previousSlot(schedule.cron, parsed);
    throw new UsageError(`${parsed.toISOString()} is not a slot of "${schedule.name}" (${schedule.cron}, UTC)${before ? `; the slot before it is ${before.toISOString()}` : ''}`);
  }
  if (schedule.pastSlotsOnly && parsed.getTime() > Date.now()) {
    throw new UsageError(`${parsed.toISOString()} has not come yet: "${schedule.name}" runs only slots in the past`);
  }
  return parsed;
}

export const schedulesCommand: CliCommand = {
  name: 'schedules',
  summary: 'List schedules and their runs; run one slot now',
  usage: USAGE,
  async run(args, context) {
    const [action, ...rest] = args;
    const schedules = resolveSchedules(SCHEDULES, context.config.schedules.cron);
    switch (action) {
      case 'list': {
        if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}"`);
        const statuses = await withDb(context, (db) => describeSchedules(db.pool, schedules));
        context.out(`${'NAME'.padEnd(20)} ${'CRON (UTC)'.padEnd(14)} ${'STATUS'.padEnd(11)} ${'LAST SLOT'.padEnd(25)} ${'DURATION'.padStart(9)}  NEXT RUN`);
        for (const s of statuses) {
          context.out(
            `${s.schedule.name.padEnd(20)} ${s.schedule.cron.padEnd(14)} ${s.status.padEnd(11)} ${dash(s.lastRun?.slotAt.toISOString()).padEnd(25)} ${seconds(s.durationMs).padStart(9)}  ${dash(s.nextRunAt?.toISOString())}`,
          );
        }
        return;
      }
      case 'runs': {
        const { values, positionals } = parse(rest, { limit: { type: 'string', default: '20' } });
        const limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit must be a whole number from 1 to 500');
        if (positionals.length > 1) throw new UsageError('Give at most one schedule name');
        const name = positionals[0] === undefined ? undefined : findSchedule(schedules, positionals[0]).name;
        const runs = await withDb(context, (db) => listRuns(db.pool, { scheduleName: name, limit }));
        if (runs.length === 0) context.out('No runs yet.');
        for (const run of runs) context.out(describeRun(run));
        return;
      }
      case 'run': {
        const { values, positionals } = parse(rest, { at: { type: 'string' }, 'wait-s': { type: 'string', default: '600' } });
        if (positionals.length !== 1) throw new UsageError('Give exactly one schedule name');
        const schedule = findSchedule(schedules, positionals[0]);
        const slotAt = slotToRun(schedule, values.at);
        const waitS = Number(values['wait-s']);
        if (!Number.isFinite(waitS) || waitS < 0) throw new UsageError('--wait-s must be a number of seconds ≥ 0');
        await withDb(context, async (db) => {
          const queuedAt = await queueSlotRun(db.pool, schedule, slotAt);
          context.out(`Queued ${schedule.name} for slot ${slotAt.toISOString()}.`);
          const deadline = Date.now() + waitS * 1000;
          for (;;) {
            const run = await manualRunSince(db.pool, schedule.name, slotAt, queuedAt);
            if (run && run.outcome !== 'running' && run.outcome !== 'abandoned') {
              context.out(describeRun(run));
              if (run.outcome !== 'succeeded') throw new Error(`the run ${run.outcome}`);
              return;
            }
            if (Date.now() > deadline) {
              throw new Error(`no worker finished it within ${waitS} s; it stays queued and runs when a worker is up (JOB_CONCURRENCY > 0)`);
            }
            await sleep(250);
          }
        });
        return;
      }
      case undefined:
      default:
        throw new UsageError(action ? `Unknown schedules action "${action}"` : 'Missing schedules action');
    }
  },
};
