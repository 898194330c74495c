import type { Registry } from 'prom-client';

import type { Config } from './config.js';
import type { Pool } from './db/pool.js';
import type { HubSpotGateway } from './hubspot/gateway.js';
import type { Logger } from './lib/logger.js';
import type { InboundHooks } from './sync/inbound/apply-field.js';
import { type SyncJobRunner, startSyncJobRunner } from './sync/inbound/customer-sync.js';
import { crmReaderFromGateway } from './sync/inbound/gateway-reader.js';
import { type InboxWorkers, startInboxWorkers } from './sync/inbound/inbox-worker.js';
import { createInboundMetrics } from './sync/inbound/metrics.js';
import { replayGuardRetention } from './sync/inbound/webhook-auth.js';
import type { ClosedWonStages } from './sync/onboarding/closed-won.js';
import { smtpWelcomeMailer } from './sync/onboarding/mailer.js';
import { type OnboardingRunner, startOnboardingRunner } from './sync/onboarding/onboarding.js';
import type { OutboxWorkers } from './sync/outbound/outbox-worker.js';
import { startOutboundSync } from './sync/outbound/outbound-sync.js';

/**
 * The worker role: every background loop of one process, started in order and stopped in reverse.
 * Part of the composition root (it reads the config); `service.ts` starts it for `ROLE=worker`
 * and `ROLE=all`. Background work added later (the job runner, the scheduler) starts here too:
 * one more `start…` call and its `stoppers.push`, before the outbound sync.
 */
export interface BackgroundWork {
  /** Webhook inbox workers (inbound sync). */
  inbox: InboxWorkers;
  /** Import/reconcile jobs behind /sync/customers. */
  jobs: SyncJobRunner;
  /** Onboarding of won deals. */
  onboarding: OnboardingRunner;
  /** Outbox workers (outbound sync). */
  outbound: OutboxWorkers;
  /** Stops every loop, each finishing its in-flight work, in reverse order of start. */
  stop(): Promise<void>;
}

export interface BackgroundDeps {
  pool: Pool;
  gateway: HubSpotGateway;
  logger: Logger;
  metrics: Registry;
  hooks: Omit<InboundHooks, 'needsFetch'>;
  closedWon: ClosedWonStages;
  /** Our app id: webhook changes it made are echoes. */
  appId: string | undefined;
}

export async function startBackgroundWork(config: Config, deps: BackgroundDeps): Promise<BackgroundWork> {
  const { pool, gateway, logger, hooks } = deps;
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne();
  };
  try {
    // Read the closed-won stages before the first deal event is applied; refreshed off the hot path.
    await deps.closedWon.start();
    stoppers.push(async () => deps.closedWon.stop());
    const inbox = startInboxWorkers({
      pool,
      logger,
      hooks,
      reader: crmReaderFromGateway(gateway, 'realtime'),
      appId: deps.appId,
      metrics: createInboundMetrics(deps.metrics, pool),
      replayGuard: replayGuardRetention(config.webhooks.maxFutureSkewMs),
      ...config.inbox,
    });
    stoppers.push(() => inbox.stop());
    const jobs = startSyncJobRunner({ pool, logger, reader: crmReaderFromGateway(gateway, 'backfill'), hooks, pollIntervalMs: config.syncJobs.pollIntervalMs });
    stoppers.push(() => jobs.stop());
    const onboarding = startOnboardingRunner({
      pool,
      logger,
      hubspot: gateway,
      reader: crmReaderFromGateway(gateway, 'realtime'),
      hooks,
      mailer: config.smtp.url ? smtpWelcomeMailer(config.smtp.url, config.smtp.from) : undefined,
      pollIntervalMs: config.onboarding.pollIntervalMs,
      maxAttempts: config.inbox.maxAttempts,
    });
    stoppers.push(() => onboarding.stop());
    const outbound = startOutboundSync({ pool, gateway, logger, settings: config.outbound });
    stoppers.push(() => outbound.stop());
    return { inbox, jobs, onboarding, outbound, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
