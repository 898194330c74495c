import { createHash, randomBytes } from 'node:crypto';

import type { Registry } from 'prom-client';

import type { Config } from './config.js';
import type { Pool } from './db/pool.js';
import { createHubSpotGateway, type HubSpotGateway } from './hubspot/gateway.js';
import { applyProvisioning, formatReport, planProvisioning } from './hubspot/provision.js';
import type { Logger } from './lib/logger.js';
import { type RunningSimulator, startSimulator } from './simulator/server.js';

/**
 * Which HubSpot the service talks to, and the gateway for it (composition level: it may import
 * the simulator; src/hubspot never does). With HUBSPOT_ACCESS_TOKEN: HUBSPOT_BASE_URL. Without:
 * the bundled simulator, started in-process with its demo portal, reached over HTTP like HubSpot.
 */

export type HubSpotSettings = Config['hubspot'];

/** The simulator accepts any token; this one makes its request logs recognisable. */
export const SIMULATOR_ACCESS_TOKEN = 'warp-hubspot-simulator';

export interface HubSpotConnection {
  gateway: HubSpotGateway;
  baseUrl: string;
  /** Printed at start, e.g. `simulator at http://127.0.0.1:4010 (demo portal 1234567)`. */
  description: string;
  /** The in-process simulator when no token is set (tests and demos reach its control functions). */
  simulator: RunningSimulator | undefined;
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

async function startBundledSimulator(settings: HubSpotSettings, logger: Logger): Promise<RunningSimulator> {
  const options = {
    host: '127.0.0.1',
    // It signs its webhooks with the secret the service verifies: the configured one, else a fresh
    // random one per start (never a constant anybody could look up and sign with).
    clientSecret: settings.clientSecret ?? randomBytes(24).toString('base64url'),
    seedDemo: true,
    // Loopback only; lets demos make "UI edits" and inject faults (src/simulator/README.md).
    enableControlApi: true,
    burstLimit: settings.limits.burstLimit,
    burstWindowMs: settings.limits.burstWindowMs,
    dailyLimit: settings.limits.dailyLimit,
    searchPerSecond: settings.limits.searchPerSecond,
  };
  try {
    return await startSimulator({ ...options, port: settings.simulatorPort });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    // Another instance (or a parallel test) has the port: any free port works, the URL is printed.
    logger.warn({ port: settings.simulatorPort }, 'simulator port is taken; using a free port instead');
    return startSimulator({ ...options, port: 0 });
  }
}

export async function connectHubSpot(
  settings: HubSpotSettings,
  deps: { pool: Pool; logger: Logger; metrics: Registry },
): Promise<HubSpotConnection> {
  const simulator = settings.accessToken ? undefined : await startBundledSimulator(settings, deps.logger);
  const baseUrl = simulator?.url ?? settings.baseUrl ?? 'https://api.hubapi.com';
  const gateway = createHubSpotGateway({
    baseUrl,
    accessToken: settings.accessToken ?? SIMULATOR_ACCESS_TOKEN,
    pool: deps.pool,
    accountKey: budgetAccountKey(settings, baseUrl),
    limits: settings.limits,
    maxAttempts: settings.maxAttempts,
    requestTimeoutMs: settings.requestTimeoutMs,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  const description = simulator
    ? `simulator at ${simulator.url} (demo portal ${simulator.portalId}; set HUBSPOT_ACCESS_TOKEN for a real account)`
    : `${baseUrl} (access token set)`;
  return {
    gateway,
    baseUrl,
    description,
    simulator,
    close: async () => {
      await gateway.close();
      await simulator?.close();
    },
  };
}

/**
 * Provisioning at start: makes the portal match WARP's model; logs what it did. A failure is logged
 * and the service keeps running (webhooks still arrive; writes of missing properties will fail with
 * clear errors), so a HubSpot outage at start does not take the service down.
 */
export async function provisionAtStart(gateway: HubSpotGateway, logger: Logger): Promise<void> {
  try {
    const report = await applyProvisioning(await planProvisioning(gateway, { priority: 'realtime' }));
    const summary = formatReport(report);
    if (report.failed > 0 || report.conflicts > 0) logger.error({ report: summary }, 'HubSpot provisioning incomplete');
    else logger.info({ writes: report.writes }, summary.at(-1) ?? 'HubSpot provisioning done');
  } catch (error) {
    logger.error({ err: error }, 'HubSpot provisioning failed before any change: could not read the portal');
  }
}
