import { getEventListeners } from 'node:events';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, startGatewayFixture } from '../support/hubspot.js';

let db: TestDatabase;
let fx: GatewayFixture;
let companyId: string;
// 5 requests per 500 ms window (10 s at time scale 0.05).
const BURST_LIMIT = 5;

beforeAll(async () => {
  db = await createTestDatabase();
  fx = await startGatewayFixture(db, { seedDemo: true, burstLimit: BURST_LIMIT, dailyLimit: 1_000_000 });
  companyId = (await fx.gateway().listObjects('companies', { limit: 1 })).results[0]!.id;
});
afterAll(async () => {
  await fx?.close();
  await db?.drop();
});

describe('a caller signal shared by many requests (one per reconcile run)', () => {
  it('keeps no abort listener once each request is done', async () => {
    const hubspot = fx.gateway();
    const run = new AbortController();
    for (let i = 0; i < 20; i += 1) await hubspot.getObject('companies', companyId, { signal: run.signal });
    // Each waiting request listens for the abort; a granted one must stop listening, or a long run
    // holds one closure per request (and Node warns: MaxListenersExceededWarning).
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('still aborts a request that waits for the budget', async () => {
    const hubspot = fx.gateway({ accountKey: `${fx.accountKey}-abort` });
    const run = new AbortController();
    const waiting = Promise.allSettled(Array.from({ length: BURST_LIMIT + 3 }, () => hubspot.getObject('companies', companyId, { signal: run.signal })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    run.abort(new Error('run stopped'));
    const outcomes = await waiting;
    expect(outcomes.filter((o) => o.status === 'rejected').length).toBeGreaterThan(0);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });
});
