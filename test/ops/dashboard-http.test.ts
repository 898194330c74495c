import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { recordHolds } from '../../src/store/invoice-holds.js';
import { createOrGetActiveRun, saveRunProgress } from '../../src/store/reconcile-runs.js';
import { applyTicketProperty, ensureTicket, linkTicketCustomer } from '../../src/store/ticket-cache.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';

/** The dashboard's sign-in rules over HTTP (the browser test covers the pages themselves). */

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('ops dashboard sign-in and sessions', () => {
  let db: TestDatabase;
  let service: TestService;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { ROLE: 'api', LOG_LEVEL: 'warn', HUBSPOT_PROVISION_AT_START: 'false' });
    app = service.app;
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  async function signIn(key: string, next: string): Promise<{ status: number; location: string; session: string | undefined }> {
    const form = await app.inject('/ops/sign-in');
    const signInCookie = form.cookies.find((c) => c.name === 'ops_signin')!.value;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const response = await app.inject({ method: 'POST', url: '/ops/sign-in', headers: { ...FORM, cookie: `ops_signin=${signInCookie}` }, payload: new URLSearchParams({ key, _csrf: csrf, next }).toString() });
    return { status: response.statusCode, location: String(response.headers.location), session: response.cookies.find((c) => c.name === 'ops_session')?.value };
  }

  it('sends a browser without a session to sign-in, and pages carry a no-script CSP', async () => {
    const response = await app.inject('/ops/dead-letters?objectType=trunk');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/ops/sign-in?next=%2Fops%2Fdead-letters%3FobjectType%3Dtrunk');
    const signInPage = await app.inject('/ops/sign-in');
    expect(signInPage.headers['content-security-policy']).toContain("default-src 'none'");
    expect(signInPage.headers['cache-control']).toBe('no-store');
  });

  it('refuses a sign-in form not sent from the dashboard, and never redirects off the dashboard', async () => {
    const { key } = await createApiKey(db.pool, 'ops-http', ['read']);
    const forged = await app.inject({ method: 'POST', url: '/ops/sign-in', headers: FORM, payload: new URLSearchParams({ key, _csrf: 'x' }).toString() });
    expect(forged.statusCode).toBe(403);
    expect(forged.cookies.find((c) => c.name === 'ops_session')).toBeUndefined();
    for (const next of ['//evil.example/ops', 'https://evil.example/ops', '/ops//evil.example', '/api/v1/keys']) {
      const signedIn = await signIn(key, next);
      expect(signedIn).toMatchObject({ status: 303, location: '/ops' });
    }
    expect(await signIn(key, '/ops/conflicts?property=warp_status')).toMatchObject({ status: 303, location: '/ops/conflicts?property=warp_status' });
  });

  it('does not sign in a usage:write key, and ends the sessions of a revoked key', async () => {
    const usage = await createApiKey(db.pool, 'switch', ['usage:write']);
    expect(await signIn(usage.key, '/ops')).toMatchObject({ status: 303, location: '/ops/sign-in?error=1&next=%2Fops', session: undefined });
    const { key, apiKey } = await createApiKey(db.pool, 'soon-revoked', ['write']);
    const { session } = await signIn(key, '/ops');
    expect((await app.inject({ url: '/ops', headers: { cookie: `ops_session=${session}` } })).statusCode).toBe(200);
    await db.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [apiKey.id]);
    expect((await app.inject({ url: '/ops', headers: { cookie: `ops_session=${session}` } })).statusCode).toBe(303);
  });

  it('does nothing for an action without a session, and answers a bad filter with 400 naming it', async () => {
    const action = await app.inject({ method: 'POST', url: '/ops/dead-letters/1/discard', headers: FORM, payload: '_csrf=x' });
    expect(action.statusCode).toBe(303);
    expect(action.headers.location).toMatch(/^\/ops\/sign-in/);
    const { key } = await createApiKey(db.pool, 'filters', ['read']);
    const { session } = await signIn(key, '/ops');
    const bad = await app.inject({ url: '/ops/dead-letters?maxAgeHours=-3&customer=abc&errorKind=%3Cscript%3E', headers: { cookie: `ops_session=${session}` } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('maxAgeHours: must not be negative');
    expect(bad.body).toContain('customer: must be a BAN (digits)');
    expect(bad.body).not.toContain('<script>');
    const unknown = await app.inject({ url: '/ops/nope', headers: { cookie: `ops_session=${session}` } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('text/html');
  });

  it("shows a customer's open tickets from the ticket cache and held invoices, and says when no invoice exists yet", async () => {
    const { key } = await createApiKey(db.pool, 'ops-customer', ['read']);
    const { session } = await signIn(key, '/ops');
    const customer = (await db.pool.query<{ id: string; ban: string }>(`INSERT INTO customers (ban, hubspot_company_id, name) VALUES (nextval('ban_seq')::text, '930001', 'Ticketed AG') RETURNING id, ban`)).rows[0]!;
    await ensureTicket(db.pool, '77001');
    await applyTicketProperty(db.pool, '77001', 'subject', 'No audio on <trunk> calls', new Date());
    await linkTicketCustomer(db.pool, '77001', String(customer.id));
    const withoutHold = await app.inject({ url: `/ops/customers/${customer.ban}`, headers: { cookie: `ops_session=${session}` } });
    expect(withoutHold.body).not.toContain('Held invoices');
    const eur = { month: '2026-10', currency: 'EUR', records: 2, cost: '0.1150' };
    await recordHolds(db.pool, '2026-11', [{ customerId: String(customer.id), reason: 'currency_mismatch', details: [{ ...eur, month: '2026-11', records: 1, cost: '0.0575' }, eur] }]);
    const page = await app.inject({ url: `/ops/customers/${customer.ban}`, headers: { cookie: `ops_session=${session}` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Open tickets (1)');
    expect(page.body).toContain('No audio on &lt;trunk&gt; calls');
    expect(page.body).toContain('None yet: invoices are issued when a month closes.');
    expect(page.body).toContain('Held invoices (1)');
    expect(page.body).toMatch(/<tr><td>2026-11<\/td><td>currency_mismatch<\/td><td>1 record in EUR \(0\.0575 EUR\) in 2026-11, 2 records in EUR \(0\.1150 EUR\) in 2026-10<\/td>/);
  });

  it('shows reconcile runs with their drift report on the schedules page', async () => {
    const { key } = await createApiKey(db.pool, 'ops-drift', ['read']);
    const { session } = await signIn(key, '/ops');
    const { run } = await createOrGetActiveRun(db.pool, { mode: 'full', dryRun: true, objects: ['companies'], trigger: 'manual', estimate: {} });
    const companies = { read: 120, changed: 7, created: 1, deleted: 2, merged: 0, unknown: 3, invalid: 0, fields: { name: 7 }, actions: {}, samples: [] };
    await saveRunProgress(db.pool, run.id, { cursors: {}, report: { objects: { companies }, associations: {} }, requests: 2 });
    const page = await app.inject({ url: '/ops/schedules', headers: { cookie: `ops_session=${session}` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Reconcile runs and their drift reports');
    expect(page.body).toContain('full (dry run)');
    expect(page.body).toContain('companies: read 120, changed 7, created 1, deleted 2, merged 0, unknown 3, invalid 0');
  });
});
