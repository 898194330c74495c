import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { enqueue } from '../../src/store/outbox.js';
import { inboundWebhookSubscriptions } from '../../src/sync/inbound/subscriptions.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService } from '../support/service.js';
import { waitFor } from '../support/wait.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('the service and HubSpot', () => {
  it('without a token: starts the bundled simulator, provisions it, and stops it on close', async () => {
    const service = await startTestService(db);
    const sim = service.hubspot.simulator;
    expect(sim).toBeDefined();
    expect(service.hubspot.description).toContain(`simulator at ${sim!.url}`);
    const schemas = await service.hubspot.gateway.listSchemas();
    expect(schemas.map((s) => s.name).sort()).toEqual(['numbers', 'trunks']);
    expect(service.logText()).toContain('Provisioning: ');
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('warp_hubspot_gateway_requests_total');
    await service.close();
    await expect(fetch(`${sim!.url}/crm/v3/objects/companies`)).rejects.toThrow();
  });

  it('with a token: talks to HUBSPOT_BASE_URL, and provisioning at start can be turned off', async () => {
    const external: RunningSimulator = await startSimulator({ seedDemo: true });
    try {
      const service = await startTestService(db, {
        HUBSPOT_ACCESS_TOKEN: 'a-token',
        HUBSPOT_BASE_URL: external.url,
        HUBSPOT_PROVISION_AT_START: 'false',
      });
      expect(service.hubspot.simulator).toBeUndefined();
      expect(service.hubspot.description).toBe(`${external.url} (access token set)`);
      const page = await service.hubspot.gateway.listObjects('companies', { limit: 1 });
      expect(page.results).toHaveLength(1);
      expect(external.requestLog().filter((r) => r.method !== 'GET')).toEqual([]);
      await service.close();
    } finally {
      await external.close();
    }
  });

  it('the bundled simulator signs with a fresh random secret each start, or with HUBSPOT_CLIENT_SECRET when set', async () => {
    const first = await startTestService(db, { HUBSPOT_PROVISION_AT_START: 'false', INBOX_WORKERS: '0' });
    const second = await startTestService(db, { HUBSPOT_PROVISION_AT_START: 'false', INBOX_WORKERS: '0' });
    const secrets = [first.hubspot.simulator!.clientSecret, second.hubspot.simulator!.clientSecret];
    await first.close();
    await second.close();
    expect(secrets[0]).not.toBe(secrets[1]);
    expect(secrets).not.toContain('sim-client-secret');
    expect(secrets[0]!.length).toBeGreaterThanOrEqual(32);

    // With HUBSPOT_CLIENT_SECRET and no token, its webhooks used to be signed with its own secret
    // and refused with 401; now an edit made in it reaches the cache.
    const service = await startTestService(db, { HUBSPOT_CLIENT_SECRET: 'operator-chosen-secret', INBOX_POLL_INTERVAL_MS: '20' });
    try {
      expect(service.hubspot.simulator!.clientSecret).toBe('operator-chosen-secret');
      const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
      service.hubspot.simulator!.configureWebhooks(`${address}/api/v1/webhooks/hubspot`, inboundWebhookSubscriptions());
      const created = service.hubspot.simulator!.uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Signed Right GmbH' } });
      await waitFor(async () => {
        const { rows } = await db.pool.query<{ name: string | null }>('SELECT name FROM customers WHERE hubspot_company_id = $1', [String(created['id'])]);
        return rows[0]?.name === 'Signed Right GmbH' ? true : undefined;
      });
      expect(service.logText()).not.toContain('webhook_signature_invalid');
    } finally {
      await service.close();
    }
  });
});

describe('process roles', () => {
  it('ROLE=api serves the API, runs no background work and never calls HubSpot', async () => {
    const external: RunningSimulator = await startSimulator({ seedDemo: true });
    try {
      const service = await startTestService(db, { ROLE: 'api', HUBSPOT_ACCESS_TOKEN: 'a-token', HUBSPOT_BASE_URL: external.url });
      expect(service.work).toBeUndefined();
      expect((await service.app.inject({ method: 'GET', url: '/api/v1/whoami' })).statusCode).toBe(401);
      expect((await service.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await service.close();
      // No provisioning, no pipeline reads: an API process leaves HubSpot to the workers.
      expect(external.requestLog()).toEqual([]);
    } finally {
      await external.close();
    }
  });

  it('ROLE=worker runs the background work and answers only the probes', async () => {
    const service = await startTestService(db, { ROLE: 'worker', HUBSPOT_PROVISION_AT_START: 'false' });
    try {
      expect(service.work).toBeDefined();
      await service.work!.inbox.drain();
      expect((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await service.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      expect((await service.app.inject({ method: 'GET', url: '/api/v1/whoami' })).statusCode).toBe(404);
    } finally {
      await service.close();
    }
  });
});

describe('provisioning before anything that writes to HubSpot (issue 17 item 7)', () => {
  it('a provisioning that failed at start holds the outbox and the jobs back, is tried again, and they start once it succeeded', async () => {
    const own = await createTestDatabase();
    const sim = await startSimulator({ seedDemo: true, enableControlApi: true });
    try {
      // A company WARP created, waiting in the outbox: it is upserted by warp_ban, a property provisioning creates.
      const { rows } = await own.pool.query<{ id: string }>(`INSERT INTO customers (ban, name) VALUES ('7700001', 'Gate Test GmbH') RETURNING id::text`);
      await enqueue(own.pool, [{ objectType: 'company', recordKey: rows[0]!.id }]);
      sim.addFault({ kind: 'status', status: 503, fraction: 1 });
      const service = await startTestService(own, { HUBSPOT_ACCESS_TOKEN: 'gate-token', HUBSPOT_BASE_URL: sim.url, HUBSPOT_MAX_ATTEMPTS: '1', OUTBOX_POLL_INTERVAL_MS: '50' });
      try {
        const companyWrites = () => sim.requestLog().filter((r) => r.path.startsWith('/crm/v3/objects/companies/batch'));
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(companyWrites()).toEqual([]);
        expect(service.logText()).toContain('wait for it; trying again');

        sim.clearFaults();
        const synced = async () => (await own.pool.query<{ id: string | null }>(`SELECT hubspot_company_id AS id FROM customers WHERE ban = '7700001'`)).rows[0]!.id ?? undefined;
        await waitFor(synced, 20_000, 'the company written to HubSpot');
        const log = sim.requestLog();
        const provisioningWrites = log.filter((r) => r.method !== 'GET' && /^\/(crm\/v3\/properties|crm-object-schemas)\//.test(r.path) && r.status < 300);
        expect(provisioningWrites.length).toBeGreaterThan(0);
        expect(companyWrites()[0]!.seq).toBeGreaterThan(provisioningWrites.at(-1)!.seq);
        expect(service.logText()).toContain('HubSpot provisioning succeeded');
      } finally {
        await service.close();
      }
    } finally {
      await sim.close();
      await own.drop();
    }
  });
});
