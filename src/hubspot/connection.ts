import { createHash } from 'node:crypto';

import type { Registry } from 'prom-client';

import type { Logger } from '../lib/logger.js';
import { createHubSpotGateway, type HubSpotGateway } from './gateway.js';
import { formatReport, provisionPortal } from './provision.js';
import type { RateBudgetStore, RateLimits } from './rate-budget.js';

/**
 * The one place that builds a HubSpot gateway from the settings: the service and the CLI both call
 * `connectHubSpot`. With an access token it talks to `baseUrl` (HubSpot, defaulted in config.ts);
 * without one to the simulator at `simulatorUrl` (the bundled one `npm start` runs, or the one a
 * running service or `npm run sim` serves), over HTTP like HubSpot.
 */

export interface HubSpotSettings {
  accessToken: string | undefined;
  baseUrl: string | undefined;
  /** Processes with the same key share one rate budget; default: derived from the token. */
  accountKey: string | undefined;
  limits: Partial<RateLimits>;
  maxAttempts: number;
  requestTimeoutMs: number;
}

/** The simulator accepts any token; this one makes its request logs recognisable. */
export const SIMULATOR_ACCESS_TOKEN = 'warp-hubspot-simulator';

export interface HubSpotConnection {
  gateway: HubSpotGateway;
  baseUrl: string;
  /** True when the other end is a simulator (no access token). */
  simulated: boolean;
  /** Writes back the rate budget's pending bookkeeping; call before the pool closes. */
  close(): Promise<void>;
}

/**
 * Processes that talk to the same account must share a budget key: HUBSPOT_ACCOUNT_KEY, or a
 * hash of the token (never the token itself: it ends up in the database).
 */
export function budgetAccountKey(settings: HubSpotSettings, baseUrl: string): string {
  if (settings.accountKey) return settings.accountKey;
  if (!settings.accessToken) return `simulator:${baseUrl}`;
  return `token:${createHash('sha256').update(settings.accessToken).digest('hex').slice(0, 16)}`;
}

export function connectHubSpot(
  settings: HubSpotSettings,
  deps: { budgetStore: RateBudgetStore; logger: Logger; metrics: Registry; simulatorUrl: string },
): HubSpotConnection {
  const baseUrl = settings.accessToken ? settings.baseUrl : deps.simulatorUrl;
  if (!baseUrl) throw new Error('HubSpot base URL missing: config.ts defaults it whenever an access token is set');
  const gateway = createHubSpotGateway({
    baseUrl,
    accessToken: settings.accessToken ?? SIMULATOR_ACCESS_TOKEN,
    budgetStore: deps.budgetStore,
    accountKey: budgetAccountKey(settings, baseUrl),
    limits: settings.limits,
    maxAttempts: settings.maxAttempts,
    requestTimeoutMs: settings.requestTimeoutMs,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  return { gateway, baseUrl, simulated: !settings.accessToken, close: () => gateway.close() };
}

/**
 * Provisioning at start: makes the portal match WARP's model; logs what it did. A failure is logged
 * and the service keeps running (the API answers, webhooks still arrive), so a HubSpot outage at
 * start does not take the service down; what writes to HubSpot waits until an attempt succeeds
 * (provisioning-gate.ts). Instances started
 * together are serialized by the caller (service.ts, an advisory lock); a 409 from a create made
 * meanwhile by anyone else is planned again (provisionPortal). Returns whether the portal matches.
 */
export async function provisionAtStart(gateway: HubSpotGateway, logger: Logger): Promise<boolean> {
  try {
    const report = await provisionPortal(gateway, { priority: 'realtime' });
    const summary = formatReport(report);
    if (report.failed > 0 || report.conflicts > 0) {
      logger.error({ report: summary }, 'HubSpot provisioning incomplete');
      return false;
    }
    logger.info({ writes: report.writes }, summary.at(-1) ?? 'HubSpot provisioning done');
    return true;
  } catch (error) {
    logger.error({ err: error }, 'HubSpot provisioning failed before any change: could not read the portal');
    return false;
  }
}
