// `npm run bench -- scheduler`: four instances (separate processes) run several schedules every
// minute on one PostgreSQL for a bounded run: one instance is killed with SIGKILL and restarted,
// and once every instance is stopped for two minutes and started again (the slots missed meanwhile
// must be backfilled). Prints slots due, slots run, duplicate runs and missed slots (both must be
// 0) and the worst start delay; the last line is JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { createPool, type Pool } from '../src/db/pool.js';
import { startBenchDatabase } from './hubspot-support.js';
import { BENCH_SCHEDULES } from './scheduler-instance.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MINUTE_MS = 60_000;
const INSTANCES = 4;
const KILL_AT_MS = 90_000;
const RESTART_KILLED_AFTER_MS = 20_000;
const ALL_STOP_AT_MS = 200_000;
const OUTAGE_MS = 120_000;
const RUN_AFTER_OUTAGE_MS = 150_000;
const DRAIN_TIMEOUT_MS = 120_000;

interface Instance {
  index: number;
  child: ChildProcess;
}

async function startInstance(url: string, index: number): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/scheduler-instance.ts'), url, String(index)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`instance ${index} exited with ${code} before it was ready`)));
  });
  return { index, child };
}

const stop = (instance: Instance, signal: NodeJS.Signals): Promise<void> =>
  new Promise((resolve) => {
    if (instance.child.exitCode !== null || instance.child.signalCode !== null) return resolve();
    instance.child.once('exit', () => resolve());
    instance.child.kill(signal);
  });

/** The instance running a bench-slow slot now (waits for one to start); instance ids carry the pid. */
async function runningSlowRun(pool: Pool, instances: Instance[]): Promise<Instance> {
  for (;;) {
    const { rows } = await pool.query<{ instance_id: string }>(`SELECT instance_id FROM schedule_runs WHERE schedule_name = 'bench-slow' AND outcome = 'running'`);
    const found = instances.find((i) => rows.some((r) => r.instance_id.includes(`-${i.child.pid}-`)));
    if (found) return found;
    await sleep(500);
  }
}

