import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';

/** The API's answers to bad input (security audit L4/L16, fuzz report F2–F6, F11–F14). */

let db: TestDatabase;
let service: TestService;
let adminKey: string;
let readKey: string;
let writeKey: string;
let ban: string;
let address: string;

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { HUBSPOT_PROVISION_AT_START: 'false', OUTBOX_WORKERS: '0', INBOX_WORKERS: '0' });
  adminKey = (await createApiKey(db.pool, 'input-admin', ['admin'])).key;
  readKey = (await createApiKey(db.pool, 'input-read', ['read'])).key;
  writeKey = (await createApiKey(db.pool, 'input-write', ['write'])).key;
  ban = (await db.pool.query<{ ban: string }>(`INSERT INTO customers (ban, hubspot_company_id, name) VALUES (nextval('ban_seq')::text, '900001', 'Input GmbH') RETURNING ban`)).rows[0]!.ban;
  address = await service.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await service?.close();
  await db?.drop();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
type Answer = { status: number; code: string | undefined; body: Record<string, unknown> };
async function call(method: string, url: string, options: { key?: string; payload?: unknown; raw?: string | Buffer; contentType?: string } = {}): Promise<Answer> {
  const response = await service.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(options.key ? auth(options.key) : {}),
      ...(options.contentType ? { 'content-type': options.contentType } : options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.raw !== undefined ? { payload: options.raw } : options.payload !== undefined ? { payload: options.payload as object } : {}),
  });
  const body = response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
  return { status: response.statusCode, code: (body['error'] as { code?: string } | undefined)?.code, body };
}
const trunk = (overrides: Record<string, unknown>) => ({ name: 'Edge', ipAddresses: ['198.51.100.7'], concurrentCalls: 1, monthlyMinutes: 1, ...overrides });

/** A raw HTTP exchange (for what Node's parser refuses before Fastify sees it). */
function rawExchange(request: string): Promise<string> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(request));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}
const jsonOf = (response: string): unknown => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));

describe('authentication comes before the body', () => {
  it('answers 401/403, never 400, 413 or 415, to a caller without the right key (F12)', async () => {
    const url = `/api/v1/customers/${ban}/trunks`;
    expect((await call('POST', url, { raw: '{{{' })).status).toBe(401);
    expect((await call('POST', url, { raw: 'x'.repeat(2 * 1024 * 1024) })).status).toBe(401);
    expect((await call('POST', url, { raw: '<x/>', contentType: 'text/xml' })).status).toBe(401);
    expect((await call('POST', url, { key: readKey, raw: '{{{' })).status).toBe(403);
    expect((await call('POST', url, { key: adminKey, raw: '{{{' })).code).toBe('invalid_json');
  });

  it('lets any valid key ask who it is (L16)', async () => {
    const answer = await call('GET', '/api/v1/whoami', { key: writeKey });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: 'input-write', scopes: ['write'] });
  });
});

