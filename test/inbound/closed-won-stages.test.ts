import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSimulator, type RunningSimulator } from '../../src/simulator/server.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { simulatorClient } from '../support/sim-http.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'closed-won-secret';
const TOKEN = 'pat-closed-won-test';
/** HubSpot answers the pipelines read this slowly: a read made inside the event's transaction would hold it open that long. */
const PIPELINES_LATENCY_MS = 2_000;

/**
 * Audit L6: the closed-won stages (a HubSpot read of the deal pipelines) were read inside the inbox
 * transaction that applied a deal's stage, holding the deal's object lock and a pool connection
 * while HubSpot answered. Two observables, both from outside the service: the simulator's request
 * log (when each pipelines read arrived and was answered) against PostgreSQL's clock inside the
 * event's transaction (`processed_at` is `now()`, the transaction's start), and pg_stat_activity of
 * whoever holds the deal's object lock (idle in transaction means it waits for something else).
 */
describe('closed-won stages and the inbox transaction (audit L6)', () => {
  let sim: RunningSimulator;
  let db: TestDatabase;
  let service: TestService;
  const { uiEdit } = simulatorClient(() => sim, TOKEN);

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, timeScale: 0.01, enableControlApi: true, clientSecret: SECRET, burstLimit: 10_000 });
    sim.addFault({ kind: 'latency', latencyMs: PIPELINES_LATENCY_MS, pathPrefix: '/crm/v3/pipelines', fraction: 1 });
    db = await createTestDatabase();
    service = await startTestService(db, {
      HUBSPOT_CLIENT_SECRET: SECRET,
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_BASE_URL: sim.url,
      HUBSPOT_APP_ID: String(sim.appId),
      INBOX_POLL_INTERVAL_MS: '20',
    });
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    sim.configureWebhooks(`${base}/api/v1/webhooks/hubspot`, [
      { eventType: 'deal.creation' },
      { eventType: 'deal.propertyChange', propertyName: 'dealstage' },
    ]);
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await sim?.close();
    await db?.drop();
  });

  it('a deal won while HubSpot answers the pipelines slowly: no pipelines read while its event transaction is open, and the transaction never waits', async () => {
    // Whoever holds an advisory lock in this database (the object locks), sampled every 10 ms until the won stage is applied.
    const lockHolders: Array<{ pid: number; state: string; idleMs: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await db.pool.query<{ pid: number; state: string; idle_ms: number }>(
          `SELECT a.pid, a.state, extract(epoch FROM clock_timestamp() - a.state_change) * 1000 AS idle_ms
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        lockHolders.push(...rows.map((r) => ({ pid: r.pid, state: r.state, idleMs: Number(r.idle_ms) })));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const deal = String((await uiEdit({ objectType: 'deals', action: 'create', properties: { dealname: 'Slow Pipelines AG - SIP', pipeline: 'default', dealstage: 'contractsent' } }))['id']);
    const dealEvents = async () =>
      (await db.pool.query<{ type: string; status: string; started_ms: number | null }>(
        `SELECT subscription_type AS type, status, extract(epoch FROM processed_at) * 1000 AS started_ms FROM webhook_inbox WHERE object_id = $1 ORDER BY id`,
        [deal],
      )).rows;
    // The deal's creation is applied first (the stage change then finds it in the cache).
    await waitFor(async () => ((await dealEvents()).some((e) => e.status === 'applied') ? true : undefined), 30_000, 'the deal in the cache');

    await uiEdit({ objectType: 'deals', objectId: deal, properties: { dealstage: 'closedwon' } });
    // The stage is recognised as closed-won: its onboarding is queued in the event's transaction.
    await waitFor(async () => ((await db.pool.query(`SELECT 1 FROM onboardings WHERE hubspot_deal_id = $1`, [deal])).rowCount ? true : undefined), 30_000, 'the onboarding of the won deal');
    sampling = false;
    await sampler;

    // No transaction holding an advisory lock (an object lock) ever sat idle, waiting for something outside PostgreSQL...
    expect(lockHolders.filter((h) => h.state === 'idle in transaction' && h.idleMs > PIPELINES_LATENCY_MS / 4)).toEqual([]);
    const events = await dealEvents();
    expect(events.filter((e) => e.type === 'deal.propertyChange' && e.status === 'applied').length).toBeGreaterThan(0);
    expect(events.every((e) => e.started_ms !== null)).toBe(true);
    const firstTransactionStartMs = Math.min(...events.map((e) => Number(e.started_ms)));
    // ...and the stages were read (slowly) and answered before the first deal event's transaction began.
    const reads = sim.requestLog({ pathPrefix: '/crm/v3/pipelines' });
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.atMs + read.durationMs).toBeLessThanOrEqual(firstTransactionStartMs);
  }, 60_000);
});
