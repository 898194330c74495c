import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { simulatorClient } from '../support/sim-http.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'sim-e2e-secret';
const TOKEN = 'pat-inbound-test';

describe('inbound sync against the simulator over HTTP', () => {
  let sim: RunningSimulator;
  let db: TestDatabase;
  let service: TestService;
  let base: string;
  let apiKey: string;

  const { simHttp, uiEdit } = simulatorClient(() => sim, TOKEN);
  const api = async (method: string, path: string) => {
    const response = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${apiKey}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const customer = async (hubspotId: string) =>
    (await db.pool.query<Record<string, unknown>>('SELECT * FROM customers WHERE hubspot_company_id = $1', [hubspotId])).rows[0];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.01, enableControlApi: true, clientSecret: SECRET, burstLimit: 10_000 });
    db = await createTestDatabase();
    service = await startTestService(db, {
      HUBSPOT_CLIENT_SECRET: SECRET,
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_BASE_URL: sim.url,
      HUBSPOT_APP_ID: String(sim.appId),
      INBOX_POLL_INTERVAL_MS: '20',
    });
    base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    apiKey = (await createApiKey(db.pool, 'inbound-test', ['admin'])).key;
    // The service provisions the warp_* properties in the simulator at start (gateway provisioning).
    sim.configureWebhooks(`${base}/api/v1/webhooks/hubspot`, [
      { eventType: 'company.creation' },
      { eventType: 'company.deletion' },
      { eventType: 'company.propertyChange', propertyName: 'name' },
      { eventType: 'company.propertyChange', propertyName: 'domain' },
      { eventType: 'company.propertyChange', propertyName: 'warp_credit_limit' },
      { eventType: 'company.propertyChange', propertyName: 'warp_status' },
    ]);
  });
  afterAll(async () => {
    await sim.close();
    await service.close();
    await db.drop();
  });

  it('a property edit in HubSpot reaches the cache through a real signed webhook', async () => {
    const created = await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Sim Telecom', domain: 'simtel.test' } });
    const id = String(created['id']);
    await waitFor(async () => ((await customer(id))?.['name'] === 'Sim Telecom' ? true : undefined));
    await uiEdit({ objectType: 'companies', objectId: id, properties: { name: 'Sim Telecom Ltd', warp_credit_limit: '2500' } });
    const row = await waitFor(async () => {
      const r = await customer(id);
      return r?.['name'] === 'Sim Telecom Ltd' && r['credit_limit'] === '2500.00' ? r : undefined;
    });
    expect(row).toMatchObject({ domain: 'simtel.test', deleted_at: null });
    const audit = await api('GET', `/audit?entityType=customer&entityId=${id}`);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain('"after":"Sim Telecom Ltd"');
    // Every delivery was accepted: the receiver verified the simulator's signatures.
    expect(sim.webhookDeliveries().every((d) => d.status === 200)).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/warp_hubspot_inbound_events_total\{outcome="applied"\} [1-9]/);
    expect(metrics).toMatch(/warp_hubspot_inbox_depth \d+/);
    expect(metrics).toMatch(/warp_hubspot_inbox_lag_seconds \d/);
  });

  it('records a HubSpot edit of a WARP-owned field as a conflict and queues the owner value back', async () => {
    const created = await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Owned By Warp' } });
    const id = String(created['id']);
    await waitFor(async () => ((await customer(id))?.['name'] === 'Owned By Warp' ? true : undefined));
    await db.pool.query(`UPDATE customers SET ban = '990001', status = 'active' WHERE hubspot_company_id = $1`, [id]);
    await uiEdit({ objectType: 'companies', objectId: id, properties: { warp_status: 'churned' } });
    const conflicts = await waitFor(async () => {
      const response = await api('GET', `/conflicts?objectId=${id}`);
      const list = response.body['conflicts'] as Array<Record<string, unknown>>;
      return list.length > 0 ? list : undefined;
    });
    expect(conflicts[0]).toMatchObject({ property: 'warp_status', owner: 'warp', hubspotValue: 'churned', warpValue: 'active', resolution: 'owner_value_written_back' });
    expect((await customer(id))?.['status']).toBe('active');
    // The outbound sync writes WARP's value back: HubSpot converges on the owner's value.
    await waitFor(async () => {
      const company = await simHttp('GET', `/crm/v3/objects/companies/${id}?properties=warp_status`);
      return (company['properties'] as Record<string, string>)['warp_status'] === 'active' ? true : undefined;
    });
  });

  it('reconcile repairs a missed webhook and a missed deletion', async () => {
    const created = await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Drifted Co' } });
    const id = String(created['id']);
    const doomed = String((await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Gone Co' } }))['id']);
    await waitFor(async () => ((await customer(doomed))?.['name'] === 'Gone Co' && (await customer(id)) ? true : undefined));
    expect(await sim.drainWebhooks()).toBe(true);

    // HubSpot's deliveries of the next two changes are lost.
    await simHttp('POST', '/__sim/faults', { kind: 'webhook-drop', count: 2 }, null);
    await uiEdit({ objectType: 'companies', objectId: id, properties: { name: 'Drifted Co (renamed)' } });
    expect(await sim.drainWebhooks()).toBe(true);
    await uiEdit({ objectType: 'companies', objectId: doomed, action: 'archive' });
    expect(await sim.drainWebhooks()).toBe(true);
    expect((await customer(id))?.['name']).toBe('Drifted Co');
    expect((await customer(doomed))?.['deleted_at']).toBeNull();

    const started = await fetch(`${base}/api/v1/sync/customers/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
    expect(started.status).toBe(202);
    const { run } = (await started.json()) as { run: { id: string } };
    const finished = await waitFor(async () => {
      const found = (await api('GET', `/sync/customers/reconcile/runs/${run.id}`)).body['run'] as Record<string, unknown>;
      return found['status'] === 'succeeded' ? found : undefined;
    }, 20_000);
    expect(finished['report']).toMatchObject({ objects: { company: { deleted: 1, fields: { name: 1 } } } });
    expect((await customer(id))?.['name']).toBe('Drifted Co (renamed)');
    expect((await customer(doomed))?.['deleted_at']).not.toBeNull();
  });

  it('imports every company and contact as a background job and reports status', async () => {
    await uiEdit({ objectType: 'contacts', action: 'create', properties: { email: 'ann@example.com', firstname: 'Ann' } });
    const started = await fetch(`${base}/api/v1/sync/customers/hubspot`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
    expect(started.status).toBe(202);
    const status = await waitFor(async () => {
      const s = await api('GET', '/sync/customers/status');
      const jobs = s.body['jobs'] as Array<Record<string, unknown>>;
      return jobs[0]?.['kind'] === 'import' && jobs[0]['status'] === 'succeeded' ? s.body : undefined;
    });
    expect(status['counts']).toMatchObject({ users: 1 });
    expect(status['inbox']).toMatchObject({ failed: 0 });
    const user = await db.pool.query(`SELECT email FROM users`);
    expect(user.rows).toEqual([{ email: 'ann@example.com' }]);
    expect(service.logText()).not.toContain('ann@example.com');
  });

  it('undoes a HubSpot edit of a WARP-owned contact field: conflict recorded, WARP value written back', async () => {
    sim.configureWebhooks(`${base}/api/v1/webhooks/hubspot`, [
      { eventType: 'contact.creation' },
      { eventType: 'contact.propertyChange', propertyName: 'warp_role' },
    ]);
    const created = await uiEdit({ objectType: 'contacts', action: 'create', properties: { email: 'rolf@example.com', firstname: 'Rolf' } });
    const id = String(created['id']);
    const cached = async () => (await db.pool.query<Record<string, unknown>>('SELECT * FROM users WHERE hubspot_contact_id = $1', [id])).rows[0];
    await waitFor(async () => ((await cached()) ? true : undefined));
    // The contact is a WARP user with the admin role (WARP owns warp_role).
    await db.pool.query(
      `UPDATE users SET user_id = 'usr_rolf', role = 'admin', customer_id = (SELECT id FROM customers WHERE ban = '990001') WHERE hubspot_contact_id = $1`,
      [id],
    );
    await uiEdit({ objectType: 'contacts', objectId: id, properties: { warp_role: 'readonly' } });
    const conflicts = await waitFor(async () => {
      const list = (await api('GET', `/conflicts?objectId=${id}`)).body['conflicts'] as Array<Record<string, unknown>>;
      return list.length > 0 ? list : undefined;
    });
    expect(conflicts[0]).toMatchObject({ objectType: 'contact', property: 'warp_role', hubspotValue: 'readonly', warpValue: 'admin', resolution: 'owner_value_written_back' });
    expect((await cached())?.['role']).toBe('admin');
    await waitFor(async () => {
      const contact = await simHttp('GET', `/crm/v3/objects/contacts/${id}?properties=warp_role`);
      return (contact['properties'] as Record<string, string>)['warp_role'] === 'admin' ? true : undefined;
    });
  });

  it('a full read that fails is kept and retried, not dropped (durable pending fetches, M7)', async () => {
    sim.configureWebhooks(`${base}/api/v1/webhooks/hubspot`, [{ eventType: 'company.creation' }, { eventType: 'company.propertyChange', propertyName: 'name' }]);
    // Every batch read of companies fails until the failure is on record: the creation's full read must survive it.
    sim.addFault({ kind: 'status', status: 503, count: 10_000, pathPrefix: '/crm/v3/objects/companies/batch/read' });
    // `industry` has no webhook subscription here: only the full read brings it.
    const created = await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Read Later Co', industry: 'Telecom' } });
    const id = String(created['id']);
    await waitFor(async () => ((await db.pool.query(`SELECT 1 FROM pending_fetches WHERE hubspot_id = $1 AND last_error IS NOT NULL`, [id])).rowCount === 1 ? true : undefined), 40_000, 'a failed read kept');
    sim.clearFaults();
    await waitFor(async () => ((await customer(id))?.['industry'] === 'Telecom' ? true : undefined), 30_000, 'the record read once HubSpot answers');
    await waitFor(async () => ((await db.pool.query(`SELECT 1 FROM pending_fetches WHERE hubspot_id = $1`, [id])).rowCount === 0 ? true : undefined), 5_000, 'the fetch done');
  }, 90_000);
});
