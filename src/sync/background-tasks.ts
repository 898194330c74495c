import type { Pool } from '../db/pool.js';
import type { HubSpotGateway } from '../hubspot/gateway.js';
import type { ScheduledWork, TaskDefinition } from '../jobs/task.js';
import type { Logger } from '../lib/logger.js';
import { sampleHealth } from '../store/ops-samples.js';
import type { InboundHooks } from './inbound/apply-field.js';
import { customerSyncTask, reconcileNow } from './inbound/customer-sync.js';
import { crmReaderFromGateway } from './inbound/gateway-reader.js';
import { cleanUpInbound } from './inbound/retention.js';
import type { ReplayGuardRetention } from './inbound/webhook-auth.js';
import type { WelcomeMailer } from './onboarding/mailer.js';
import { onboardingTask } from './onboarding/onboarding.js';

/**
 * The sync side's background work for the job system: the tasks its code queues (import and
 * reconcile, onboarding) and the work its schedules run, keyed by the names the schedule catalogue
 * (src/schedules/catalogue.ts) uses.
 */

export interface BackgroundTaskDeps {
  pool: Pool;
  logger: Logger;
  gateway: HubSpotGateway;
  hooks: Omit<InboundHooks, 'needsFetch'>;
  mailer: WelcomeMailer | undefined;
  /** Finished inbox events and stored webhook batches are deleted after this long. */
  retentionMs: number;
  /** How long the webhook replay guard must remember what it saw. */
  replayGuard: ReplayGuardRetention;
  /** HubSpot's burst window: what the ops samples count the burst use over. */
  burstWindowMs: number;
}

export function backgroundTasks(deps: BackgroundTaskDeps): { tasks: TaskDefinition[]; work: Record<string, ScheduledWork> } {
  const { pool, logger, hooks } = deps;
  const customerSync = { pool, logger: logger.child({ component: 'customer-sync' }), reader: crmReaderFromGateway(deps.gateway, 'backfill'), hooks };
  return {
    tasks: [
      customerSyncTask(customerSync),
      onboardingTask({ pool, logger: logger.child({ component: 'onboarding' }), hubspot: deps.gateway, reader: crmReaderFromGateway(deps.gateway, 'realtime'), hooks, mailer: deps.mailer }),
    ],
    work: {
      'customer-reconcile': (run) => reconcileNow(customerSync, run),
      'ops-sample': (run) => sampleHealth(pool, deps.burstWindowMs, run.slotAt),
      retention: (run) => cleanUpInbound(pool, { retentionMs: deps.retentionMs, replayGuard: deps.replayGuard }, run.signal),
    },
  };
}
