import { z } from 'zod';

import { type Pool, withTransaction } from '../../db/pool.js';
import { addJob } from '../../jobs/add-job.js';
import { defineTask, type TaskContext, type TaskDefinition, type TaskSpec } from '../../jobs/task.js';
import { publicError, toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import {
  enqueueSyncJob,
  finishSyncJob,
  markSyncJobRunning,
  reportSyncJobProgress,
  requeueSyncJob,
  type SyncJob,
  type SyncJobKind,
} from '../../store/sync-jobs.js';
import type { InboundHooks } from './apply-field.js';
import { applySnapshot } from './apply-snapshot.js';
import type { CrmReader } from './crm-reader.js';
import { syncedProperties } from '../../domain/crm-catalogue.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * The background job behind `/sync/customers/hubspot`: a full import (every company and contact
 * into the cache; reconcile is src/sync/reconcile). It applies records through the same ownership rules as webhooks, so drift in fields
 * HubSpot owns is repaired here, and drift in fields WARP owns is recorded and written back.
 *
 * Each job is a `sync_jobs` row (what the status endpoint shows) plus a graphile-worker job in the
 * serial `customer-sync` queue: never two walks at once across instances, retried with back-off,
 * resumed elsewhere when its instance dies. The daily reconcile schedule runs in the same queue.
 */

export interface CustomerSyncOptions {
  pool: Pool;
  logger: Logger;
  reader: CrmReader;
  hooks: Omit<InboundHooks, 'needsFetch'>;
}

export const CUSTOMER_SYNC_QUEUE = 'customer-sync';

export const CUSTOMER_SYNC_TASK: TaskSpec<{ syncJobId: string }> = {
  name: 'customer-sync',
  payload: z.object({ syncJobId: z.string().regex(/^\d+$/) }),
  queue: CUSTOMER_SYNC_QUEUE,
  maxAttempts: 3,
};
/**
 * Companies first, so contacts and deals find their customer when they link to it. Reconcile moved
 * to src/sync/reconcile (its own runs); a `reconcile` row queued before that upgrade walks like an import.
 */
const JOB_OBJECTS: Readonly<Record<SyncJob['kind'], InboundObjectType[]>> = {
  import: ['company', 'contact'],
  reconcile: ['company', 'contact', 'deal'],
};

type Progress = Record<string, Record<string, number>>;

async function runJob(options: CustomerSyncOptions, job: SyncJob, signal: AbortSignal): Promise<Progress> {
  const { pool, reader } = options;
  const hooks: InboundHooks = { ...options.hooks, needsFetch: () => undefined };
  const progress: Progress = {};
  const source = job.kind === 'import' ? 'import' : 'reconcile';
  for (const objectType of JOB_OBJECTS[job.kind]) {
    const counts: Record<string, number> = { read: 0 };
    progress[objectType] = counts;
    let after: string | undefined;
    do {
      signal.throwIfAborted();
      const page = await reader.listPage(objectType, syncedProperties(objectType), after, signal);
      for (const record of page.records) {
        const outcome = await withTransaction(pool, (tx) => applySnapshot(tx, hooks, objectType, record, source));
        for (const [key, n] of Object.entries(outcome)) counts[key] = (counts[key] ?? 0) + n;
      }
      counts['read'] = (counts['read'] ?? 0) + page.records.length;
      after = page.after;
      await reportSyncJobProgress(pool, job.id, progress);
    } while (after);
  }
  return progress;
}

/**
 * Queues an import or reconcile, or returns the one of that kind already queued or running (two
 * imports at once would only double the HubSpot calls); the job commits with its row.
 */
export async function queueCustomerSync(pool: Pool, kind: SyncJobKind): Promise<{ job: SyncJob; created: boolean }> {
  return withTransaction(pool, async (tx) => {
    const queued = await enqueueSyncJob(tx, kind);
    if (queued.created) await addJob(tx, CUSTOMER_SYNC_TASK, { syncJobId: queued.job.id }, { jobKey: `customer-sync:${queued.job.id}` });
    return queued;
  });
}

/** Runs one sync job to its end; a failure is recorded (queued again, or failed on the last attempt) and rethrown. */
async function execute(options: CustomerSyncOptions, job: SyncJob, context: TaskContext): Promise<Progress> {
  const { pool, logger } = options;
  logger.info({ jobId: job.id, kind: job.kind, attempt: context.attempt }, 'sync job started');
  try {
    const progress = await runJob(options, job, context.signal);
    await finishSyncJob(pool, job.id, 'succeeded', progress, null);
    logger.info({ jobId: job.id, kind: job.kind, progress }, 'sync job finished');
    return progress;
  } catch (error) {
    const err = toError(error);
    // Stopped by a shutdown, or failed with attempts left: another attempt resumes it.
    if (context.signal.aborted || !context.finalAttempt) await requeueSyncJob(pool, job.id, publicError(err));
    else await finishSyncJob(pool, job.id, 'failed', job.progress, publicError(err));
    logger.error({ jobId: job.id, kind: job.kind, attempt: context.attempt, err }, 'sync job failed');
    throw err;
  }
}

/** The task behind POST /sync/customers/hubspot and /reconcile. */
export function customerSyncTask(options: CustomerSyncOptions): TaskDefinition {
  return defineTask(CUSTOMER_SYNC_TASK, async ({ syncJobId }, context) => {
    const job = await markSyncJobRunning(options.pool, syncJobId, context.attempt);
    if (!job) return; // finished already: adopted by the scheduled reconcile, or run twice
    await execute(options, job, context).catch((error: unknown) => {
      // The last attempt's failure is recorded on the row; the job itself ends here.
      if (context.finalAttempt && !context.signal.aborted) return;
      throw error;
    });
  });
}
