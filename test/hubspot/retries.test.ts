import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { HubSpotError } from '../../src/hubspot/errors.js';
import type { HubSpotGateway } from '../../src/hubspot/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, recordingClock, type RecordingClock, startGatewayFixture } from '../support/hubspot.js';

let db: TestDatabase;
let fx: GatewayFixture;
let clock: RecordingClock;
let hubspot: HubSpotGateway;
let companyId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  fx = await startGatewayFixture(db, { seedDemo: true });
  companyId = (await fx.gateway().listObjects('companies', { limit: 1 })).results[0]!.id;
});
afterAll(async () => {
  await fx?.close();
  await db?.drop();
});
beforeEach(() => {
  fx.sim.clearFaults();
  fx.sim.clearRequestLog();
  clock = recordingClock();
  hubspot = fx.gateway({ clock, requestTimeoutMs: 500 });
});

const requests = (): Array<{ status: number; atMs: number }> => fx.sim.requestLog();

async function failure(promise: Promise<unknown>): Promise<HubSpotError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HubSpotError);
  return error as HubSpotError;
}

describe('429 by policy', () => {
  it('TEN_SECONDLY_ROLLING: waits for the window to roll, then succeeds', async () => {
    // A budget of its own: its only earlier grant is the request that got the 429.
    const isolated = fx.gateway({ clock, accountKey: `${fx.accountKey}-burst` });
    fx.sim.addFault({ kind: 'status', status: 429, policy: 'TEN_SECONDLY_ROLLING', count: 1 });
    const company = await isolated.getObject('companies', companyId);
    expect(company.id).toBe(companyId);
    const [first, second] = requests();
    expect([first?.status, second?.status]).toEqual([429, 200]);
    // The 429 marked the shared window as full: the retry waited for it, not for a back-off.
    expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(fx.burstWindowMs * 0.9);
    expect(clock.sleeps).toEqual([]);
  });

  it('DAILY: stops at once with the time until the reset, and later calls do not reach HubSpot', async () => {
    const isolated = fx.gateway({ clock, accountKey: `${fx.accountKey}-daily`, maxBudgetWaitMs: 50 });
    fx.sim.addFault({ kind: 'status', status: 429, policy: 'DAILY', count: 1 });
    const error = await failure(isolated.getObject('companies', companyId));
    expect(error.kind).toBe('rate_limited');
    expect(error.policy).toBe('DAILY');
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(86_400_000);
    expect(requests()).toHaveLength(1);
    const paused = await failure(isolated.getObject('companies', companyId, { priority: 'realtime' }));
    expect(paused.kind).toBe('rate_limited');
    expect(paused.status).toBe(0);
    expect(requests()).toHaveLength(1);
  });

  it('search secondly limit: short wait, then succeeds', async () => {
    fx.sim.addFault({ kind: 'status', status: 429, policy: 'SECONDLY', count: 1, pathPrefix: '/crm/v3/objects/companies/search' });
    const page = await hubspot.search('companies', { limit: 1 });
    expect(page.results).toHaveLength(1);
    expect(requests().map((r) => r.status)).toEqual([429, 200]);
  });
});

describe('server errors and transport faults', () => {
  it('retries 503 with exponential back-off and jitter', async () => {
    fx.sim.addFault({ kind: 'status', status: 503, count: 2 });
    await hubspot.getObject('companies', companyId);
    expect(requests().map((r) => r.status)).toEqual([503, 503, 200]);
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(500);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(1_000);
  });

  it('waits at least 2 s after 423 Locked', async () => {
    fx.sim.addFault({ kind: 'status', status: 423, count: 1 });
    await hubspot.getObject('companies', companyId);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(2_000);
  });

  it('honours Retry-After (seconds) on 477', async () => {
    fx.sim.addFault({ kind: 'status', status: 477, count: 1, retryAfterSeconds: 3 });
    await hubspot.getObject('companies', companyId);
    expect(clock.sleeps).toEqual([3_000]);
  });

  it('gives up after 3 attempts with a retryable error', async () => {
    fx.sim.addFault({ kind: 'status', status: 502, count: 10 });
    const error = await failure(hubspot.getObject('companies', companyId));
    expect(error.kind).toBe('retryable');
    expect(error.status).toBe(502);
    expect(error.attempts).toBe(3);
    expect(requests()).toHaveLength(3);
  });

  it('retries a timeout and a dropped connection', async () => {
    fx.sim.addFault({ kind: 'timeout', count: 1, latencyMs: 2_000 });
    fx.sim.addFault({ kind: 'drop', count: 1 });
    const company = await hubspot.getObject('companies', companyId);
    expect(company.id).toBe(companyId);
    expect(clock.sleeps).toHaveLength(2);
  });
});

describe('errors that are never retried', () => {
  it('400 validation: one request, the property named', async () => {
    const error = await failure(hubspot.createObject('companies', { properties: { name: 'X', no_such_property: '1' } }));
    expect(error.kind).toBe('validation');
    expect(error.status).toBe(400);
    expect(error.propertyNames).toContain('no_such_property');
    expect(requests()).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('404 not found', async () => {
    const error = await failure(hubspot.getObject('companies', '999999999'));
    expect(error.kind).toBe('not_found');
    expect(requests()).toHaveLength(1);
  });
});

describe('creates are never sent twice after an ambiguous failure (M4)', () => {
  const contactsNamed = async (firstname: string) => (await fx.gateway().listObjects('contacts', { limit: 100, properties: ['firstname'] })).results.filter((c) => c.properties['firstname'] === firstname).length;

  it('an answer lost after HubSpot created the record: one request, one record, a retryable error for the caller', async () => {
    fx.sim.addFault({ kind: 'drop-response', count: 1, method: 'POST', pathPrefix: '/crm/v3/objects/contacts' });
    const error = await failure(hubspot.createObject('contacts', { properties: { firstname: 'Ambiguous' } }));
    expect(error.kind).toBe('retryable');
    expect(requests()).toHaveLength(1);
    expect(await contactsNamed('Ambiguous')).toBe(1);
  });

  it('a 502 on a batch create is not re-sent; a 429 (refused before anything happened) is', async () => {
    fx.sim.addFault({ kind: 'status', status: 502, count: 1, pathPrefix: '/crm/v3/objects/contacts/batch/create' });
    const failed = await hubspot.batchCreate('contacts', [{ properties: { firstname: 'Once502' } }]);
    expect(failed.failures.map((f) => f.retryable)).toEqual([true]);
    expect(requests().map((r) => r.status)).toEqual([502]);
    fx.sim.clearRequestLog();
    fx.sim.addFault({ kind: 'status', status: 429, count: 1, pathPrefix: '/crm/v3/objects/contacts/batch/create' });
    const created = await hubspot.batchCreate('contacts', [{ properties: { firstname: 'After429' } }]);
    expect(created.failures).toEqual([]);
    expect(requests().map((r) => r.status)).toEqual([429, 201]);
  });
});
