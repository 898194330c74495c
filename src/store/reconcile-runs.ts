import pg from 'pg';

import type { Queryable } from '../db/pool.js';
import { type PublicError, storedPublicError } from '../lib/errors.js';
import { MARKED_TABLES, type MarkedType } from './reconcile-marks.js';

/**
 * Reconcile runs (migrations/0070_reconcile_runs.sql): what the status API shows and what a
 * resumed run continues from. The cursors and the report are written in the transaction of the
 * page they describe, so they never run ahead of (or behind) the repairs.
 */

const ident = pg.escapeIdentifier;

export type ReconcileMode = 'full' | 'incremental';
export type ReconcileTrigger = 'manual' | 'schedule';
export type ReconcileStatus = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed';

export interface ReconcileRun {
  id: string;
  mode: ReconcileMode;
  dryRun: boolean;
  objects: string[];
  trigger: ReconcileTrigger;
  status: ReconcileStatus;
  cursors: Record<string, unknown>;
  report: Record<string, unknown>;
  estimate: Record<string, number>;
  /** HubSpot requests made so far (committed pages only, plus the page in flight when it crashed). */
  requests: number;
  pausedUntil: Date | null;
  pauseReason: string | null;
  error: PublicError | null;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface Row {
  id: string;
  mode: ReconcileMode;
  dry_run: boolean;
  objects: string[];
  trigger: ReconcileTrigger;
  status: ReconcileStatus;
  cursors: Record<string, unknown>;
  report: Record<string, unknown>;
  estimate: Record<string, number>;
  requests: number;
  paused_until: Date | null;
  pause_reason: string | null;
  error: string | null;
  error_code: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = `id, mode, dry_run, objects, trigger, status, cursors, report, estimate, requests, paused_until, pause_reason,
  error, error_code, attempts, created_at, started_at, finished_at`;

const toRun = (r: Row): ReconcileRun => ({
  id: String(r.id),
  mode: r.mode,
  dryRun: r.dry_run,
  objects: r.objects,
  trigger: r.trigger,
  status: r.status,
  cursors: r.cursors,
  report: r.report,
  estimate: r.estimate,
  requests: r.requests,
  pausedUntil: r.paused_until,
  pauseReason: r.pause_reason,
  error: storedPublicError(r.error_code, r.error),
  attempts: r.attempts,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export interface NewReconcileRun {
  mode: ReconcileMode;
  dryRun: boolean;
  objects: readonly string[];
  trigger: ReconcileTrigger;
  estimate: Record<string, number>;
}

/**
 * Creates a run, or returns the one already active (queued, running or paused): never two at once,
 * across instances (an advisory lock orders concurrent callers; the partial unique index is the
 * backstop). `created` says which.
 */
export async function createOrGetActiveRun(tx: Queryable, run: NewReconcileRun): Promise<{ run: ReconcileRun; created: boolean }> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('reconcile-run', 0))`);
  const active = await tx.query<Row>(`SELECT ${COLUMNS} FROM reconcile_runs WHERE status IN ('queued', 'running', 'paused') LIMIT 1`);
  if (active.rows[0]) return { run: toRun(active.rows[0]), created: false };
  const { rows } = await tx.query<Row>(
    `INSERT INTO reconcile_runs (mode, dry_run, objects, trigger, estimate) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [run.mode, run.dryRun, [...run.objects], run.trigger, JSON.stringify(run.estimate)],
  );
  return { run: toRun(rows[0]!), created: true };
}

export async function getReconcileRun(db: Queryable, id: string): Promise<ReconcileRun | null> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM reconcile_runs WHERE id = $1`, [id]);
  return rows[0] ? toRun(rows[0]) : null;
}

export async function listReconcileRuns(db: Queryable, limit: number): Promise<ReconcileRun[]> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM reconcile_runs ORDER BY id DESC LIMIT $1`, [limit]);
  return rows.map(toRun);
}

