import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/store/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { callRecord, createUsageCustomer, type UsageCustomer } from './fixtures.js';

let db: TestDatabase;
let service: TestService;
let usageKey: string;
let writeKey: string;
let readKey: string;
let customer: UsageCustomer;

beforeAll(async () => {
  db = await createTestDatabase();
  service = await startTestService(db, { INBOX_WORKERS: '0', OUTBOX_WORKERS: '0', HUBSPOT_PROVISION_AT_START: 'false' });
  usageKey = (await createApiKey(db.pool, 'switch', ['usage:write'])).key;
  writeKey = (await createApiKey(db.pool, 'crm', ['write'])).key;
  readKey = (await createApiKey(db.pool, 'dashboard', ['read'])).key;
  customer = await createUsageCustomer(db.pool, 2, 10);
});
afterAll(async () => {
  await service?.close();
  await db?.drop();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const postCalls = (records: unknown[], key = usageKey) =>
  service.app.inject({ method: 'POST', url: '/api/v1/usage/calls', headers: auth(key), payload: { records } });

describe('access', () => {
  it('lets a usage:write key post usage but not change trunks, and a write or read key not post usage', async () => {
    const trunk = customer.trunks[0]!;
    expect((await postCalls([callRecord(trunk.trunkId)])).statusCode).toBe(200);
    expect((await postCalls([callRecord(trunk.trunkId)], writeKey)).statusCode).toBe(403);
    expect((await postCalls([callRecord(trunk.trunkId)], readKey)).statusCode).toBe(403);
    const patch = await service.app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${customer.ban}/trunks/${trunk.trunkId}`,
      headers: auth(usageKey),
      payload: { name: 'renamed' },
    });
    expect(patch.statusCode).toBe(403);
  });
});

describe('outcomes', () => {
  it('accepts once, then counts duplicates, corrections and stale versions', async () => {
    const trunkId = customer.trunks[0]!.trunkId;
    const records = [callRecord(trunkId), callRecord(trunkId), callRecord(trunkId)];
    expect((await postCalls(records)).json()).toEqual({ accepted: 3, duplicates: 0, corrected: 0, stale: 0, rejected: [] });
    expect((await postCalls(records)).json()).toEqual({ accepted: 0, duplicates: 3, corrected: 0, stale: 0, rejected: [] });
    const v2 = { ...records[0], version: 2, cost: '0.0300' };
    expect((await postCalls([v2])).json()).toMatchObject({ accepted: 0, corrected: 1 });
    expect((await postCalls([records[0]])).json()).toMatchObject({ accepted: 0, duplicates: 0, corrected: 0, stale: 1 });
  });

  it('rejects bad records one by one with stable reasons and keeps the others', async () => {
    const trunkId = customer.trunks[1]!.trunkId;
    const now = Date.now();
    const good = callRecord(trunkId);
    const { callId: _omitted, ...noId } = callRecord(trunkId);
    const bad = [
      noId,
      callRecord('trunk_doesnotexist'),
      callRecord(trunkId, { billableSeconds: -5 }),
      callRecord(trunkId, { answeredAt: new Date(now - 4_000_000).toISOString() }),
      callRecord(trunkId, { cost: 0.5 }),
      callRecord(trunkId, { cost: '1e-3' }),
      callRecord(trunkId, { startedAt: new Date(now + 2 * 3_600_000).toISOString(), answeredAt: null, billableSeconds: 0, endedAt: new Date(now + 2 * 3_600_000).toISOString() }),
      callRecord(trunkId, { startedAt: '2020-01-01T00:00:00Z', answeredAt: null, billableSeconds: 0, endedAt: '2020-01-01T00:01:00Z' }),
      'not an object',
    ];
    const res = await postCalls([good, ...bad]);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ accepted: number; rejected: Array<{ index: number; id: string | null; errors: Array<{ code: string }> }> }>();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.errors[0]!.code])).toEqual([
      [1, 'missing_field'],
      [2, 'unknown_trunk'],
      [3, 'negative_duration'],
      [4, 'answered_before_start'],
      [5, 'invalid_cost'],
      [6, 'invalid_cost'],
      [7, 'in_future'],
      [8, 'too_old'],
      [9, 'invalid_record'],
    ]);
    expect(body.rejected[1]!.id).toBe(bad[1]!['callId' as never]);
  });

  it('rejects a record whose id looks like a card number or an API key on its own, without echoing it', async () => {
    const trunkId = customer.trunks[1]!.trunkId;
    // Card-like amounts and E.164 numbers are values of a fixed shape, not free text: accepted.
    const records = [
      callRecord(trunkId, { callId: 'call-4111-1111-1111-1111' }),
      callRecord(trunkId, { callId: 'whk_AbCdEfGhIjKlMnOp' }),
      callRecord(trunkId, { cost: '411111111111.1111', from: '+441111111111111' }),
    ];
    const res = await postCalls(records);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ accepted: number; rejected: Array<{ index: number; id: string | null; errors: Array<{ code: string; field: string }> }> }>();
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.id, r.errors[0]!.code, r.errors[0]!.field])).toEqual([
      [0, null, 'sensitive_value', 'callId'],
      [1, null, 'sensitive_value', 'callId'],
    ]);
    expect(res.body).not.toContain('4111-1111');
    expect(res.body).not.toContain('whk_');
  });

  it('refuses the request when a record holds a NUL or an unpaired surrogate, anywhere', async () => {
    const trunkId = customer.trunks[1]!.trunkId;
    for (const record of [callRecord(trunkId, { callId: 'a\u0000b' }), { ...callRecord(trunkId), extra: 'half \ud800' }]) {
      const res = await postCalls([callRecord(trunkId), record]);
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([400, 'invalid_value']);
    }
    // The same characters, escaped as text, are ordinary: `\\u0000` is a backslash and "u0000".
    expect((await postCalls([callRecord(trunkId, { callId: 'a\\u0000b' })])).json()).toMatchObject({ accepted: 1 });
  });

  it('answers 400 when nothing is usable, 413 over 10,000 records, 400 for malformed JSON', async () => {
    const all = await postCalls([callRecord('trunk_nope'), { callId: 'x' }]);
    expect(all.statusCode).toBe(400);
    expect(all.json()).toMatchObject({ error: { code: 'no_usable_records' } });
    expect((await postCalls([])).statusCode).toBe(400);
    const many = Array.from({ length: 10_001 }, () => ({}));
    const tooMany = await postCalls(many);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ error: { code: 'too_many_records' } });
    const malformed = await service.app.inject({
      method: 'POST',
      url: '/api/v1/usage/calls',
      headers: { ...auth(usageKey), 'content-type': 'application/json' },
      payload: '{"records": [',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('accepts gzip bodies and refuses corrupt ones', async () => {
    const records = [callRecord(customer.trunks[0]!.trunkId)];
    const gz = await service.app.inject({
      method: 'POST',
      url: '/api/v1/usage/calls',
      headers: { ...auth(usageKey), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify({ records })),
    });
    expect(gz.statusCode).toBe(200);
    expect(gz.json()).toMatchObject({ accepted: 1 });
    const corrupt = await service.app.inject({
      method: 'POST',
      url: '/api/v1/usage/calls',
      headers: { ...auth(usageKey), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: Buffer.from('definitely not gzip'),
    });
    expect(corrupt.statusCode).toBe(400);
    expect(corrupt.json()).toMatchObject({ error: { code: 'invalid_gzip' } });
  });
});
