import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService } from '../support/service.js';

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