describe('values that cannot be stored', () => {
  it('answers 400 invalid_value for a NUL or an unpaired surrogate in any body field, path or query (F5, H2)', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/keys', { name: 'a\u0000b', scopes: ['read'] }],
      ['POST', '/api/v1/keys', { name: 'half \ud800', scopes: ['read'] }],
      ['POST', `/api/v1/customers/${ban}/trunks`, trunk({ name: 'a\u0000b' })],
      ['POST', `/api/v1/customers/${ban}/users`, { email: 'n@example.com', role: 'readonly', firstname: 'a\u0000b' }],
      ['GET', '/api/v1/audit?entityId=a%00b', undefined],
    ];
    for (const [method, url, payload] of cases) {
      const answer = await call(method, url, { key: adminKey, payload });
      expect([url, answer.status, answer.code]).toEqual([url, 400, 'invalid_value']);
    }
    const count = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM trunks`);
    expect(count.rows[0]!.n).toBe(0);
  });

  it('refuses a body that is not UTF-8 instead of storing replacement characters (F14)', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('","scopes":["read"]}')]);
    const answer = await call('POST', '/api/v1/keys', { key: adminKey, raw: bytes });
    expect([answer.status, answer.code]).toEqual([400, 'invalid_value']);
  });

  it('answers 400 sensitive_value for what the outgoing guard would refuse, numbers included (F6, M2)', async () => {
    const url = `/api/v1/customers/${ban}/trunks`;
    for (const body of [trunk({ monthlyMinutes: 4111111111111111 }), trunk({ name: 'Card 4111 1111 1111 1111 123' }), trunk({ name: '4111.1111.1111.1111' }), trunk({ partitionId: 'keywhk_AbCdEfGhIjKlMn' })]) {
      const answer = await call('POST', url, { key: adminKey, payload: body });
      expect([answer.status, answer.code]).toEqual([400, 'sensitive_value']);
      expect(JSON.stringify(answer.body)).not.toContain('4111');
    }
    expect((await call('POST', url, { key: adminKey, payload: trunk({ monthlyMinutes: 1_000_000 }) })).status).toBe(201);
  });
});

describe('client errors are 4xx with stable codes, never 500', () => {
  it('ids beyond the bigint range (F4)', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/audit?before=9223372036854775808'],
      ['GET', '/api/v1/conflicts?before=99999999999999999999999999'],
      ['GET', '/api/v1/dead-letters?after=9223372036854775808'],
      ['GET', '/api/v1/dead-letters/9223372036854775808'],
      ['POST', '/api/v1/dead-letters/9223372036854775808/retry'],
      ['DELETE', '/api/v1/keys/9223372036854775808'],
    ] as const) {
      const answer = await call(method, url, { key: adminKey });
      expect([url, answer.status, answer.code]).toEqual([url, 400, 'invalid_request']);
    }
    expect((await call('GET', '/api/v1/dead-letters/999999999999999999', { key: adminKey })).status).toBe(404);
  });

  it('a key name already in use: 409 key_name_taken (F2)', async () => {
    const answer = await call('POST', '/api/v1/keys', { key: adminKey, payload: { name: 'input-read', scopes: ['read'] } });
    expect([answer.status, answer.code]).toEqual([409, 'key_name_taken']);
  });

  it('a number already in use: 409 number_taken (F3)', async () => {
    const number = { number: '+1236900', type: 'local', capabilities: ['voice'], monthlyCost: 1 };
    expect((await call('POST', `/api/v1/customers/${ban}/numbers`, { key: adminKey, payload: number })).status).toBe(201);
    const again = await call('POST', `/api/v1/customers/${ban}/numbers`, { key: adminKey, payload: number });
    expect([again.status, again.code]).toEqual([409, 'number_taken']);
    expect(service.logText()).not.toContain('+1236900');
  });

  it('strict integers in query strings: no hex, spaces or exponents (F14)', async () => {
    for (const limit of ['0x10', '%2010', '1e2', '1.5', '-1']) {
      const answer = await call('GET', `/api/v1/audit?limit=${limit}`, { key: adminKey });
      expect([limit, answer.status]).toEqual([limit, 400]);
    }
    expect((await call('GET', '/api/v1/audit?limit=10', { key: adminKey })).status).toBe(200);
  });

  it('an email whose local part is longer than RFC 5321 allows (F7)', async () => {
    const answer = await call('POST', `/api/v1/customers/${ban}/users`, { key: adminKey, payload: { email: `${'a'.repeat(83)}@example.com`, role: 'readonly' } });
    expect([answer.status, answer.code]).toEqual([400, 'invalid_request']);
    expect((await call('POST', `/api/v1/customers/${ban}/users`, { key: adminKey, payload: { email: `${'a'.repeat(64)}@example.com`, role: 'readonly' } })).status).toBe(201);
  });

  it('text/plain on a JSON route: 415 (F14)', async () => {
    const answer = await call('POST', '/api/v1/keys', { key: adminKey, raw: '{"name":"t","scopes":["read"]}', contentType: 'text/plain' });
    expect([answer.status, answer.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('a known path with a method it does not have: 405 with Allow (F13)', async () => {
    const response = await service.app.inject({ method: 'TRACE', url: '/api/v1/whoami', headers: auth(adminKey) });
    expect(response.statusCode).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD');
    expect(response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
    expect((await service.app.inject({ method: 'DELETE', url: '/healthz' })).statusCode).toBe(405);
    expect((await service.app.inject({ method: 'GET', url: '/api/v1/nothing-here' })).json()).toMatchObject({ error: { code: 'route_not_found' } });
  });
});

describe('one error body for every error (F11)', () => {
  it('malformed percent-encoding and over-long path segments', async () => {
    const bad = await call('GET', '/api/v1/customers/%FF', { key: adminKey });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'bad_url' } } });
    const long = await call('GET', `/api/v1/customers/${'1'.repeat(150)}`, { key: adminKey });
    expect(long).toMatchObject({ status: 414, body: { error: { code: 'uri_too_long' } } });
  });

  it('headers over the limit (431) and requests Node cannot parse (400), answered on the socket', async () => {
    const big = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(9_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    const fits = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'a'.repeat(6_000)}\r\n\r\n`);
    expect(fits).toMatch(/^HTTP\/1\.1 200 /);
    expect(jsonOf(big)).toEqual({ error: { code: 'headers_too_large', message: expect.any(String) as string } });
    const garbage = await rawExchange('GET /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(jsonOf(garbage)).toMatchObject({ error: { code: 'bad_request' } });
  });
});

