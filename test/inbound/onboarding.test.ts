import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { simulatorClient } from '../support/sim-http.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'onboarding-secret';
const TOKEN = 'pat-onboarding-test';

describe('onboarding of a won deal', () => {
  let sim: RunningSimulator;
  let db: TestDatabase;
  let service: TestService;
  let smtp: SMTPServer;
  const mails: Array<{ to: string[]; body: string }> = [];

  const { simHttp, uiEdit } = simulatorClient(() => sim, TOKEN);
  const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as { port: number }).port;
    sim = await startSimulator({ port: 0, timeScale: 0.01, enableControlApi: true, clientSecret: SECRET, burstLimit: 10_000 });
    db = await createTestDatabase();
    service = await startTestService(db, {
      HUBSPOT_CLIENT_SECRET: SECRET,
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_BASE_URL: sim.url,
      HUBSPOT_APP_ID: String(sim.appId),
      INBOX_POLL_INTERVAL_MS: '20',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    });
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    sim.configureWebhooks(`${base}/api/v1/webhooks/hubspot`, [
      { eventType: 'deal.creation' },
      { eventType: 'deal.propertyChange', propertyName: 'dealstage' },
      { eventType: 'deal.propertyChange', propertyName: 'dealname' },
      { eventType: 'deal.associationChange' },
    ]);
  });
  afterAll(async () => {
    await sim.close();
    await service.close();
    await db.drop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('deal won twice (and replayed): one BAN, one email, one trunk, one timeline entry', async () => {
    const company = String((await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Won Corp', domain: 'won.test' } }))['id']);
    const contact = String((await uiEdit({ objectType: 'contacts', action: 'create', properties: { email: 'buyer@won.test', firstname: 'Bea' } }))['id']);
    await simHttp('PUT', `/crm/v4/objects/contacts/${contact}/associations/default/companies/${company}`);
    const deal = String((await uiEdit({ objectType: 'deals', action: 'create', properties: { dealname: 'Won Corp - SIP', pipeline: 'default', dealstage: 'contractsent' } }))['id']);
    await simHttp('PUT', `/crm/v4/objects/deals/${deal}/associations/default/companies/${company}`);

    await uiEdit({ objectType: 'deals', objectId: deal, properties: { dealstage: 'closedwon' } });
    const done = async () => ((await db.pool.query(`SELECT status FROM onboardings WHERE hubspot_deal_id = $1`, [deal])).rows[0] as { status: string } | undefined)?.status === 'done';
    await waitFor(async () => ((await done()) ? true : undefined));

    // Won again after a detour, plus a duplicated delivery of the same change.
    await uiEdit({ objectType: 'deals', objectId: deal, properties: { dealstage: 'contractsent' } });
    await simHttp('POST', '/__sim/faults', { kind: 'webhook-duplicate', count: 1 }, null);
    await uiEdit({ objectType: 'deals', objectId: deal, properties: { dealstage: 'closedwon' } });
    expect(await sim.drainWebhooks()).toBe(true);
    await waitFor(async () => ((await count(`SELECT count(*) AS n FROM webhook_inbox WHERE status IN ('pending', 'processing')`)) === 0 ? true : undefined));
    await service.work!.jobs.drain();

    const customers = await db.pool.query<{ id: string; ban: string; name: string }>(`SELECT id, ban, name FROM customers WHERE ban IS NOT NULL`);
    expect(customers.rows).toHaveLength(1);
    expect(customers.rows[0]).toMatchObject({ name: 'Won Corp' });
    expect(customers.rows[0]!.ban).toMatch(/^\d+$/);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['buyer@won.test']);
    expect(mails[0]!.body).toContain(customers.rows[0]!.ban);
    expect(await count(`SELECT count(*) AS n FROM trunks WHERE customer_id = $1`, [customers.rows[0]!.id])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM account_events WHERE customer_id = $1 AND kind = 'account_created'`, [customers.rows[0]!.id])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM welcome_emails WHERE status = 'sent'`)).toBe(1);
    // warp_ban, queued in the BAN's own transaction, reaches HubSpot through the outbound sync.
    const ban = customers.rows[0]!.ban;
    await waitFor(async () => {
      const props = (await simHttp('GET', `/crm/v3/objects/companies/${company}?properties=warp_ban`))['properties'] as Record<string, string>;
      return props['warp_ban'] === ban ? true : undefined;
    });
    expect(service.logText()).not.toContain('buyer@won.test');
  });

  it('resumes a flow that stopped after the BAN: no second BAN, the remaining steps run once', async () => {
    const company = String((await uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Half Done Ltd' } }))['id']);
    const customerId = (await db.pool.query<{ id: string }>(`INSERT INTO customers (hubspot_company_id, ban) VALUES ($1, '5550001') RETURNING id`, [company])).rows[0]!.id;
    await db.pool.query(
      `INSERT INTO onboardings (hubspot_deal_id, hubspot_company_id, customer_id, ban, steps_done) VALUES ('999001', $1, $2, '5550001', '{company,customer}')`,
      [company, customerId],
    );
    // Its job, as the crashed attempt left it (the job system runs it again).
    await db.pool.query(`SELECT graphile_worker.add_job('onboarding', '{"dealId":"999001"}', job_key => 'onboarding:999001')`);
    const before = mails.length;
    await service.work!.jobs.drain();
    const row = (await db.pool.query(`SELECT status, steps_done FROM onboardings WHERE hubspot_deal_id = '999001'`)).rows[0] as Record<string, unknown>;
    expect(row).toEqual({ status: 'done', steps_done: ['company', 'customer', 'welcome_email', 'first_trunk', 'timeline'] });
    expect((await db.pool.query(`SELECT ban FROM customers WHERE id = $1`, [customerId])).rows).toEqual([{ ban: '5550001' }]);
    expect(await count(`SELECT count(*) AS n FROM trunks WHERE customer_id = $1`, [customerId])).toBe(1);
    // No contact on that company: the email is recorded as not sent, never retried into a duplicate.
    expect(mails.length).toBe(before);
    expect((await db.pool.query(`SELECT status, reason FROM welcome_emails WHERE hubspot_deal_id = '999001'`)).rows).toEqual([
      { status: 'not_sent', reason: 'no primary contact with an email address' },
    ]);
  });

  // Issue 17 M3/M4: company creation in the crash window, and two runs of one onboarding at once.
  const companiesNamed = async (name: string) => {
    const page = await simHttp('GET', '/crm/v3/objects/companies?limit=100&properties=name');
    return (page['results'] as Array<{ properties: Record<string, string> }>).filter((c) => c.properties['name'] === name).length;
  };
  const wonDealWithoutCompany = async (dealname: string) => {
    const deal = String((await uiEdit({ objectType: 'deals', action: 'create', properties: { dealname, pipeline: 'default', dealstage: 'closedwon' } }))['id']);
    expect(await sim.drainWebhooks()).toBe(true);
    return deal;
  };
  const onboardingDone = async (deal: string) => {
    await waitFor(async () => ((await db.pool.query<{ status: string }>(`SELECT status FROM onboardings WHERE hubspot_deal_id = $1`, [deal])).rows[0]?.status === 'done' ? true : undefined), 20_000);
    await service.work!.jobs.drain();
  };

  it('a company create whose answer is lost is not sent twice; the retry finds it through the deal', async () => {
    // HubSpot creates the company, then the connection drops before the answer arrives.
    await simHttp('POST', '/__sim/faults', { kind: 'drop-response', count: 1, method: 'POST', pathPrefix: '/crm/v3/objects/companies' }, null);
    const deal = await wonDealWithoutCompany('Lost Answer Inc - SIP');
    await onboardingDone(deal);
    expect(await companiesNamed('Lost Answer Inc - SIP')).toBe(1);
    const customers = await db.pool.query(`SELECT c.ban FROM customers c JOIN onboardings o ON o.customer_id = c.id WHERE o.hubspot_deal_id = $1`, [deal]);
    expect(customers.rows).toHaveLength(1);
  });

  it('two runs of one onboarding at once (a duplicated job) make one company and one BAN', async () => {
    const deal = String((await uiEdit({ objectType: 'deals', action: 'create', properties: { dealname: 'Twice Run Co - SIP', pipeline: 'default', dealstage: 'contractsent' } }))['id']);
    expect(await sim.drainWebhooks()).toBe(true);
    // The deal's onboarding with two jobs at once, as when a job is handed on while its runner still works.
    await db.pool.query(`INSERT INTO onboardings (hubspot_deal_id) VALUES ($1)`, [deal]);
    await db.pool.query(
      `SELECT graphile_worker.add_job('onboarding', json_build_object('dealId', $1::text), job_key => k || $1) FROM unnest(ARRAY['onboarding:', 'duplicate:']) AS k`,
      [deal],
    );
    await onboardingDone(deal);
    expect(await companiesNamed('Twice Run Co - SIP')).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM customers c JOIN onboardings o ON o.customer_id = c.id WHERE o.hubspot_deal_id = $1`, [deal])).toBe(1);
  });

});
