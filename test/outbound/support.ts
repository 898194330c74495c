import { randomUUID } from 'node:crypto';

import { loadConfig } from '../../src/config.js';
import type { HubSpotObject } from '../../src/hubspot/gateway.js';
import { createLogger } from '../../src/lib/logger.js';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { type OutboxWorkers } from '../../src/sync/outbound/outbox-worker.js';
import { startOutboundSync } from '../../src/sync/outbound/outbound-sync.js';
import { type ApiClient, apiClient } from '../support/api-client.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor } from '../support/wait.js';

export { waitFor };

/**
 * The real service (API + outbox workers + gateway) against the real simulator over HTTP, with a
 * fresh database. The simulator runs at a time scale so windows and back-offs take milliseconds;
 * the gateway is given the same (scaled) burst window.
 */
export interface OutboundFixture {
  db: TestDatabase;
  sim: RunningSimulator;
  service: TestService;
  /** The API with an admin key (test/support/api-client.ts). */
  api: ApiClient;
  /** A customer whose company exists in the simulator (as after onboarding). */
  createCustomer(name?: string): Promise<{ id: string; ban: string; companyId: string }>;
  /** Starts extra outbox workers in this process (e.g. after creating changes with workers: 0). */
  startWorkers(env?: Record<string, string>): OutboxWorkers;
  /** Records of a type in the simulator with these properties and associations to these types. */
  records(objectType: string, properties: string[], associations?: string[]): Promise<HubSpotObject[]>;
  close(): Promise<void>;
}

export const SIM_TIME_SCALE = 0.05;
const BURST_WINDOW_MS = String(10_000 * SIM_TIME_SCALE);

export function outboundEnv(sim: RunningSimulator, env: Record<string, string> = {}): Record<string, string> {
  return {
    HUBSPOT_ACCESS_TOKEN: 'test-token',
    HUBSPOT_BASE_URL: sim.url,
    HUBSPOT_ACCOUNT_KEY: `test-${randomUUID()}`,
    HUBSPOT_BURST_WINDOW_MS: BURST_WINDOW_MS,
    OUTBOX_POLL_INTERVAL_MS: '100',
    OUTBOX_RETRY_BASE_DELAY_MS: '100',
    OUTBOX_DEFER_DELAY_MS: '200',
    OUTBOX_LEASE_MS: '3000',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

export async function startOutboundFixture(options: { env?: Record<string, string>; sim?: SimulatorOptions } = {}): Promise<OutboundFixture> {
  const db = await createTestDatabase();
  const sim = await startSimulator({ timeScale: SIM_TIME_SCALE, enableControlApi: true, ...options.sim });
  const env = outboundEnv(sim, options.env);
  const service = await startTestService(db, env);
  const { key } = await createApiKey(db.pool, 'outbound-test', ['admin']);
  const extraWorkers: OutboxWorkers[] = [];
  const gateway = service.hubspot.gateway;

  return {
    db,
    sim,
    service,
    api: apiClient(service.app, service.routes, key),
    createCustomer: async (name = `Acme ${randomUUID().slice(0, 8)}`) => {
      const company = await gateway.createObject('companies', { properties: { name } });
      const { rows } = await db.pool.query<{ id: string; ban: string }>(
        `INSERT INTO customers (ban, hubspot_company_id, name) VALUES (nextval('ban_seq')::text, $1, $2) RETURNING id, ban`,
        [company.id, name],
      );
      return { id: String(rows[0]!.id), ban: rows[0]!.ban, companyId: company.id };
    },
    startWorkers: (extra = {}) => {
      const config = loadConfig({ DATABASE_URL: db.url, ...env, OUTBOX_WORKERS: '2', ...extra });
      const workers = startOutboundSync({ pool: db.pool, gateway, logger: createLogger({ level: 'warn' }), settings: config.outbound });
      extraWorkers.push(workers);
      return workers;
    },
    records: async (objectType, properties, associations = []) => {
      const out: HubSpotObject[] = [];
      for await (const record of gateway.iterateObjects(objectType, { properties, associations })) out.push(record);
      return out;
    },
    close: async () => {
      for (const workers of extraWorkers) await workers.stop();
      await service.close();
      await sim.close();
      await db.drop();
    },
  };
}

/** Waits until nothing is left in the outbox (every change written, deferred ones included). */
export async function outboxDrained(db: TestDatabase, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n === '0', timeoutMs, 'an empty outbox');
}

export const trunkBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Production SIP Trunk',
  ipAddresses: ['198.51.100.10'],
  concurrentCalls: 100,
  monthlyMinutes: 1_000_000,
  ...overrides,
});
