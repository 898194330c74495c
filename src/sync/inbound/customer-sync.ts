import { type Pool, withTransaction } from '../../db/pool.js';
import { publicError, toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type JobRunner, startJobRunner } from '../poll-loop.js';
import { appendAudit } from '../../store/audit.js';
import { CACHE_TABLES, listCachedHubspotIds, lockCachedRecord, setCachedDeleted } from '../../store/cache-records.js';
import { advanceFieldVersion, LIFECYCLE } from '../../store/field-versions.js';
import { claimSyncJob, finishSyncJob, reportSyncJobProgress, type SyncJob } from '../../store/sync-jobs.js';
import type { InboundHooks } from './apply-field.js';
import { applySnapshot } from './apply-snapshot.js';
import type { CrmReader } from './crm-reader.js';
import { lockObject } from './object-lock.js';
import { syncedProperties } from '../../domain/crm-catalogue.js';
import type { InboundObjectType } from '../../domain/hubspot-objects.js';

/**
 * The background jobs behind `/sync/customers/...`: a full import (every company and contact into
 * the cache) and reconcile (the same walk, plus cache rows HubSpot no longer lists are marked
 * deleted). Both apply records through the same ownership rules as webhooks, so drift in fields
 * HubSpot owns is repaired here, and drift in fields WARP owns is recorded and written back.
 */

export interface SyncJobRunnerOptions {
  pool: Pool;
  logger: Logger;
  reader: CrmReader;
  hooks: Omit<InboundHooks, 'needsFetch'>;
  pollIntervalMs: number;
}

export type SyncJobRunner = JobRunner;

const LEASE_MS = 5 * 60_000;
/** Companies first, so contacts and deals find their customer when they link to it. */
const JOB_OBJECTS: Readonly<Record<SyncJob['kind'], InboundObjectType[]>> = {
  import: ['company', 'contact'],
  reconcile: ['company', 'contact', 'deal'],
};

type Progress = Record<string, Record<string, number>>;

async function runJob(options: SyncJobRunnerOptions, job: SyncJob, signal: AbortSignal): Promise<Progress> {
  const { pool, reader } = options;
  const hooks: InboundHooks = { ...options.hooks, needsFetch: () => undefined };
  const progress: Progress = {};
  const source = job.kind === 'import' ? 'import' : 'reconcile';
  const startedAt = job.startedAt ?? new Date();
  for (const objectType of JOB_OBJECTS[job.kind]) {
    const counts: Record<string, number> = { read: 0 };
    progress[objectType] = counts;
    const seen = new Set<string>();
    let after: string | undefined;
    do {
      signal.throwIfAborted();
      const page = await reader.listPage(objectType, syncedProperties(objectType), after, signal);
      for (const record of page.records) {
        seen.add(record.id);
        const outcome = await withTransaction(pool, (tx) => applySnapshot(tx, hooks, objectType, record, source));
        for (const [key, n] of Object.entries(outcome)) counts[key] = (counts[key] ?? 0) + n;
      }
      counts['read'] = (counts['read'] ?? 0) + page.records.length;
      after = page.after;
      await reportSyncJobProgress(pool, job.id, progress, LEASE_MS);
    } while (after);
    if (job.kind === 'reconcile') counts['deleted'] = await markMissingDeleted(pool, objectType, seen, startedAt);
  }
  return progress;
}

/** Cache rows HubSpot did not list (a missed deletion webhook) are marked deleted. */
async function markMissingDeleted(pool: Pool, objectType: InboundObjectType, seen: Set<string>, listedAfter: Date): Promise<number> {
  let deleted = 0;
  for (const hubspotId of await listCachedHubspotIds(pool, objectType, listedAfter)) {
    if (seen.has(hubspotId)) continue;
    const applied = await withTransaction(pool, async (tx) => {
      await lockObject(tx, objectType, hubspotId);
      const record = await lockCachedRecord(tx, objectType, hubspotId);
      if (!record || !(await setCachedDeleted(tx, objectType, record.id, true))) return false;
      await advanceFieldVersion(tx, objectType, hubspotId, LIFECYCLE, new Date());
      await appendAudit(tx, {
        entityType: CACHE_TABLES[objectType].entity,
        entityId: hubspotId,
        source: 'reconcile',
        event: 'reconcile',
        changes: { deleted: { before: 'false', after: 'true' } },
      });
      return true;
    });
    if (applied) deleted++;
  }
  return deleted;
}

export function startSyncJobRunner(options: SyncJobRunnerOptions): SyncJobRunner {
  const runNext = async (signal: AbortSignal): Promise<boolean> => {
    const job = await claimSyncJob(options.pool, LEASE_MS);
    if (!job) return false;
    options.logger.info({ jobId: job.id, kind: job.kind }, 'sync job started');
    try {
      const progress = await runJob(options, job, signal);
      await finishSyncJob(options.pool, job.id, 'succeeded', progress, null);
      options.logger.info({ jobId: job.id, kind: job.kind, progress }, 'sync job finished');
    } catch (error) {
      // Stopping mid-job leaves it running with a lease; another process (or the next start) resumes it.
      if (signal.aborted) return false;
      const err = toError(error);
      await finishSyncJob(options.pool, job.id, 'failed', job.progress, publicError(err));
      options.logger.error({ jobId: job.id, kind: job.kind, err }, 'sync job failed');
    }
    return true;
  };

  return startJobRunner({ pollIntervalMs: options.pollIntervalMs, logger: options.logger, name: 'sync job runner', runOnce: runNext });
}