/** An attempt starts: running, unless the run has finished already (then null: nothing to do). */
export async function markRunRunning(db: Queryable, id: string, attempt: number): Promise<ReconcileRun | null> {
  const { rows } = await db.query<Row>(
    `UPDATE reconcile_runs SET status = 'running', started_at = coalesce(started_at, now()), attempts = $2, paused_until = NULL, pause_reason = NULL
     WHERE id = $1 AND status IN ('queued', 'running', 'paused') RETURNING ${COLUMNS}`,
    [id, attempt],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export interface RunProgress {
  cursors: object;
  report: object;
  requests: number;
}

/** Commits where the run stands, in the transaction of the page whose repairs it describes. */
export async function saveRunProgress(tx: Queryable, id: string, progress: RunProgress): Promise<void> {
  await commitPage(tx, id, progress, null);
}

/** What a full run's page marks: the rows whose record HubSpot listed, and those merged away there. */
export interface PageMarks {
  type: MarkedType;
  seen: readonly string[];
  merged: readonly string[];
}

/**
 * A page's bookkeeping in one statement, so a page without repairs costs one round trip and no
 * transaction of its own: the rows it saw are marked (see reconcile-marks.ts) and the run's cursors,
 * report and request count are saved. A page with repairs runs it last in their transaction.
 */
export async function commitPage(db: Queryable, id: string, progress: RunProgress, marks: PageMarks | null): Promise<void> {
  const params: unknown[] = [id, JSON.stringify(progress.cursors), JSON.stringify(progress.report), progress.requests];
  let marking = '';
  if (marks && marks.seen.length + marks.merged.length > 0) {
    const { table, key } = MARKED_TABLES[marks.type];
    params.push([...marks.seen], [...marks.merged]);
    // The merged mark is the negated run id (see markSeen's contract in reconcile-marks.ts).
    marking = `WITH marked AS (
       UPDATE ${ident(table)} t SET reconcile_seen = m.mark
       FROM (SELECT k, $1::bigint AS mark FROM unnest($5::text[]) AS k UNION ALL SELECT k, -($1::bigint) FROM unnest($6::text[]) AS k) AS m
       WHERE t.${ident(key)} = m.k AND t.reconcile_seen IS DISTINCT FROM m.mark
       RETURNING 1)
     `;
  }
  await db.query(`${marking}UPDATE reconcile_runs SET cursors = $2, report = $3, requests = $4 WHERE id = $1`, params);
}

/** The HubSpot daily quota is reserved for higher priorities: paused until it resets. */
export async function pauseRun(db: Queryable, id: string, until: Date, reason: string): Promise<void> {
  await db.query(`UPDATE reconcile_runs SET status = 'paused', paused_until = $2, pause_reason = $3 WHERE id = $1 AND status = 'running'`, [id, until, reason]);
}

/** An attempt failed and another follows: queued again, with the error. */
export async function requeueRun(db: Queryable, id: string, error: PublicError): Promise<void> {
  await db.query(`UPDATE reconcile_runs SET status = 'queued', error = left($2, 1000), error_code = $3 WHERE id = $1 AND status = 'running'`, [id, error.message, error.code]);
}

export async function finishRun(db: Queryable, id: string, status: 'succeeded' | 'failed', error: PublicError | null): Promise<void> {
  await db.query(`UPDATE reconcile_runs SET status = $2, error = left($3, 1000), error_code = $4, finished_at = now() WHERE id = $1`, [
    id,
    status,
    error?.message ?? null,
    error?.code ?? null,
  ]);
}

/** Incremental reconcile's watermark per object type: every change up to it was compared. */
export async function readWatermark(db: Queryable, objectType: string): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date }>(`SELECT modified_through AS at FROM reconcile_watermarks WHERE object_type = $1`, [objectType]);
  return rows[0]?.at ?? null;
}

/** Moves a watermark forward (never back). */
export async function advanceWatermark(db: Queryable, objectType: string, through: Date): Promise<void> {
  await db.query(
    `INSERT INTO reconcile_watermarks (object_type, modified_through) VALUES ($1, $2)
     ON CONFLICT (object_type) DO UPDATE SET modified_through = GREATEST(reconcile_watermarks.modified_through, EXCLUDED.modified_through), updated_at = now()`,
    [objectType, through],
  );
}
