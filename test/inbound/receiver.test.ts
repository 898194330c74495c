import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signV3 } from '../../src/hubspot/webhook-signature.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { postSigned, propertyChange, send } from './signed.js';

const SECRET = 'receiver-test-secret';

async function listen(service: TestService): Promise<string> {
  const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
  return `${address}/api/v1/webhooks/hubspot`;
}

describe('webhook receiver', () => {
  let db: TestDatabase;
  let service: TestService;
  let url: string;
  /** Events in the inbox once the stored request bodies are expanded (duplicates collapse there). */
  const inboxCount = async () => {
    await service.work!.inbox.drain();
    return Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM webhook_inbox')).rows[0]!.n);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { HUBSPOT_CLIENT_SECRET: SECRET, INBOX_WORKERS: '0' });
    url = await listen(service);
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('stores a v3-signed batch and acknowledges it', async () => {
    const body = JSON.stringify([propertyChange(101, 'name', 'Acme', Date.now()), propertyChange(101, 'domain', 'acme.test', Date.now())]);
    const response = await postSigned(url, body, { secret: SECRET });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ received: 2 });
    expect(await inboxCount()).toBe(2);
  });

  it('refuses a replay of the same signed request, and stores a retried event only once', async () => {
    const event = propertyChange(102, 'name', 'Beta', Date.now());
    const body = JSON.stringify([event]);
    const timestampMs = Date.now();
    const before = await inboxCount();
    expect((await postSigned(url, body, { secret: SECRET, timestampMs })).status).toBe(200);
    const replay = await postSigned(url, body, { secret: SECRET, timestampMs });
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ error: { code: 'webhook_replayed' } });
    // HubSpot's own retry: new timestamp, attemptNumber 1, same event.
    const retry = await postSigned(url, JSON.stringify([{ ...event, attemptNumber: 1 }]), { secret: SECRET });
    expect(retry.status).toBe(200);
    // A duplicate inside one batch collapses too.
    const twice = await postSigned(url, JSON.stringify([event, { ...event, attemptNumber: 2 }]), { secret: SECRET });
    expect(twice.status).toBe(200);
    expect(await inboxCount()).toBe(before + 1);
  });

  it('refuses forged, tampered, stale and future-dated requests without storing them', async () => {
    const before = await inboxCount();
    const body = JSON.stringify([propertyChange(103, 'name', 'Gamma', Date.now())]);
    const forged = await postSigned(url, body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(forged.json).toMatchObject({ error: { code: 'webhook_signature_invalid' } });

    const timestamp = String(Date.now());
    const tampered = await send(url, body.replace('Gamma', 'Delta'), {
      'content-type': 'application/json',
      'x-hubspot-signature-v3': signV3(SECRET, 'POST', url, body, timestamp),
      'x-hubspot-request-timestamp': timestamp,
    });
    expect(tampered.status).toBe(401);

    const stale = await postSigned(url, body, { secret: SECRET, timestampMs: Date.now() - 6 * 60_000 });
    expect(stale.status).toBe(401);
    expect(stale.json).toMatchObject({ error: { code: 'webhook_timestamp_invalid' } });
    const future = await postSigned(url, body, { secret: SECRET, timestampMs: Date.now() + 10 * 60_000 });
    expect(future.status).toBe(401);

    const unsigned = await send(url, body, { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    expect(await inboxCount()).toBe(before);
  });

  it('refuses what is not a batch with 400, after the signature is checked', async () => {
    const before = await inboxCount();
    const tooMany = JSON.stringify(Array.from({ length: 101 }, (_, i) => propertyChange(200 + i, 'name', 'x', Date.now())));
    const big = await postSigned(url, tooMany, { secret: SECRET });
    expect(big.status).toBe(400);
    expect(big.json).toMatchObject({ error: { code: 'webhook_body_invalid' } });
    expect((await postSigned(url, JSON.stringify({ hello: 'world' }), { secret: SECRET })).status).toBe(400);
    expect((await postSigned(url, JSON.stringify(['not', 'events']), { secret: SECRET })).status).toBe(400);
    expect((await postSigned(url, '[{', { secret: SECRET })).json).toMatchObject({ error: { code: 'invalid_json' } });
    // Unsigned, the same bytes are refused for the signature: the body is not parsed first (F12).
    const notJson = await send(url, '[{', { 'content-type': 'application/json' });
    expect(notJson.status).toBe(401);
    expect(await inboxCount()).toBe(before);
  });

  it('refuses v1-only requests by default (v1 carries no timestamp, so it could be replayed forever)', async () => {
    const body = JSON.stringify([propertyChange(104, 'name', 'Epsilon', Date.now())]);
    const v1Only = await postSigned(url, body, { secret: SECRET, v3: false });
    expect(v1Only.status).toBe(401);
    expect(v1Only.json).toMatchObject({ error: { code: 'webhook_signature_invalid' } });
  });

  it('accepts a batch with an event of another object at a per-object endpoint, and processes it', async () => {
    const response = await postSigned(`${url}/contact`, JSON.stringify([propertyChange(105, 'name', 'Stray Corp', Date.now())]), { secret: SECRET });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ received: 1 });
    expect(service.logText()).toContain('events of another object type at a per-object webhook endpoint');
    await service.work!.inbox.drain();
    const { rows } = await db.pool.query<{ name: string }>(`SELECT name FROM customers WHERE hubspot_company_id = '105'`);
    expect(rows[0]?.name).toBe('Stray Corp');
  });
});

describe('webhook receiver behind a proxy, with an allow-list and v3 required', () => {
  let db: TestDatabase;
  let service: TestService;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, {
      HUBSPOT_CLIENT_SECRET: SECRET,
      INBOX_WORKERS: '0',
      WEBHOOK_PUBLIC_BASE_URL: 'https://hooks.example.com',
      WEBHOOK_ALLOW_V1: 'false',
      WEBHOOK_ALLOWED_CIDRS: '54.174.0.0/16, 2001:db8::/32',
      WEBHOOK_TRUSTED_PROXIES: '127.0.0.1/32',
    });
    url = await listen(service);
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('verifies v3 over the public URL with the decode rule and the forwarded client address', async () => {
    const query = '?portal=1%3A2&note=a%20b';
    const body = JSON.stringify([propertyChange(301, 'name', 'Zeta', Date.now())]);
    const signedUrl = `https://hooks.example.com/api/v1/webhooks/hubspot${query}`;
    const ok = await postSigned(url + query, body, { secret: SECRET, signedUrl, headers: { 'x-forwarded-for': '54.174.10.20' } });
    expect(ok.status).toBe(200);

    const outside = await postSigned(url + query, body, { secret: SECRET, signedUrl, headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(outside.status).toBe(403);
    expect(outside.json).toMatchObject({ error: { code: 'webhook_source_refused' } });

    // From the proxy without a client address, or naming only proxies: no known client, refused.
    expect((await postSigned(url + query, body, { secret: SECRET, signedUrl })).status).toBe(403);
    expect((await postSigned(url + query, body, { secret: SECRET, signedUrl, headers: { 'x-forwarded-for': '127.0.0.1' } })).status).toBe(403);

    const internalUrl = await postSigned(url, body, { secret: SECRET, headers: { 'x-forwarded-for': '54.174.10.20' } });
    expect(internalUrl.status).toBe(401);
    const v1Only = await postSigned(url, body, { secret: SECRET, v3: false, headers: { 'x-forwarded-for': '54.174.10.20' } });
    expect(v1Only.status).toBe(401);
  });
});