const say = (t0: number, line: string) => process.stdout.write(`  [${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

export async function run(): Promise<void> {
  const database = await startBenchDatabase();
  const pool = createPool(database.url, 4);
  try {
    await pool.query(`CREATE TABLE bench_slot_effects (schedule text NOT NULL, slot timestamptz NOT NULL, instance int NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL DEFAULT now())`);
    process.stdout.write(`scheduler: ${INSTANCES} instances, ${BENCH_SCHEDULES.length} schedules every minute (${BENCH_SCHEDULES.map((s) => `${s.name} ${s.workMs} ms`).join(', ')})\n`);
    const t0 = Date.now();
    let instances = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => startInstance(database.url, i + 1)));
    say(t0, `${INSTANCES} instances started`);

    // Kill the instance that is in the middle of the slow schedule's run: its job stays locked by
    // a dead runner until the others release it.
    await sleep(KILL_AT_MS - (Date.now() - t0));
    const victim = await runningSlowRun(pool, instances);
    await stop(victim, 'SIGKILL');
    say(t0, `instance ${victim.index} killed (SIGKILL) in the middle of a bench-slow run`);
    await sleep(RESTART_KILLED_AFTER_MS);
    instances[victim.index - 1] = await startInstance(database.url, victim.index);
    say(t0, `instance ${victim.index} restarted`);

    await sleep(ALL_STOP_AT_MS - (Date.now() - t0));
    await Promise.all(instances.map((i) => stop(i, 'SIGTERM')));
    const outageStartMs = Date.now();
    say(t0, `all ${INSTANCES} instances stopped (SIGTERM) for ${OUTAGE_MS / 1000} s`);
    await sleep(OUTAGE_MS);
    const outageEndMs = Date.now();
    instances = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => startInstance(database.url, i + 1)));
    say(t0, `all ${INSTANCES} instances started again`);

    await sleep(RUN_AFTER_OUTAGE_MS);
    // Every slot up to this minute is due; wait until each has run (the slow one takes 25 s).
    const lastDueMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    const known = await pool.query<{ identifier: string; known_since: Date }>(`SELECT identifier, known_since FROM graphile_worker._private_known_crontabs`);
    const due = BENCH_SCHEDULES.flatMap((s) => {
      const since = known.rows.find((k) => k.identifier === s.name)!.known_since.getTime();
      const first = Math.floor(since / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      return Array.from({ length: (lastDueMs - first) / MINUTE_MS + 1 }, (_, i) => ({ schedule: s.name, slotMs: first + i * MINUTE_MS }));
    });
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM schedule_runs WHERE outcome = 'succeeded' AND slot_at <= $1`, [new Date(lastDueMs)]);
      if (rows[0]!.n >= due.length || Date.now() > deadline) break;
      await sleep(1_000);
    }
    await Promise.all(instances.map((i) => stop(i, 'SIGTERM')));
    say(t0, 'stopped; counting');

    const runs = await pool.query<{ schedule_name: string; slot_at: Date; trigger: string; outcome: string; started_at: Date; ended_at: Date | null }>(
      `SELECT schedule_name, slot_at, trigger, outcome, started_at, ended_at FROM schedule_runs WHERE slot_at <= $1 ORDER BY started_at`,
      [new Date(lastDueMs)],
    );
    const effects = await pool.query<{ schedule: string; slot: Date; n: number }>(`SELECT schedule, slot, count(*)::int AS n FROM bench_slot_effects GROUP BY 1, 2`);
    const key = (schedule: string, slotMs: number) => `${schedule} ${slotMs}`;
    const succeeded = new Set(runs.rows.filter((r) => r.outcome === 'succeeded').map((r) => key(r.schedule_name, r.slot_at.getTime())));
    const successRows = runs.rows.filter((r) => r.outcome === 'succeeded').length;
    const duplicates = effects.rows.filter((e) => e.n > 1).length + (successRows - succeeded.size);
    const missed = due.filter((d) => !succeeded.has(key(d.schedule, d.slotMs)));
    const firstStart = new Map<string, { delayMs: number; trigger: string; label: string }>();
    for (const r of runs.rows) {
      const k = key(r.schedule_name, r.slot_at.getTime());
      if (!firstStart.has(k)) firstStart.set(k, { delayMs: r.started_at.getTime() - r.slot_at.getTime(), trigger: r.trigger, label: `${r.schedule_name} ${r.slot_at.toISOString().slice(11, 16)}` });
    }
    const delays = [...firstStart.values()];
    const maxDelay = (list: typeof delays) => Math.max(0, ...list.map((d) => d.delayMs));
    const live = delays.filter((d) => d.trigger !== 'backfill');
    const backfilled = delays.filter((d) => d.trigger === 'backfill');
    const sortedLive = live.map((d) => d.delayMs).sort((a, b) => a - b);
    // Runs of one schedule never overlap (one serial queue per schedule).
    let overlaps = 0;
    for (const s of BENCH_SCHEDULES) {
      const mine = runs.rows.filter((r) => r.schedule_name === s.name && r.ended_at);
      for (let i = 1; i < mine.length; i++) if (mine[i]!.started_at < mine[i - 1]!.ended_at!) overlaps++;
    }
    const outcomes = runs.rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.outcome]: (acc[r.outcome] ?? 0) + 1 }), {});
    const outageSlots = due.filter((d) => d.slotMs > outageStartMs && d.slotMs <= outageEndMs).length;

    process.stdout.write(
      [
        `  slots due:            ${due.length} (${BENCH_SCHEDULES.length} schedules × every minute since each became known; ${outageSlots} of them fell in the outage)`,
        `  slots run:            ${succeeded.size} (${backfilled.length} backfilled after the outage)`,
        `  duplicate runs:       ${duplicates}   goal 0 (a slot whose work completed twice, or two successful runs of one slot)`,
        `  missed slots:         ${missed.length}   goal 0${missed.length ? ` (${missed.slice(0, 5).map((m) => `${m.schedule} ${new Date(m.slotMs).toISOString()}`).join(', ')})` : ''}`,
        `  overlapping runs:     ${overlaps}   goal 0 (runs of one schedule are serial)`,
        `  run rows by outcome:  ${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')} (failed: interrupted by the stop; abandoned: left by the killed instance)`,
        `  worst start delay:    ${maxDelay(delays)} ms overall; slots due while instances ran: p50 ${sortedLive[Math.floor(sortedLive.length / 2)] ?? 0} ms, max ${maxDelay(live)} ms; backfilled: max ${maxDelay(backfilled)} ms (due while every instance was down)`,
        `  latest starts (a backfilled slot starts when the instances are back; a slot queued behind a slow run of its schedule waits for it):`,
        `                        ${[...delays].sort((a, b) => b.delayMs - a.delayMs).slice(0, 5).map((d) => `${d.label} ${d.trigger} +${(d.delayMs / 1000).toFixed(1)} s`).join(', ')}`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'scheduler', instances: INSTANCES, slots_due: due.length, slots_run: succeeded.size, duplicates, missed: missed.length, max_start_delay_ms: maxDelay(delays), max_start_delay_live_ms: maxDelay(live) })}\n`,
    );
  } finally {
    await pool.end();
    await database.stop();
  }
}
