import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { postSigned, propertyChange, send } from './signed.js';

/**
 * Webhook deliveries that used to be acknowledged and then stop all inbound processing, or lose
 * a whole batch for one event (security audit H2, M1, M7, L16).
 */

const SECRET = 'poison-test-secret';
const BODY_LIMIT = 64 * 1024;

describe('the webhook door', () => {
  let db: TestDatabase;
  let service: TestService;
  let url: string;

  const accepted = async (events: unknown[] | string) => {
    const response = await postSigned(url, typeof events === 'string' ? events : JSON.stringify(events), { secret: SECRET });
    expect(response.status).toBe(200);
    return response.json;
  };
  const companyName = async (id: number) =>
    (await db.pool.query<{ name: string | null }>('SELECT name FROM customers WHERE hubspot_company_id = $1', [String(id)])).rows[0]?.name;
  const outcomes = async (objectIds: number[]) =>
    (await db.pool.query<{ object_id: string | null; status: string; outcome: string }>(
      `SELECT object_id, status, outcome FROM webhook_inbox WHERE object_id = ANY($1::text[]) OR object_id IS NULL ORDER BY id`,
      [objectIds.map(String)],
    )).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { HUBSPOT_CLIENT_SECRET: SECRET, INBOX_WORKERS: '0', WEBHOOK_ALLOW_V1: 'true', WEBHOOK_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    url = `${await service.app.listen({ port: 0, host: '127.0.0.1' })}/api/v1/webhooks/hubspot`;
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('a NUL in a value, followed by a normal batch: both stored, both applied, nothing stuck (H2)', async () => {
    const now = Date.now();
    expect(await accepted([propertyChange(701, 'name', 'Acme\u0000Corp', now)])).toEqual({ received: 1 });
    expect(await accepted([propertyChange(702, 'name', 'Normal Corp', now)])).toEqual({ received: 1 });
    await service.work!.inbox.drain();
    expect(await companyName(701)).toBe('Acme\uFFFDCorp');
    expect(await companyName(702)).toBe('Normal Corp');
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_batches WHERE expanded_at IS NULL`);
    expect(rows[0]!.n).toBe(0);
  });

  it('unpaired surrogates, in values and in keys, are stored as U+FFFD', async () => {
    await accepted([propertyChange(703, 'name', 'half \ud800 emoji', Date.now(), { ['x\udc00']: 1 })]);
    await service.work!.inbox.drain();
    expect(await companyName(703)).toBe('half \uFFFD emoji');
    expect(await outcomes([703])).toMatchObject([{ status: 'applied', outcome: 'applied' }]);
  });

  it('a deeply nested event is recorded as invalid; its neighbour in the batch is applied', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const good = JSON.stringify(propertyChange(704, 'name', 'Neighbour Ltd', Date.now()));
    const bad = JSON.stringify(propertyChange(705, 'name', 'x', Date.now())).replace('"x"', deep);
    expect(await accepted(`[${bad},${good}]`)).toEqual({ received: 2 });
    await service.work!.inbox.drain();
    expect(await companyName(704)).toBe('Neighbour Ltd');
    const rows = (await outcomes([704])).map((r) => [r.object_id, r.status, r.outcome]);
    expect(rows).toEqual(expect.arrayContaining([['704', 'applied', 'applied'], [null, 'ignored', 'invalid_event']]));
  });

  it('one over-long field costs its own event only, not the 99 others of the batch (M7)', async () => {
    const now = Date.now();
    const events = Array.from({ length: 100 }, (_, i) => propertyChange(1000 + i, 'name', `Company ${i}`, now));
    events[42] = { ...events[42]!, propertyName: 'x'.repeat(600) };
    expect(await accepted(events)).toEqual({ received: 100 });
    await service.work!.inbox.drain();
    const { rows } = await db.pool.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM webhook_inbox WHERE (event->>'objectId')::bigint BETWEEN 1000 AND 1099 GROUP BY outcome ORDER BY outcome`,
    );
    expect(rows).toEqual([{ outcome: 'applied', n: 99 }, { outcome: 'invalid_event', n: 1 }]);
    expect(await companyName(1099)).toBe('Company 99');
  });

  it('v1, when allowed, is accepted once: the same body again is a replay; a v1 request with v3 headers half-stripped is refused (M1)', async () => {
    const event = propertyChange(706, 'name', 'Once Only', Date.now());
    const body = JSON.stringify([event]);
    expect((await postSigned(url, body, { secret: SECRET, v3: false })).status).toBe(200);
    const replay = await postSigned(url, body, { secret: SECRET, v3: false });
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ error: { code: 'webhook_replayed' } });
    // HubSpot's own retry of the event carries another attemptNumber: a different body.
    expect((await postSigned(url, JSON.stringify([{ ...event, attemptNumber: 1 }]), { secret: SECRET, v3: false })).status).toBe(200);
    // A v3 delivery cannot come back as v1 once its v3 headers are stripped.
    const delivered = JSON.stringify([propertyChange(708, 'name', 'Delivered', Date.now())]);
    expect((await postSigned(url, delivered, { secret: SECRET })).status).toBe(200);
    expect((await postSigned(url, delivered, { secret: SECRET, v3: false })).json).toMatchObject({ error: { code: 'webhook_replayed' } });
    const stripped = await postSigned(url, JSON.stringify([propertyChange(707, 'name', 'x', Date.now())]), {
      secret: SECRET,
      v3: false,
      headers: { 'x-hubspot-request-timestamp': String(Date.now()) },
    });
    expect(stripped.status).toBe(401);
  });

  it('a body over the webhook limit is refused while it is read, before anything else (L16)', async () => {
    const response = await send(url, `[${'"x",'.repeat(BODY_LIMIT / 4)}"x"]`, { 'content-type': 'application/json' });
    expect(response.status).toBe(413);
    expect(response.json).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});
