import type { Registry } from 'prom-client';

import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import type { Pool } from './db/pool.js';
import type { HubSpotGateway } from './hubspot/gateway.js';
import type { ProvisioningGate } from './hubspot/provisioning-gate.js';
import type { JobSystem } from './jobs/runtime.js';
import { toError } from './lib/errors.js';
import type { Logger } from './lib/logger.js';
import type { Schedule } from './schedules/runtime.js';
import { startSchedules } from './schedules/start.js';
import { backgroundTasks } from './sync/background-tasks.js';
import type { InboundHooks } from './sync/inbound/apply-field.js';
import { crmReaderFromGateway } from './sync/inbound/gateway-reader.js';
import { type InboxWorkers, startInboxWorkers } from './sync/inbound/inbox-worker.js';
import { createInboundMetrics } from './sync/inbound/metrics.js';
import { replayGuardRetention } from './sync/inbound/webhook-auth.js';
import type { ClosedWonStages } from './sync/onboarding/closed-won.js';
import { smtpWelcomeMailer } from './sync/onboarding/mailer.js';
import { ALERT_WEBHOOK_TIMEOUT_MS, deliverAlert } from './sync/outbound/ops-alerts.js';
import { createUsagePushMetrics } from './usage/push/metrics.js';
import { usagePushWork } from './usage/push/work.js';
import { applyCreditLimit, CREDIT_LIMIT_REASON } from './warp/account-rules.js';
import type { OutboxWorkers } from './sync/outbound/outbox-worker.js';
import { startOutboundSync } from './sync/outbound/outbound-sync.js';

/**
 * The worker role: every background loop of one process, started in order and stopped in reverse.
 * Part of the composition root (it reads the config); `service.ts` starts it for `ROLE=worker`
 * and `ROLE=all`. Background tasks and schedules run on the job system (graphile-worker); the
 * webhook inbox and the outbox on their own SQL queues (README "Background work").
 */
export interface BackgroundWork {
  /** Webhook inbox workers (inbound sync). */
  inbox: InboxWorkers;
  /** Background jobs and schedules: import/reconcile, onboarding, the daily reconcile, retention (after provisioning). */
  jobs: JobSystem;
  /** Outbox workers (outbound sync; after provisioning). */
  outbound: OutboxWorkers;
  /** Stops every loop, each finishing its in-flight work, in reverse order of start. */
  stop(): Promise<void>;
}

export interface BackgroundDeps {
  db: Database;
  gateway: HubSpotGateway;
  logger: Logger;
  metrics: Registry;
  hooks: Omit<InboundHooks, 'needsFetch'>;
  closedWon: ClosedWonStages;
  /** Our app id: webhook changes it made are echoes. */
  appId: string | undefined;
  schedules: readonly Schedule[];
  /** The loops that write to HubSpot start once this has passed. */
  provisioning: ProvisioningGate;
}

type Writers = Pick<BackgroundWork, 'jobs' | 'outbound'>;

/**
 * The job system and the outbox workers of a process whose provisioning has not succeeded yet:
 * started when the gate opens; until then draining waits for them, and stopping stops the gate.
 */
function writersAfter(gate: ProvisioningGate, start: () => Promise<Writers>, logger: Logger): Writers {
  const started = gate.ready.then(start).catch((error: unknown) => {
    if (!(error instanceof Error && error.name === 'AbortError')) logger.error({ err: toError(error) }, 'could not start the background jobs and outbox workers after provisioning');
    return undefined;
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    gate.stop();
    stopped ??= started.then(async (writers) => {
      await writers?.outbound.stop();
      await writers?.jobs.stop();
    });
    return stopped;
  };
  return {
    jobs: {
      drain: async (timeoutMs) => {
        await (await started)?.jobs.drain(timeoutMs);
      },
      stop,
    },
    outbound: { stop },
  };
}

const DAY_MS = 24 * 60 * 60_000;

export async function startBackgroundWork(config: Config, deps: BackgroundDeps): Promise<BackgroundWork> {
  const { db, gateway, logger, hooks, metrics } = deps;
  const { pool } = db;
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne();
  };
  try {
    // Read the closed-won stages before the first deal event is applied; refreshed off the hot path.
    await deps.closedWon.start();
    stoppers.push(async () => deps.closedWon.stop());
    const alerts = { webhookUrl: config.outbound.alertWebhookUrl, webhookTimeoutMs: ALERT_WEBHOOK_TIMEOUT_MS };
    const inbox = startInboxWorkers({
      pool,
      logger,
      hooks,
      reader: crmReaderFromGateway(gateway, 'realtime'),
      appId: deps.appId,
      metrics: createInboundMetrics(metrics, pool),
      registry: metrics,
      alerts,
      ...config.inbox,
    });
    stoppers.push(() => inbox.stop());
    // Retention also bounds the schedules' own run history.
    const retentionMs = config.schedules.retentionDays * DAY_MS;
    const mailer = config.smtp.url ? smtpWelcomeMailer(config.smtp.url, config.smtp.from) : undefined;
    const replayGuard = replayGuardRetention(config.webhooks.maxFutureSkewMs);
    const { support } = config;
    const supportRules = { asrThreshold: support.asrThreshold, asrMinAttempts: support.asrMinAttempts, storm: { customers: support.stormCustomers, windowMs: support.stormWindowMs } };
    const background = backgroundTasks({
      pool, logger, gateway, hooks, mailer, retentionMs, replayGuard,
      support: supportRules, alerts, reconcile: config.reconcile, burstWindowMs: config.hubspot.limits.burstWindowMs,
    });
    const work = { ...background.work, ...usageWork(pool, logger, metrics, alerts) };
    // The job system and the outbox write to HubSpot: they start once provisioning has succeeded.
    const startWriters = async (): Promise<Writers> => {
      const jobs = await startSchedules({ databaseUrl: db.url, pool, logger, metrics, concurrency: config.jobs.concurrency, ...background, work, schedules: deps.schedules, historyRetentionMs: retentionMs });
      try {
        return { jobs, outbound: startOutboundSync({ pool, gateway, logger, settings: config.outbound, metrics, ticketPipeline: support.ticketPipeline }) };
      } catch (error) {
        await jobs.stop();
        throw error;
      }
    };
    const writers = deps.provisioning.passed ? await startWriters() : writersAfter(deps.provisioning, startWriters, logger);
    stoppers.push(async () => {
      await writers.outbound.stop();
      await writers.jobs.stop();
    });
    return { inbox, ...writers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The usage schedules' work (src/usage/push/) bound to the parts of other layers it uses: the
 * credit-limit rule (warp, with spend as the cause) and ops alert delivery (sync).
 */
export function usageWork(pool: Pool, logger: Logger, metrics: Registry | undefined, alerts: { webhookUrl: string | undefined; webhookTimeoutMs: number }): ReturnType<typeof usagePushWork> {
  const sink = { ...alerts, db: pool, logger: logger.child({ component: 'usage-sync' }) };
  return usagePushWork({
    pool,
    metrics: createUsagePushMetrics(metrics),
    creditLimit: { limitedReason: CREDIT_LIMIT_REASON, apply: (ban) => applyCreditLimit({ pool }, ban, 'spend') },
    deliverAlert: (alert) => deliverAlert(sink, alert),
    now: () => new Date(),
  });
}
