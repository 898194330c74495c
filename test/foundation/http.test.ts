import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';

let db: TestDatabase;
let service: TestService;
let readKey: string;
let adminKey: string;

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { HTTP_BODY_LIMIT_BYTES: '2048' });
  readKey = (await createApiKey(db.pool, 'dashboard', ['read'])).key;
  adminKey = (await createApiKey(db.pool, 'ops', ['admin'])).key;
});
afterAll(async () => {
  await service?.close();
  await db?.drop();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('probes', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await service.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await service.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });

  it('serves Prometheus metrics including request counts', async () => {
    await service.app.inject('/healthz');
    const res = await service.app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('warp_hubspot_http_requests_total{method="GET",route="/healthz",status="200"}');
  });

  it('describes /api/v1 in OpenAPI, to callers with a key like every /api/v1 route', async () => {
    expect((await service.app.inject('/api/v1/openapi.json')).statusCode).toBe(401);
    const doc = (await service.app.inject({ url: '/api/v1/openapi.json', headers: auth(readKey) })).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/keys/{id}');
  });
});

describe('API keys and scopes', () => {
  it('refuses a call without a key with 401', async () => {
    const res = await service.app.inject('/api/v1/whoami');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) as string } });
  });

  it('refuses an unknown key and a malformed header with 401', async () => {
    expect((await service.app.inject({ url: '/api/v1/whoami', headers: auth('whk_nope') })).statusCode).toBe(401);
    expect((await service.app.inject({ url: '/api/v1/whoami', headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);
  });

  it('accepts a read key on a read route', async () => {
    const res = await service.app.inject({ url: '/api/v1/whoami', headers: auth(readKey) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'dashboard', scopes: ['read'] });
  });

  it('refuses a read key on a route that needs another scope with 403', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth(readKey), payload: { name: 'x', scopes: ['read'] } });
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('forbidden');
  });

  it('creates, lists and revokes keys with an admin key; a revoked key stops working', async () => {
    const created = await service.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth(adminKey), payload: { name: 'ci', scopes: ['write'] } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json<{ id: string; key: string }>();
    expect(key).toMatch(/^whk_/);
    const list = await service.app.inject({ url: '/api/v1/keys', headers: auth(adminKey) });
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect((await service.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: auth(adminKey) })).statusCode).toBe(200);
    expect((await service.app.inject({ url: '/api/v1/whoami', headers: auth(key) })).statusCode).toBe(401);
  });
});

describe('bad input', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...auth(adminKey), 'content-type': 'application/json' }, payload: '{"name":' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('invalid_json');
  });

  it('answers a wrong content type with 415', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...auth(adminKey), 'content-type': 'text/xml' }, payload: '<key/>' });
    expect(res.statusCode).toBe(415);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('unsupported_media_type');
  });

  it('answers an oversized body with 413', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth(adminKey), payload: { name: 'x'.repeat(5000), scopes: ['read'] } });
    expect(res.statusCode).toBe(413);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('payload_too_large');
  });

  it('answers a schema violation with 400 and the offending fields', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/keys', headers: auth(adminKey), payload: { name: '', scopes: ['root'] } });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { code: string; details: Array<{ path: string }> } }>();
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.map((d) => d.path)).toEqual(expect.arrayContaining(['body.name', 'body.scopes.0']));
  });

  it('answers an unknown route with 404 route_not_found', async () => {
    const res = await service.app.inject('/api/v1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('route_not_found');
  });
});

describe('logging', () => {
  it('never writes an email, a key, a query string or an authorization header into the log', async () => {
    await service.app.inject({ url: '/api/v1/keys?owner=john.doe@acme.com&phone=%2B13035551234', headers: { ...auth(adminKey), 'x-request-id': 'log-query' } });
    await service.app.inject({ url: '/api/v1/customers/jane.roe@acme.com', headers: auth(adminKey) });
    const text = service.logText();
    expect(text).not.toContain('john.doe');
    expect(text).not.toContain('owner=');
    expect(text).not.toContain('13035551234');
    expect(text).not.toContain('jane.roe');
    expect(text).toContain('/api/v1/customers/[email]');
    expect(text).not.toContain(adminKey);
    const line = service.logLines().find((l) => l['reqId'] === 'log-query' && l['msg'] === 'incoming request');
    expect(line?.['req']).toMatchObject({ path: '/api/v1/keys' });
  });
});
