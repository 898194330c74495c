import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { getReconcileRun, listReconcileRuns, type ReconcileRun } from '../../store/reconcile-runs.js';
import { parseObjectList } from '../../sync/reconcile/catalogue.js';
import { type DriftReport, progressLine, renderReport, runProgress } from '../../sync/reconcile/report.js';
import { queueReconcile } from '../../sync/reconcile/task.js';
import { type CliCommand, type CliContext, UsageError } from '../command.js';
import { withDb } from '../database.js';

const USAGE = `Usage:
  npm run cli -- reconcile [--dry-run] [--objects companies,trunks] [--incremental] [--wait-s SECONDS]
  npm run cli -- reconcile show [RUN-ID]

Starts a reconcile run (or follows the one already active: one at a time) on a worker and shows its
progress bar with an ETA from the HubSpot rate budget, then its drift report: per object type and
field, how many records differ and what was done (--dry-run: what would be done; nothing changes).
--incremental compares only what HubSpot changed since the last watermark. Waits up to --wait-s
(default 3600); exit code 1 if the run fails or no worker finished it in time.
show    the report of a run (default: the latest).

Objects: companies, contacts, deals, tickets, trunks, numbers (default all).`;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { 'dry-run': { type: 'boolean' }, incremental: { type: 'boolean' }, objects: { type: 'string' }, 'wait-s': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function describe(run: ReconcileRun): string[] {
  const head = `run ${run.id}: ${run.mode}${run.dryRun ? ' (dry run)' : ''} of ${run.objects.join(', ')}, ${run.status}, ${run.requests} HubSpot requests`;
  const tail = [
    ...(run.pauseReason ? [`paused: ${run.pauseReason}`] : []),
    ...(run.error ? [`error: ${run.error.code}: ${run.error.message}`] : []),
  ];
  return [head, ...renderReport(run.report as unknown as DriftReport, run.dryRun), ...tail];
}

async function follow(context: CliContext, run: ReconcileRun, read: () => Promise<ReconcileRun | null>, waitMs: number): Promise<ReconcileRun> {
  const limits = context.config.hubspot.limits;
  const tty = process.stdout.isTTY === true;
  const deadline = Date.now() + waitMs;
  let current = run;
  let lastShown = -1;
  while (current.status !== 'succeeded' && current.status !== 'failed' && Date.now() < deadline) {
    const line = `${progressLine(runProgress(current, limits))}  ${current.status}`;
    const step = Math.floor(runProgress(current, limits).fraction * 10);
    if (tty) process.stdout.write(`\r${line}`);
    else if (step !== lastShown) context.out(line);
    lastShown = step;
    await sleep(1000);
    current = (await read()) ?? current;
  }
  if (tty) process.stdout.write(`\r${progressLine(runProgress(current, limits))}  ${current.status}\n`);
  return current;
}

export const reconcileCommand: CliCommand = {
  name: 'reconcile',
  summary: 'Reconcile HubSpot with the cache and WARP (full or incremental, dry run), with progress and drift report',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parse(args);
    if (positionals[0] === 'show') {
      await withDb(context, async (db) => {
        const run = positionals[1] ? await getReconcileRun(db.pool, positionals[1]) : (await listReconcileRuns(db.pool, 1))[0];
        if (!run) throw new UsageError(positionals[1] ? `No reconcile run ${positionals[1]}` : 'No reconcile run yet');
        for (const line of describe(run)) context.out(line);
      });
      return;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    const { objects, unknown } = parseObjectList(values.objects?.split(',') ?? []);
    if (unknown.length > 0) throw new UsageError(`Unknown object type: ${unknown.join(', ')}`);
    const waitS = values['wait-s'] === undefined ? 3600 : Number(values['wait-s']);
    if (!Number.isInteger(waitS) || waitS < 0) throw new UsageError('--wait-s must be a whole number of seconds');
    const finished = await withDb(context, async (db) => {
      const { run, created } = await queueReconcile(db.pool, {
        mode: values.incremental ? 'incremental' : 'full',
        dryRun: values['dry-run'] === true,
        objects,
        trigger: 'manual',
      });
      context.out(created ? `Queued reconcile run ${run.id} (${run.mode}${run.dryRun ? ', dry run' : ''}).` : `A reconcile run is already active: following run ${run.id} (alreadyRunning).`);
      const final = await follow(context, run, () => getReconcileRun(db.pool, run.id), waitS * 1000);
      for (const line of describe(final)) context.out(line);
      return final;
    });
    if (finished.status === 'failed') throw new Error(`reconcile run ${finished.id} failed`);
    if (finished.status !== 'succeeded') throw new Error(`reconcile run ${finished.id} is still ${finished.status} after ${waitS} s (is a worker running?)`);
  },
};
