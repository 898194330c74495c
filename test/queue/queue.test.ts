import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claim, extendLeases, retryLater } from '../../src/queue/lease.js';
import { startListener } from '../../src/queue/listener.js';
import { createNotifier } from '../../src/queue/notifier.js';
import { INBOX_QUEUE, OUTBOX_QUEUE } from '../../src/queue/tables.js';
import { completeInboxEvent, type InboxDbRow } from '../../src/store/inbox.js';
import { createInboundHooks } from '../../src/sync/inbound/hooks.js';
import { startInboxWorkers } from '../../src/sync/inbound/inbox-worker.js';
import { captureLogger } from '../support/capture-log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { waitFor } from '../support/wait.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

let seq = 0;
/** One pending inbox event of its own object, as an expanded webhook batch leaves it. */
async function inboxEvent(): Promise<string> {
  seq++;
  const event = { eventId: seq, subscriptionId: 1, portalId: 1, occurredAt: 1_700_000_000_000 + seq, subscriptionType: 'ticket.creation', objectId: 900_000 + seq };
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO webhook_inbox (dedupe_key, subscription_type, object_id, occurred_at, event) VALUES ($1, 'ticket.creation', $2, now(), $3) RETURNING id`,
    [`queue-test-${seq}`, String(900_000 + seq), JSON.stringify(event)],
  );
  return String(rows[0]!.id);
}

/** An inbox attempt's error as the inbox records it (lib/errors.ts publicError). */
const BOOM = JSON.stringify({ code: 'hubspot_retryable', message: 'HubSpot batchRead failed: retryable (HTTP 502)' });

const expireLeases = () => db.pool.query(`UPDATE webhook_inbox SET locked_until = now() - interval '1 second' WHERE status = 'processing'`);

describe('queue mechanics shared by the inbox and the outbox', () => {
  it('counts an attempt at every claim, so an event whose worker dies every time ends as failed', async () => {
    const id = await inboxEvent();
    const maxAttempts = 3;
    // Three workers claim it and die before any outcome (their leases simply expire).
    for (let i = 1; i <= maxAttempts; i++) {
      const [row] = await claim<InboxDbRow>(db.pool, INBOX_QUEUE, { owner: `dead-${i}`, leaseMs: 60_000, limit: 100 });
      expect(row).toMatchObject({ id, attempts: i });
      await expireLeases();
    }
    const { logger } = captureLogger();
    const workers = startInboxWorkers({
      pool: db.pool, logger, hooks: createInboundHooks({}), reader: undefined, appId: undefined,
      workers: 0, batchSize: 100, pollIntervalMs: 1000, maxAttempts, alerts: { webhookUrl: undefined, webhookTimeoutMs: 1000 },
    });
    await workers.drain();
    await workers.stop();
    const { rows } = await db.pool.query(`SELECT status, attempts, last_error FROM webhook_inbox WHERE id = $1`, [id]);
    expect(rows[0]).toEqual({ status: 'failed', attempts: 4, last_error: 'claimed 4 times without an outcome (the worker stopped during every attempt)' });
  });

  it('computes the back-off in SQL: base × 2^(attempt − 1), capped, ±20 % jitter', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await inboxEvent());
    for (let attempt = 1; attempt <= 3; attempt++) {
      const rows = await claim<InboxDbRow>(db.pool, INBOX_QUEUE, { owner: 'w', leaseMs: 60_000, limit: 100 });
      expect(rows.map((r) => r.attempts)).toEqual(rows.map(() => attempt));
      for (const row of rows) await retryLater(db.pool, INBOX_QUEUE, row.id, 'w', BOOM, { baseMs: 10_000, maxMs: 25_000 });
      const delays = await db.pool.query<{ s: number }>(
        `SELECT extract(epoch FROM next_attempt_at - now())::float8 AS s FROM webhook_inbox WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      const expected = Math.min(25, 10 * 2 ** (attempt - 1));
      for (const { s } of delays.rows) {
        expect(s).toBeGreaterThan(expected * 0.8 - 1);
        expect(s).toBeLessThan(expected * 1.2 + 0.1);
      }
      // Jitter: the twenty rows do not all come back at the same moment.
      expect(new Set(delays.rows.map((r) => Math.round(r.s * 100))).size).toBeGreaterThan(10);
      await db.pool.query(`UPDATE webhook_inbox SET next_attempt_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
    }
    const errors = await db.pool.query(`SELECT DISTINCT status, last_error_code, last_error FROM webhook_inbox WHERE id = ANY($1::bigint[])`, [ids]);
    expect(errors.rows).toEqual([{ status: 'pending', last_error_code: 'hubspot_retryable', last_error: 'HubSpot batchRead failed: retryable (HTTP 502)' }]);
    await db.pool.query(`UPDATE webhook_inbox SET status = 'ignored' WHERE id = ANY($1::bigint[])`, [ids]);
  });

  it('fences every statement by the lease owner: a worker whose lease was taken over changes nothing', async () => {
    const id = await inboxEvent();
    await claim(db.pool, INBOX_QUEUE, { owner: 'slow', leaseMs: 60_000, limit: 1 });
    await expireLeases();
    await claim(db.pool, INBOX_QUEUE, { owner: 'fast', leaseMs: 60_000, limit: 1 });
    expect(await completeInboxEvent(db.pool, id, 'slow', 'applied', 'applied')).toBe(false);
    expect(await retryLater(db.pool, INBOX_QUEUE, id, 'slow', BOOM, { baseMs: 1000, maxMs: 1000 })).toBe(false);
    await extendLeases(db.pool, INBOX_QUEUE, [id], 'slow', 1);
    const before = await db.pool.query(`SELECT status, lease_owner, last_error, locked_until > now() + interval '30 seconds' AS leased FROM webhook_inbox WHERE id = $1`, [id]);
    expect(before.rows[0]).toEqual({ status: 'processing', lease_owner: 'fast', last_error: null, leased: true });
    expect(await completeInboxEvent(db.pool, id, 'fast', 'ignored', 'unknown_event')).toBe(true);
  });

  it('claims outbox rows of one object type with the same lease columns', async () => {
    await db.pool.query(`INSERT INTO outbox (object_type, record_key) VALUES ('trunk', 'queue-test-trunk'), ('company', 'queue-test-company')`);
    const rows = await claim<{ record_key: string; attempts: number }>(db.pool, OUTBOX_QUEUE, { owner: 'w', leaseMs: 60_000, limit: 10, readyParams: ['trunk'] });
    expect(rows.map((r) => [r.record_key, r.attempts])).toEqual([['queue-test-trunk', 1]]);
    await db.pool.query(`DELETE FROM outbox`);
  });
});

describe('LISTEN wake-up', () => {
  it('reconnects after its connection is killed, says so in the log and a metric, and wakes again', async () => {
    const { logger, lines } = captureLogger();
    const registry = new Registry();
    let wakes = 0;
    const listener = startListener({ pool: db.pool, channel: 'queue_test', logger, metrics: registry, onNotify: () => wakes++ });
    try {
      await waitFor(async () => listener.connected, 5_000, 'the first LISTEN');
      await db.pool.query(`NOTIFY queue_test`);
      await waitFor(async () => wakes === 1, 5_000, 'the first notification');
      // What a PostgreSQL restart does to the connection.
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN queue_test' AND datname = current_database()`);
      await waitFor(async () => lines().some((l) => l['msg'] === 'LISTEN connection re-established'), 10_000, 'the reconnect');
      expect(lines().some((l) => l['msg'] === 'LISTEN connection lost; reconnecting' && l['level'] === 'warn')).toBe(true);
      const metrics = await registry.getMetricsAsJSON();
      expect(metrics.find((m) => m.name === 'warp_hubspot_queue_listen_reconnects_total')?.values).toEqual([{ labels: { channel: 'queue_test' }, value: 1 }]);
      expect(metrics.find((m) => m.name === 'warp_hubspot_queue_listen_connected')?.values).toEqual([{ labels: { channel: 'queue_test' }, value: 1 }]);
      const afterReconnect = wakes; // the reconnect itself wakes the workers once
      expect(afterReconnect).toBe(2);
      await db.pool.query(`NOTIFY queue_test`);
      await waitFor(async () => wakes === afterReconnect + 1, 5_000, 'a notification after the reconnect');
    } finally {
      await listener.stop();
    }
    expect(listener.connected).toBe(false);
  });
});

describe('NOTIFY after commit', () => {
  it('wakes the listeners of every process, at most once per interval however often work is committed', async () => {
    const { logger } = captureLogger();
    let wakes = 0;
    const listener = startListener({ pool: db.pool, channel: 'queue_test_notifier', logger, onNotify: () => wakes++ });
    const notifier = createNotifier({ pool: db.pool, channel: 'queue_test_notifier', logger, minIntervalMs: 200 });
    try {
      await waitFor(async () => listener.connected, 5_000, 'the LISTEN');
      for (let i = 0; i < 50; i++) notifier.notify(); // 50 batches committed in a burst
      await waitFor(async () => wakes >= 1, 5_000, 'the wake-up');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(wakes).toBe(1);
      notifier.notify();
      await waitFor(async () => wakes === 2, 5_000, 'the next wake-up');
    } finally {
      await notifier.stop();
      await listener.stop();
    }
  });
});