describe('bodies that two readers would read differently (fuzz report F14)', () => {
  it('refuses a key written twice, wherever it is, instead of keeping the last one', async () => {
    const escalation = await call('POST', '/api/v1/keys', { key: adminKey, raw: '{"name":"dup-scope","scopes":["read"],"scopes":["admin"]}' });
    expect(escalation).toMatchObject({ status: 400, code: 'duplicate_key', body: { error: { details: [{ path: 'body.scopes' }] } } });
    const escaped = await call('POST', '/api/v1/keys', { key: adminKey, raw: '{"name":"dup-escaped","scop\\u0065s":["read"],"scopes":["admin"]}' });
    expect(escaped).toMatchObject({ status: 400, code: 'duplicate_key' });
    const nested = await call('POST', `/api/v1/customers/${ban}/trunks`, { key: writeKey, raw: JSON.stringify(trunk({})).replace('"name":"Edge"', '"name":"Edge","name":"Edge 2"') });
    expect(nested).toMatchObject({ status: 400, code: 'duplicate_key' });
    const keys = await db.pool.query(`SELECT 1 FROM api_keys WHERE name LIKE 'dup-%'`);
    expect(keys.rowCount).toBe(0);
    // The same key in two different objects is not a repeat.
    const fine = await call('POST', '/api/v1/keys', { key: adminKey, raw: '{"name":"dup-none","scopes":["read"]}' });
    expect(fine.status).toBe(201);
  });

  it('refuses control characters and bidirectional overrides in names and free text (400 invalid_request)', async () => {
    for (const name of ['Edge\u202Egnp.exe', 'Edge\u0007', 'Edge\u2066x', 'Line\nbreak']) {
      const answer = await call('POST', `/api/v1/customers/${ban}/trunks`, { key: writeKey, payload: trunk({ name }) });
      expect(answer, JSON.stringify(name)).toMatchObject({ status: 400, code: 'invalid_request' });
    }
    const key = await call('POST', '/api/v1/keys', { key: adminKey, payload: { name: 'ops\u202Enimda', scopes: ['read'] } });
    expect(key).toMatchObject({ status: 400, code: 'invalid_request' });
    const accented = await call('POST', `/api/v1/customers/${ban}/trunks`, { key: writeKey, payload: trunk({ name: 'Zürich – Süd' }) });
    expect(accented.status).toBe(201);
  });
});
