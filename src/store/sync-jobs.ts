import type { Queryable } from '../db/pool.js';
import { type PublicError, storedPublicError } from '../lib/errors.js';

/**
 * Background sync jobs (full import, reconcile) as the API reports them: status, progress and the
 * last error survive restarts. The work itself runs as a graphile-worker job (src/jobs/), which
 * holds the lock and the retries; these rows say what happened.
 */

export const SYNC_JOB_KINDS = ['import', 'reconcile'] as const;
export type SyncJobKind = (typeof SYNC_JOB_KINDS)[number];
export type SyncJobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface SyncJob {
  id: string;
  kind: SyncJobKind;
  status: SyncJobStatus;
  progress: Record<string, unknown>;
  /** Why it failed, as API clients may see it (never raw database or HubSpot text). */
  error: PublicError | null;
  /** Attempts started so far. */
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface SyncJobRow {
  id: string;
  kind: SyncJobKind;
  status: SyncJobStatus;
  progress: Record<string, unknown>;
  error: string | null;
  error_code: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = 'id, kind, status, progress, error, error_code, attempts, created_at, started_at, finished_at';
const toJob = (r: SyncJobRow): SyncJob => ({
  id: String(r.id),
  kind: r.kind,
  status: r.status,
  progress: r.progress,
  error: storedPublicError(r.error_code, r.error),
  attempts: r.attempts,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/**
 * Queues a job, or returns the one of that kind already queued or running (two imports at once
 * would only double the HubSpot calls). `created` says which.
 */
export async function enqueueSyncJob(db: Queryable, kind: SyncJobKind): Promise<{ job: SyncJob; created: boolean }> {
  await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`sync-job:${kind}`]);
  const existing = await db.query<SyncJobRow>(`SELECT ${COLUMNS} FROM sync_jobs WHERE kind = $1 AND status IN ('queued', 'running') ORDER BY id LIMIT 1`, [kind]);
  if (existing.rows[0]) return { job: toJob(existing.rows[0]), created: false };
  const { rows } = await db.query<SyncJobRow>(`INSERT INTO sync_jobs (kind) VALUES ($1) RETURNING ${COLUMNS}`, [kind]);
  return { job: toJob(rows[0]!), created: true };
}

/**
 * The job starts (attempt `attempt`): running, unless it has finished already (a scheduled
 * reconcile adopted it, or the job ran twice); then null and there is nothing to do.
 */
export async function markSyncJobRunning(db: Queryable, id: string, attempt: number): Promise<SyncJob | null> {
  const { rows } = await db.query<SyncJobRow>(
    `UPDATE sync_jobs SET status = 'running', started_at = coalesce(started_at, now()), attempts = $2
     WHERE id = $1 AND status IN ('queued', 'running') RETURNING ${COLUMNS}`,
    [id, attempt],
  );
  return rows[0] ? toJob(rows[0]) : null;
}

/** Saves progress while the job runs. */
export async function reportSyncJobProgress(db: Queryable, id: string, progress: Record<string, unknown>): Promise<void> {
  await db.query(`UPDATE sync_jobs SET progress = $2 WHERE id = $1`, [id, JSON.stringify(progress)]);
}

/** An attempt failed and another follows (after the job system's back-off): queued again, with the error. */
export async function requeueSyncJob(db: Queryable, id: string, error: PublicError): Promise<void> {
  await db.query(`UPDATE sync_jobs SET status = 'queued', error = left($2, 1000), error_code = $3 WHERE id = $1 AND status = 'running'`, [id, error.message, error.code]);
}

export async function finishSyncJob(db: Queryable, id: string, status: 'succeeded' | 'failed', progress: Record<string, unknown>, error: PublicError | null): Promise<void> {
  await db.query(
    `UPDATE sync_jobs SET status = $2, progress = $3, error = left($4, 1000), error_code = $5, finished_at = now() WHERE id = $1`,
    [id, status, JSON.stringify(progress), error?.message ?? null, error?.code ?? null],
  );
}

export async function getSyncJob(db: Queryable, id: string): Promise<SyncJob | null> {
  const { rows } = await db.query<SyncJobRow>(`SELECT ${COLUMNS} FROM sync_jobs WHERE id = $1`, [id]);
  return rows[0] ? toJob(rows[0]) : null;
}

export async function listRecentSyncJobs(db: Queryable, limit: number): Promise<SyncJob[]> {
  const { rows } = await db.query<SyncJobRow>(`SELECT ${COLUMNS} FROM sync_jobs ORDER BY id DESC LIMIT $1`, [limit]);
  return rows.map(toJob);
}
