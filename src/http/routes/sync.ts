import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { countCachedRecords } from '../../store/cache-records.js';
import { inboxStats } from '../../store/inbox.js';
import { listRecentSyncJobs, SYNC_JOB_KINDS, type SyncJob, type SyncJobKind } from '../../store/sync-jobs.js';
import { queueCustomerSync } from '../../sync/inbound/customer-sync.js';
import { defineRoute } from '../route.js';
import { isoTime } from './customer-scope.js';

export interface SyncRouteDeps {
  pool: Pool;
}

/** An error as clients see it: a stable code and a scrubbed sentence, never the database's own text. */
const publicErrorView = z.object({ code: z.string(), message: z.string() });

const jobView = z.object({
  id: z.string(),
  kind: z.enum(SYNC_JOB_KINDS),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  progress: z.record(z.string(), z.unknown()).describe('Per object type: records read and outcomes'),
  error: publicErrorView.nullable(),
  attempts: z.number().int().describe('Attempts started so far (a failed attempt is retried with back-off)'),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
});

const statusView = z.object({
  jobs: z.array(jobView),
  counts: z.record(z.string(), z.number().int()).describe('Live cache rows per table'),
  inbox: z.object({
    depth: z.number().int(),
    failed: z.number().int(),
    lagMs: z.number(),
    lastAppliedAt: isoTime.nullable(),
    unexpandedBatches: z.number().int().describe('Stored webhook requests not yet expanded into events'),
    quarantinedBatches: z.number().int().describe('Stored webhook requests set aside because they could not be expanded'),
  }),
  lastErrors: z.array(z.object({ id: z.string(), subscriptionType: z.string(), objectId: z.string().nullable(), error: publicErrorView, at: isoTime.nullable() })),
});

const presentJob = (job: SyncJob): z.input<typeof jobView> => ({
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

/** The customer sync endpoints: start an import, and report sync health (reconcile: routes/reconcile.ts). */
export function syncRoutes(deps: SyncRouteDeps) {
  const start = <const Id extends string>(operationId: Id, kind: SyncJobKind, url: string, summary: string) =>
    defineRoute({
      operationId,
      method: 'POST',
      url,
      access: 'write',
      tag: 'sync',
      summary,
      success: {
        status: 202,
        description: 'The job, queued (or the same kind of job already queued or running)',
        schema: z.object({ job: jobView, alreadyQueued: z.boolean() }),
      },
      handler: async ({ reply }) => {
        const { job, created } = await queueCustomerSync(deps.pool, kind);
        reply.header('location', `/api/v1/sync/customers/status`);
        return { job: presentJob(job), alreadyQueued: !created };
      },
    });
  return [
    start('startImport', 'import', '/sync/customers/hubspot', 'Start a full import of HubSpot companies and contacts into the cache (background job)'),
    defineRoute({
      operationId: 'syncStatus',
      method: 'GET',
      url: '/sync/customers/status',
      access: 'read',
      tag: 'sync',
      summary: 'Sync jobs, cache counts, webhook inbox depth and lag, last errors',
      success: { status: 200, description: 'Sync status', schema: statusView },
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
