import type { Pool } from '../db/pool.js';
import type { HubSpotGateway } from '../hubspot/gateway.js';
import type { ScheduledWork, TaskDefinition } from '../jobs/task.js';
import type { Logger } from '../lib/logger.js';
import { sampleHealth } from '../store/ops-samples.js';
import type { InboundHooks } from './inbound/apply-field.js';
import { customerSyncTask } from './inbound/customer-sync.js';
import { crmReaderFromGateway } from './inbound/gateway-reader.js';
import { cleanUpInbound } from './inbound/retention.js';
import type { ReplayGuardRetention } from './inbound/webhook-auth.js';
import type { WelcomeMailer } from './onboarding/mailer.js';
import { onboardingTask } from './onboarding/onboarding.js';
import { retryTransientDeadLetters } from './outbound/dead-letter-retry.js';
import type { AlertSink } from './outbound/ops-alerts.js';
import { escalateTickets } from './support/escalation.js';
import { evaluateRules, type RuleSettings } from './support/rules.js';
import { ticketFetchTask } from './support/ticket-fetch.js';
import type { StormSettings } from '../warp/support.js';
import { reconcileSource } from './reconcile/source.js';
import { reconcileOnSchedule, reconcileTask } from './reconcile/task.js';
import { revenueWork } from './revenue/revenue-work.js';

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
  /** Auto-ticket rules and storms (docs/support.md). */
  support: RuleSettings & { storm: StormSettings };
  alerts: Omit<AlertSink, 'db' | 'logger'>;
  reconcile: { searchLagMs: number; firstLookbackMs: number };
  /** HubSpot's burst window: what the ops samples count the burst use over. */
  burstWindowMs: number;
}

export function backgroundTasks(deps: BackgroundTaskDeps): { tasks: TaskDefinition[]; work: Record<string, ScheduledWork> } {
  const { pool, logger, hooks } = deps;
  const customerSync = { pool, logger: logger.child({ component: 'customer-sync' }), reader: crmReaderFromGateway(deps.gateway, 'backfill'), hooks };
  const reconcile = {
    pool,
    logger: logger.child({ component: 'reconcile' }),
    source: reconcileSource(deps.gateway),
    hooks: { ...hooks, needsFetch: () => undefined },
    ...deps.reconcile,
  };
  return {
    tasks: [
      customerSyncTask(customerSync),
      reconcileTask(reconcile),
      onboardingTask({ pool, logger: logger.child({ component: 'onboarding' }), hubspot: deps.gateway, reader: crmReaderFromGateway(deps.gateway, 'realtime'), hooks, mailer: deps.mailer }),
      ticketFetchTask({ pool, gateway: deps.gateway }),
    ],
    work: {
      'customer-reconcile': (run) => reconcileOnSchedule(reconcile, 'full', run),
      'reconcile-incremental': (run) => reconcileOnSchedule(reconcile, 'incremental', run),
      ...revenueWork({ pool, gateway: deps.gateway, logger: logger.child({ component: 'revenue' }), alerts: deps.alerts }),
      'ops-sample': (run) => sampleHealth(pool, deps.burstWindowMs, run.slotAt),
      'dead-letter-retry': (run) =>
        retryTransientDeadLetters({ pool, logger: run.logger, probe: (signal) => deps.gateway.listObjects('companies', { limit: 1, priority: 'scheduled', signal }) }, run.signal),
      retention: (run) => cleanUpInbound(pool, { retentionMs: deps.retentionMs, replayGuard: deps.replayGuard }, run.signal),
      'support-sla': (run) => escalateTickets(pool, { ...deps.alerts, db: pool, logger: logger.child({ component: 'support' }) }, run.slotAt, run.signal),
      'support-rules': (run) => evaluateRules(pool, deps.support, run.slotAt),
    },
  };
}
