import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inboxStats } from '../../src/store/inbox.js';
import { checkExpansionLag } from '../../src/sync/inbound/batch-expansion.js';
import { cleanUpInbound } from '../../src/sync/inbound/retention.js';
import { captureLogger } from '../support/capture-log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { propertyChange } from './signed.js';

const DAY_MS = 24 * 60 * 60_000;

describe('webhook batch expansion', () => {
  let db: TestDatabase;
  let service: TestService;
  const store = async (body: string): Promise<string> =>
    String((await db.pool.query<{ id: string }>(`INSERT INTO webhook_batches (body, event_count) VALUES ($1, 1) RETURNING id`, [body])).rows[0]!.id);
  const batch = async (id: string) =>
    (await db.pool.query(`SELECT body IS NULL AS blanked, expanded_at IS NOT NULL AS expanded, quarantined_at IS NOT NULL AS quarantined, error FROM webhook_batches WHERE id = $1`, [id])).rows[0] as Record<string, unknown>;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { INBOX_WORKERS: '0' });
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('sets a batch PostgreSQL refuses aside with an alert, and expands the batches around it', async () => {
    // Any refusal of the database while one batch is expanded: here a trigger refuses one event type.
    await db.pool.query(`CREATE FUNCTION test_refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.subscription_type = 'poison.creation' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await db.pool.query(`CREATE TRIGGER test_refuse_poison BEFORE INSERT ON webhook_inbox FOR EACH ROW EXECUTE FUNCTION test_refuse_poison()`);
    const before = await store(JSON.stringify([propertyChange(501, 'name', 'Before', Date.now())]));
    const poison = await store(JSON.stringify([propertyChange(502, 'name', 'Poison', Date.now(), { subscriptionType: 'poison.creation' })]));
    const garbage = await store('{"not": "a batch"');
    const after = await store(JSON.stringify([propertyChange(504, 'name', 'After', Date.now())]));

    await service.work!.inbox.drain();

    expect(await batch(before)).toEqual({ blanked: true, expanded: true, quarantined: false, error: null });
    expect(await batch(after)).toEqual({ blanked: true, expanded: true, quarantined: false, error: null });
    expect(await batch(poison)).toEqual({ blanked: false, expanded: false, quarantined: true, error: 'refused by the test' });
    expect(await batch(garbage)).toMatchObject({ blanked: false, quarantined: true, error: expect.stringContaining('does not parse') as string });
    const events = await db.pool.query<{ object_id: string }>(`SELECT object_id FROM webhook_inbox ORDER BY object_id`);
    expect(events.rows.map((r) => r.object_id)).toEqual(['501', '504']);
    const alerts = await db.pool.query<{ kind: string; details: { batchIds: string[] } }>(`SELECT kind, details FROM ops_alerts WHERE kind = 'inbox_batch_quarantined'`);
    expect(alerts.rows.flatMap((a) => a.details.batchIds).sort()).toEqual([poison, garbage].sort());
    // Set aside for good: later rounds do not try them again; the status endpoint counts them.
    await service.work!.inbox.drain();
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ops_alerts WHERE kind = 'inbox_batch_quarantined'`)).rows[0]).toEqual({ n: alerts.rows.length });
    expect((await inboxStats(db.pool)).quarantinedBatches).toBe(2);
    await db.pool.query(`DROP TRIGGER test_refuse_poison ON webhook_inbox`);
  });

  it('alerts once when the oldest unexpanded batch is older than a minute', async () => {
    await db.pool.query(`INSERT INTO webhook_batches (body, event_count, received_at) VALUES ('[]', 0, now() - interval '2 minutes')`);
    const { logger } = captureLogger();
    const deps = { pool: db.pool, logger, alerts: { db: db.pool, logger, webhookUrl: undefined, webhookTimeoutMs: 1000 } };
    await checkExpansionLag(deps);
    await checkExpansionLag(deps);
    const alerts = await db.pool.query<{ details: { waitedSeconds: number } }>(`SELECT details FROM ops_alerts WHERE kind = 'inbox_expansion_stalled'`);
    expect(alerts.rows).toHaveLength(1);
    expect(alerts.rows[0]!.details.waitedSeconds).toBeGreaterThanOrEqual(119);
    await service.work!.inbox.drain();
  });
});

describe('retention of inbound data', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('deletes finished events and batches older than the retention period and expired replay guards, nothing else', async () => {
    const inbox = (key: string, status: string, processedDaysAgo: number | null) =>
      db.pool.query(
        `INSERT INTO webhook_inbox (dedupe_key, subscription_type, object_id, occurred_at, event, status, processed_at)
         VALUES ($1, 'company.propertyChange', '1', now(), '{}', $2, now() - make_interval(days => $3))`,
        [key, status, processedDaysAgo],
      );
    await inbox('old-applied', 'applied', 31);
    await inbox('old-ignored', 'ignored', 40);
    await inbox('old-failed', 'failed', 35);
    await inbox('recent-applied', 'applied', 2);
    await inbox('old-pending', 'pending', null);
    await db.pool.query(
      `INSERT INTO webhook_batches (body, event_count, received_at, expanded_at, quarantined_at) VALUES
         (NULL, 1, now() - interval '31 days', now() - interval '31 days', NULL),
         ('[]', 1, now() - interval '32 days', NULL, now() - interval '32 days'),
         ('[]', 1, now() - interval '33 days', NULL, NULL),
         (NULL, 1, now() - interval '1 day', now() - interval '1 day', NULL)`,
    );
    await db.pool.query(`INSERT INTO webhook_replay_guard (signature, seen_at) VALUES ('old', now() - interval '1 hour'), ('fresh', now())`);

    const replayGuard = { signedMs: 7 * 60_000, bodyHashMs: 30 * DAY_MS };
    const counts = await cleanUpInbound(db.pool, { retentionMs: 30 * DAY_MS, replayGuard }, new AbortController().signal);

    expect(counts).toEqual({ inboxEvents: 3, webhookBatches: 2, replayGuards: 1 });
    expect((await db.pool.query(`SELECT dedupe_key FROM webhook_inbox ORDER BY dedupe_key`)).rows).toEqual([{ dedupe_key: 'old-pending' }, { dedupe_key: 'recent-applied' }]);
    // An old batch that was never expanded is kept: its events are not in the inbox yet.
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM webhook_batches`)).rows[0]).toEqual({ n: 2 });
    expect((await db.pool.query(`SELECT signature FROM webhook_replay_guard`)).rows).toEqual([{ signature: 'fresh' }]);
  });
});
