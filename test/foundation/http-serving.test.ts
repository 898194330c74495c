import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { insertDeadLetter } from '../../src/store/dead-letters.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';

/** How the service serves: deadlines, the metrics token, TLS, and what read keys see of failures. */

const METRICS_TOKEN = 'metrics-token-0123456789';
let db: TestDatabase;
let service: TestService;
let address: string;

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, {
    HTTP_REQUEST_TIMEOUT_MS: '1000',
    METRICS_TOKEN,
    HUBSPOT_CLIENT_SECRET: 'serving-secret',
    HUBSPOT_PROVISION_AT_START: 'false',
    INBOX_WORKERS: '0',
    OUTBOX_WORKERS: '0',
  });
  address = await service.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await service?.close();
  await db?.drop();
});

describe('request deadlines (F9)', () => {
  it('closes a connection whose body never finishes with 408, in seconds rather than minutes', async () => {
    const { hostname, port } = new URL(address);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => {
        socket.write('POST /api/v1/webhooks/hubspot HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"event"');
      });
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"request_timeout"');
  });
});

describe('/metrics', () => {
  it('needs the bearer token when METRICS_TOKEN is set (L7)', async () => {
    expect((await service.app.inject('/metrics')).statusCode).toBe(401);
    expect((await service.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
    const ok = await service.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('warp_hubspot_inbox_depth');
  });
});

describe('what a read key sees of failures (L3, F15)', () => {
  it('sync jobs and inbox errors: a stable code and a scrubbed message, never the database text', async () => {
    await db.pool.query(`INSERT INTO sync_jobs (kind, status, error) VALUES ('import', 'failed', 'duplicate key value violates unique constraint "users_user_id_key"')`);
    const readKey = (await createApiKey(db.pool, 'status-read', ['read'])).key;
    const status = await service.app.inject({ url: '/api/v1/sync/customers/status', headers: { authorization: `Bearer ${readKey}` } });
    expect(status.statusCode).toBe(200);
    expect(status.body).not.toContain('users_user_id_key');
    expect(status.json<{ jobs: Array<{ error: unknown }> }>().jobs[0]!.error).toEqual({ code: 'internal_error', message: expect.any(String) as string });
  });

  it('dead letters: payloads and HubSpot messages only for keys that may write', async () => {
    const letter = await insertDeadLetter(db.pool, {
      objectType: 'number',
      recordKey: '+13035550100',
      payload: { e911_address: '1 Main St, Anna Schmidt', cnam: 'ANNA SCHMIDT' },
      errors: [{ at: new Date().toISOString(), message: 'VALIDATION_ERROR: "anna@example.com" is not valid for e911_address', status: 400 }],
    });
    const readKey = (await createApiKey(db.pool, 'dl-read', ['read'])).key;
    const writeKey = (await createApiKey(db.pool, 'dl-write', ['read', 'write'])).key;
    const asRead = await service.app.inject({ url: `/api/v1/dead-letters/${letter.id}`, headers: { authorization: `Bearer ${readKey}` } });
    expect(asRead.json()).toMatchObject({ payload: null, errors: [{ code: 'hubspot_validation', status: 400 }] });
    expect(asRead.body).not.toContain('Anna');
    expect(asRead.body).not.toContain('anna@example.com');
    const asWrite = await service.app.inject({ url: `/api/v1/dead-letters/${letter.id}`, headers: { authorization: `Bearer ${writeKey}` } });
    expect(asWrite.json()).toMatchObject({ payload: { cnam: 'ANNA SCHMIDT' }, errors: [{ code: 'hubspot_validation', message: expect.stringContaining('[email]') as string }] });
  });
});

describe('HTTPS', () => {
  let dir: string;
  let tlsService: TestService;
  let tlsDb: TestDatabase;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warp-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    tlsDb = await createTestDatabase();
    tlsService = await startTestService(tlsDb, {
      TLS_CERT_FILE: path.join(dir, 'cert.pem'),
      TLS_KEY_FILE: path.join(dir, 'key.pem'),
      HUBSPOT_PROVISION_AT_START: 'false',
      INBOX_WORKERS: '0',
      OUTBOX_WORKERS: '0',
    });
  });
  afterAll(async () => {
    await tlsService?.close();
    await tlsDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS itself when TLS_CERT_FILE and TLS_KEY_FILE are set, and no plain HTTP', async () => {
    const tlsAddress = await tlsService.app.listen({ port: 0, host: '127.0.0.1' });
    expect(tlsAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(path.join(dir, 'cert.pem'));
    const body = await new Promise<string>((resolve, reject) => {
      https.get(`${tlsAddress}/healthz`, { ca }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(`${response.statusCode} ${text}`));
      }).on('error', reject);
    });
    expect(body).toBe('200 {"status":"ok"}');
    await expect(fetch(tlsAddress.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
  });
});
