import type { Pool } from '../../db/pool.js';
import { countCachedRecords } from '../../store/cache-records.js';
import { inboxStats } from '../../store/inbox.js';
import { listRecentSyncJobs, type SyncJob, type SyncJobKind } from '../../store/sync-jobs.js';
import { queueCustomerSync } from '../../sync/inbound/customer-sync.js';
import { defineRoute } from '../route.js';

export interface SyncRouteDeps {
  pool: Pool;
}

const presentJob = (job: SyncJob) => ({
  id: job.id,
  kind: job.kind,
  status: job.status,
  progress: job.progress,
  error: job.error,
  attempts: job.attempts,
  createdAt: job.createdAt.toISOString(),
  startedAt: job.startedAt?.toISOString() ?? null,
  finishedAt: job.finishedAt?.toISOString() ?? null,
});

/** The customer sync endpoints: start an import or a reconcile, and report sync health. */
export function syncRoutes(deps: SyncRouteDeps) {
  const start = (kind: SyncJobKind, url: string, summary: string) =>
    defineRoute({
      method: 'POST',
      url,
      access: 'write',
      tag: 'sync',
      summary,
      success: { status: 202, description: 'The job, queued (or the same kind of job already queued or running)' },
      handler: async ({ reply }) => {
        const { job, created } = await queueCustomerSync(deps.pool, kind);
        reply.header('location', `/api/v1/sync/customers/status`);
        return { job: presentJob(job), alreadyQueued: !created };
      },
    });
  return [
    start('import', '/sync/customers/hubspot', 'Start a full import of HubSpot companies and contacts into the cache (background job)'),
    start('reconcile', '/sync/customers/reconcile', 'Compare HubSpot with the cache and repair drift per field ownership (background job)'),
    defineRoute({
      method: 'GET',
      url: '/sync/customers/status',
      access: 'read',
      tag: 'sync',
      summary: 'Sync jobs, cache counts, webhook inbox depth and lag, last errors',
      success: { status: 200, description: 'Sync status' },
      handler: async () => {
        const [jobs, counts, inbox] = await Promise.all([listRecentSyncJobs(deps.pool, 10), countCachedRecords(deps.pool), inboxStats(deps.pool)]);
        return {
          jobs: jobs.map(presentJob),
          counts,
          inbox: {
            depth: inbox.pending,
            failed: inbox.failed,
            // How long the oldest unprocessed webhook event has waited.
            lagMs: inbox.oldestPendingReceivedAt ? Math.max(0, Date.now() - inbox.oldestPendingReceivedAt.getTime()) : 0,
            lastAppliedAt: inbox.lastAppliedAt?.toISOString() ?? null,
            unexpandedBatches: inbox.unexpandedBatches,
            quarantinedBatches: inbox.quarantinedBatches,
          },
          lastErrors: inbox.lastErrors.map((e) => ({ ...e, at: e.at?.toISOString() ?? null })),
        };
      },
    }),
  ];
}
