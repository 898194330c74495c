import { type Pool, type Queryable, withTransaction } from '../db/pool.js';
import type { RunTrigger } from '../jobs/task.js';
import { type PublicError, storedPublicError } from '../lib/errors.js';

/**
 * One row per run of one slot of a schedule (migration 0020). Starting and finishing a run take a
 * transaction-scoped advisory lock on the slot, so the checks below cannot race: a slot that has
 * succeeded is not run again by a retried or backfilled job, a run found unfinished when its slot
 * starts again is `abandoned` (its instance died), and a manual re-run supersedes the earlier
 * success. The partial unique index makes a second success impossible whatever happens.
 */

export type RunOutcome = 'running' | 'succeeded' | 'failed' | 'abandoned' | 'superseded';

export interface ScheduleRun {
  id: string;
  scheduleName: string;
  slotAt: Date;
  trigger: RunTrigger;
  instanceId: string;
  attempt: number;
  startedAt: Date;
  endedAt: Date | null;
  outcome: RunOutcome;
  /** Why it failed, as API clients may see it (the full error is in the service log). */
  error: PublicError | null;
  counts: Record<string, number>;
}

interface ScheduleRunRow {
  id: string;
  schedule_name: string;
  slot_at: Date;
  trigger: RunTrigger;
  instance_id: string;
  attempt: number;
  started_at: Date;
  ended_at: Date | null;
  outcome: RunOutcome;
  error_code: string | null;
  error: string | null;
  counts: Record<string, number>;
}

const COLUMNS = 'id, schedule_name, slot_at, trigger, instance_id, attempt, started_at, ended_at, outcome, error_code, error, counts';

const toRun = (r: ScheduleRunRow): ScheduleRun => ({
  id: String(r.id),
  scheduleName: r.schedule_name,
  slotAt: r.slot_at,
  trigger: r.trigger,
  instanceId: r.instance_id,
  attempt: r.attempt,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  outcome: r.outcome,
  error: storedPublicError(r.error_code, r.error),
  counts: r.counts,
});

const lockSlot = (tx: Queryable, name: string, slotAt: Date) =>
  tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`schedule-slot:${name}:${slotAt.toISOString()}`]);

/**
 * Records that a run of the slot starts; null when the slot has already succeeded and this is not
 * a manual re-run (then there is nothing to do).
 */
export async function beginRun(pool: Pool, run: { scheduleName: string; slotAt: Date; trigger: RunTrigger; instanceId: string; attempt: number }): Promise<string | null> {
  return withTransaction(pool, async (tx) => {
    await lockSlot(tx, run.scheduleName, run.slotAt);
    if (run.trigger !== 'manual') {
      const done = await tx.query(`SELECT 1 FROM schedule_runs WHERE schedule_name = $1 AND slot_at = $2 AND outcome = 'succeeded'`, [run.scheduleName, run.slotAt]);
      if ((done.rowCount ?? 0) > 0) return null;
    }
    // Runs of a schedule are serial (one queue), so an unfinished run of this slot has no worker left.
    await tx.query(`UPDATE schedule_runs SET outcome = 'abandoned', ended_at = now() WHERE schedule_name = $1 AND slot_at = $2 AND outcome = 'running'`, [run.scheduleName, run.slotAt]);
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO schedule_runs (schedule_name, slot_at, trigger, instance_id, attempt) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [run.scheduleName, run.slotAt, run.trigger, run.instanceId, run.attempt],
    );
    return String(rows[0]!.id);
  });
}

/** The run succeeded: it becomes the slot's one success (an earlier one, redone by hand, is superseded). */
export async function recordSuccess(pool: Pool, runId: string, counts: Record<string, number>): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ schedule_name: string; slot_at: Date }>(`SELECT schedule_name, slot_at FROM schedule_runs WHERE id = $1`, [runId]);
    const run = rows[0];
    if (!run) return;
    await lockSlot(tx, run.schedule_name, run.slot_at);
    await tx.query(
      `UPDATE schedule_runs SET outcome = 'superseded' WHERE schedule_name = $1 AND slot_at = $2 AND outcome = 'succeeded' AND id <> $3`,
      [run.schedule_name, run.slot_at, runId],
    );
    await tx.query(`UPDATE schedule_runs SET outcome = 'succeeded', ended_at = now(), counts = $2 WHERE id = $1`, [runId, JSON.stringify(counts)]);
  });
}

/** The run failed with `error`, as API clients may see it. */
export async function recordFailure(db: Queryable, runId: string, error: PublicError): Promise<void> {
  await db.query(`UPDATE schedule_runs SET outcome = 'failed', ended_at = now(), error = left($2, 1000), error_code = $3 WHERE id = $1`, [runId, error.message, error.code]);
}

/** Newest first; every schedule when `scheduleName` is undefined. */
export async function listRuns(db: Queryable, filter: { scheduleName?: string | undefined; limit: number }): Promise<ScheduleRun[]> {
  const { rows } = await db.query<ScheduleRunRow>(
    `SELECT ${COLUMNS} FROM schedule_runs WHERE ($1::text IS NULL OR schedule_name = $1) ORDER BY started_at DESC, id DESC LIMIT $2`,
    [filter.scheduleName ?? null, filter.limit],
  );
  return rows.map(toRun);
}

/** The latest run of each named schedule. */
export async function latestRuns(db: Queryable, names: readonly string[]): Promise<Map<string, ScheduleRun>> {
  const { rows } = await db.query<ScheduleRunRow>(
    `SELECT DISTINCT ON (schedule_name) ${COLUMNS} FROM schedule_runs WHERE schedule_name = ANY($1::text[]) ORDER BY schedule_name, started_at DESC, id DESC`,
    [[...names]],
  );
  return new Map(rows.map((r) => [r.schedule_name, toRun(r)]));
}

/** The latest manual run of a slot that started at or after `since` (what `schedules run` waits for). */
export async function manualRunSince(db: Queryable, scheduleName: string, slotAt: Date, since: Date): Promise<ScheduleRun | null> {
  const { rows } = await db.query<ScheduleRunRow>(
    `SELECT ${COLUMNS} FROM schedule_runs WHERE schedule_name = $1 AND slot_at = $2 AND trigger = 'manual' AND started_at >= $3
     ORDER BY id DESC LIMIT 1`,
    [scheduleName, slotAt, since],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/** Retention of the history itself: runs of a schedule that started more than `olderThanMs` ago. */
export async function pruneRuns(db: Queryable, scheduleName: string, olderThanMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM schedule_runs WHERE schedule_name = $1 AND started_at < now() - make_interval(secs => $2 / 1000.0)`,
    [scheduleName, olderThanMs],
  );
  return rowCount ?? 0;
}
