import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/pool.js';
import { valueOf } from '../../src/warp/result.js';
import { createTrunk, setTrunkStatus } from '../../src/warp/trunks.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { waitFor } from '../support/wait.js';
import { postSigned, propertyChange } from './signed.js';

const SECRET = 'processing-test-secret';
const APP_ID = '7654321';

describe('inbox processing', () => {
  let db: TestDatabase;
  let service: TestService;
  let url: string;

  const post = async (events: unknown[]) => {
    const response = await postSigned(url, JSON.stringify(events), { secret: SECRET });
    expect(response.status).toBe(200);
  };
  const settle = async () => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM webhook_inbox WHERE status IN ('pending', 'processing'))
              + (SELECT count(*) FROM webhook_batches WHERE expanded_at IS NULL) AS n`,
      );
      if (Number(rows[0]!.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('inbox did not drain');
  };
  const customer = async (hubspotId: string) =>
    (await db.pool.query<Record<string, unknown>>('SELECT * FROM customers WHERE hubspot_company_id = $1', [hubspotId])).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { HUBSPOT_CLIENT_SECRET: SECRET, HUBSPOT_APP_ID: APP_ID, INBOX_WORKERS: '4', INBOX_POLL_INTERVAL_MS: '20', INBOX_BATCH_SIZE: '7' });
    url = `${await service.app.listen({ port: 0, host: '127.0.0.1' })}/api/v1/webhooks/hubspot`;
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('a duplicated and reordered event storm ends in the state of the newest changes', async () => {
    const t0 = Date.now() - 60_000;
    const events = [];
    // 3 companies x 2 properties x 20 successive values; the last value of each wins.
    for (const id of [501, 502, 503]) {
      for (let v = 0; v < 20; v++) {
        events.push(propertyChange(id, 'name', `Name ${id} v${v}`, t0 + v * 10));
        events.push(propertyChange(id, 'warp_credit_limit', String(1000 + v), t0 + v * 10 + 1));
      }
    }
    const storm = [...events, ...events.slice(0, 40).map((e) => ({ ...e, attemptNumber: 1 }))];
    for (let i = storm.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [storm[i], storm[j]] = [storm[j]!, storm[i]!];
    }
    const batches = [];
    for (let i = 0; i < storm.length; i += 25) batches.push(storm.slice(i, i + 25));
    await Promise.all(batches.map((batch) => post(batch)));
    await settle();
    for (const id of [501, 502, 503]) {
      const row = await customer(String(id));
      expect(row).toMatchObject({ name: `Name ${id} v19`, credit_limit: '1019.00' });
    }
    const { rows } = await db.pool.query<{ outcome: string; n: number }>(`SELECT outcome, count(*)::int AS n FROM webhook_inbox GROUP BY outcome`);
    const byOutcome = Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
    // Every distinct event stored once (duplicates collapsed at the door), none failed.
    expect(Object.values(byOutcome).reduce((a, b) => a + b, 0)).toBe(events.length);
    expect(byOutcome['failed']).toBeUndefined();
  });

  it('records a HubSpot edit of a WARP-owned field as a conflict and keeps the WARP value', async () => {
    await post([propertyChange(601, 'name', 'Owned Co', Date.now() - 5000)]);
    await settle();
    await db.pool.query(`UPDATE customers SET status = 'active', ban = '777001' WHERE hubspot_company_id = '601'`);
    await post([propertyChange(601, 'warp_status', 'churned', Date.now() - 1000)]);
    await settle();
    expect(await customer('601')).toMatchObject({ status: 'active', ban: '777001' });
    const { rows } = await db.pool.query(`SELECT object_type, object_id, property, owner, hubspot_value, warp_value, hubspot_source, resolution FROM sync_conflicts`);
    expect(rows).toEqual([
      {
        object_type: 'company', object_id: '601', property: 'warp_status', owner: 'warp', hubspot_value: 'churned', warp_value: 'active',
        hubspot_source: 'CRM_UI userId:1000001', resolution: 'owner_value_written_back',
      },
    ]);
  });

  it('drops echoes of our own writes, records unknown objects and properties, and handles delete/restore in time order', async () => {
    const t = Date.now() - 10_000;
    await post([
      propertyChange(701, 'name', 'Echo Co', t),
      propertyChange(701, 'industry', 'ours', t + 1, { changeSource: 'INTEGRATION', sourceId: APP_ID }),
      propertyChange(701, 'favourite_colour', 'blue', t + 2),
      { ...propertyChange(801, 'price', 'x', t + 3), subscriptionType: 'product.propertyChange' },
      // Deletion arrives after a restore that happened later: the restore wins.
      { ...propertyChange(701, 'x', '', t + 20), subscriptionType: 'company.restore', propertyName: undefined, propertyValue: undefined },
      { ...propertyChange(701, 'x', '', t + 10), subscriptionType: 'company.deletion', propertyName: undefined, propertyValue: undefined },
    ]);
    await settle();
    const row = await customer('701');
    expect(row).toMatchObject({ name: 'Echo Co', industry: null, deleted_at: null });
    const { rows } = await db.pool.query<{ subscription_type: string; outcome: string }>(
      `SELECT subscription_type, outcome FROM webhook_inbox WHERE object_id IN ('701', '801') ORDER BY occurred_at`,
    );
    expect(rows.map((r) => `${r.subscription_type}:${r.outcome}`)).toEqual([
      'company.propertyChange:applied',
      'company.propertyChange:echo',
      'company.propertyChange:unknown_property',
      'product.propertyChange:unknown_object',
      'company.deletion:applied',
      'company.restore:applied',
    ]);
  });

  it('keeps PII values out of the append-only audit trail', async () => {
    const t = Date.now() - 3000;
    await post([
      { ...propertyChange(901, 'email', 'jane@example.com', t), subscriptionType: 'contact.propertyChange' },
      { ...propertyChange(901, 'lastname', 'Doe', t + 1), subscriptionType: 'contact.propertyChange' },
      { ...propertyChange(901, 'warp_2fa_enabled', 'true', t + 2), subscriptionType: 'contact.propertyChange' },
    ]);
    await settle();
    const { rows } = await db.pool.query<{ changes: unknown; text: string }>(`SELECT changes, changes::text AS text FROM audit_log WHERE entity_type = 'user' ORDER BY id`);
    expect(rows.map((r) => r.changes)).toEqual([{ email: { changed: true } }, { lastname: { changed: true } }]);
    expect(rows.map((r) => r.text).join()).not.toMatch(/jane@|Doe/);
    // warp_2fa_enabled is WARP's: a conflict, not a change.
    expect((await db.pool.query(`SELECT property FROM sync_conflicts WHERE object_id = '901'`)).rows).toEqual([{ property: 'warp_2fa_enabled' }]);
    await expect(db.pool.query(`UPDATE audit_log SET source = 'x'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
  });

  it('a credit limit at or below spend limits the trunks; a higher limit restores only those', async () => {
    const t = Date.now() - 20_000;
    await post([propertyChange(1001, 'name', 'Spender Inc', t)]);
    await settle();
    const customerId = String((await customer('1001'))!['id']);
    // An onboarded customer (it has a BAN) that has spent 500 this month.
    const { ban } = (await db.pool.query<{ ban: string }>(`UPDATE customers SET mtd_spend = 500, ban = nextval('ban_seq')::text WHERE id = $1 RETURNING ban`, [customerId])).rows[0]!;
    const [first, second] = await withTransaction(db.pool, async (tx) => {
      const a = valueOf(await createTrunk({ tx }, ban, { name: 'A', ipAddresses: [], concurrentCalls: 5, monthlyMinutes: 1000 }));
      const b = valueOf(await createTrunk({ tx }, ban, { name: 'B', ipAddresses: [], concurrentCalls: 5, monthlyMinutes: 1000 }));
      await setTrunkStatus(tx, [b.trunkId], 'suspended', 'fraud_review');
      return [a, b];
    });
    const trunkStates = async () =>
      (await db.pool.query<{ trunk_id: string; status: string; status_reason: string | null }>(
        `SELECT trunk_id, status, status_reason FROM trunks WHERE customer_id = $1 ORDER BY id`,
        [customerId],
      )).rows.map((r) => [r.status, r.status_reason]);

    await post([propertyChange(1001, 'warp_credit_limit', '400', t + 1)]);
    await settle();
    expect(await trunkStates()).toEqual([['limited', 'credit_limit_reached'], ['suspended', 'fraud_review']]);

    await post([propertyChange(1001, 'warp_credit_limit', '1000', t + 2)]);
    await settle();
    expect(await trunkStates()).toEqual([['active', null], ['suspended', 'fraud_review']]);
    expect(first.trunkId).not.toBe(second.trunkId);
    const events = await db.pool.query(`SELECT fields FROM account_events WHERE customer_id = $1 AND kind = 'credit_limit_changed' ORDER BY id`, [customerId]);
    expect(events.rows.map((r: { fields: Record<string, unknown> }) => [r.fields['trunks_limited'], r.fields['trunks_restored']])).toEqual([[1, 0], [0, 1]]);
  });

  it('protects the WARP-owned roll-ups like every WARP field, and compares numbers by value', async () => {
    const t = Date.now() - 25_000;
    // A company that exists in the (bundled) HubSpot, so WARP's value can be written back to it.
    const hubspotId = (await service.hubspot.gateway.createObject('companies', { properties: { name: 'Rollup Co' } })).id;
    const id = Number(hubspotId);
    await post([propertyChange(id, 'name', 'Rollup Co', t)]);
    await settle();
    const customerId = String((await customer(hubspotId))!['id']);
    await db.pool.query(`UPDATE customers SET ban = '771101' WHERE id = $1`, [customerId]);
    valueOf(await createTrunk({ pool: db.pool }, '771101', { name: 'R', ipAddresses: [], concurrentCalls: 5, monthlyMinutes: 1000 }));
    await db.pool.query(`DELETE FROM outbox`);
    // The cache keeps mtd_spend as numeric(14,2): '0.00'. HubSpot's '0' is the same value.
    await post([
      propertyChange(id, 'warp_trunk_count', '99', t + 1),
      propertyChange(id, 'warp_number_count', '0', t + 2),
      propertyChange(id, 'warp_mtd_spend', '0', t + 3),
    ]);
    await settle();
    const outcomes = await db.pool.query<{ property: string; outcome: string }>(
      `SELECT event->>'propertyName' AS property, outcome FROM webhook_inbox WHERE object_id = $1 AND event->>'propertyName' <> 'name' ORDER BY occurred_at`,
      [hubspotId],
    );
    expect(outcomes.rows).toEqual([
      { property: 'warp_trunk_count', outcome: 'conflict' },
      { property: 'warp_number_count', outcome: 'no_change' },
      { property: 'warp_mtd_spend', outcome: 'no_change' },
    ]);
    const conflicts = await db.pool.query(`SELECT property, owner, hubspot_value, warp_value, resolution FROM sync_conflicts WHERE object_id = $1`, [hubspotId]);
    expect(conflicts.rows).toEqual([{ property: 'warp_trunk_count', owner: 'warp', hubspot_value: '99', warp_value: '1', resolution: 'owner_value_written_back' }]);
    // WARP's count is written back: the (bundled) HubSpot ends with 1.
    const inHubSpot = async () =>
      (await service.hubspot.gateway.getObject('companies', hubspotId, { properties: ['warp_trunk_count'] })).properties['warp_trunk_count'];
    await waitFor(async () => ((await inHubSpot()) === '1' ? true : undefined));
  });

  it('keeps warp_tier and warp_service_tier apart (tier is the canonical one)', async () => {
    const t = Date.now() - 24_000;
    await post([propertyChange(1201, 'warp_tier', 'growth', t), propertyChange(1201, 'warp_service_tier', 'enterprise', t + 1)]);
    await settle();
    expect(await customer('1201')).toMatchObject({ tier: 'growth', service_tier: 'enterprise' });
  });

  it('applies contact-company associations and merges without losing the WARP identity', async () => {
    const t = Date.now() - 30_000;
    const assoc = (removed: boolean, at: number) => ({
      ...propertyChange(0, 'x', '', at), subscriptionType: 'contact.associationChange', objectId: undefined, propertyName: undefined, propertyValue: undefined,
      associationType: 'CONTACT_TO_COMPANY', fromObjectId: 2001, toObjectId: 2100, associationRemoved: removed, isPrimaryAssociation: true,
    });
    await post([propertyChange(2100, 'name', 'Parent Co', t), assoc(false, t + 1)]);
    await settle();
    const user = async () => (await db.pool.query<{ customer_id: string | null }>(`SELECT customer_id FROM users WHERE hubspot_contact_id = '2001'`)).rows[0];
    expect((await user())?.customer_id).toBe(String((await customer('2100'))!['id']));
    // The removal arrives, then a stale duplicate of the creation: the link stays removed.
    await post([assoc(true, t + 5)]);
    await settle();
    await post([{ ...assoc(false, t + 1), eventId: 999_999 }]);
    await settle();
    expect((await user())?.customer_id).toBeNull();

    // Company 2200 (with a BAN) is merged into 2300, which the cache has never seen: the row moves.
    await post([propertyChange(2200, 'name', 'Merged Away', t)]);
    await settle();
    await db.pool.query(`UPDATE customers SET ban = '880001' WHERE hubspot_company_id = '2200'`);
    await post([{
      ...propertyChange(2300, 'x', '', t + 10), subscriptionType: 'company.merge', propertyName: undefined, propertyValue: undefined,
      primaryObjectId: 2300, mergedObjectIds: [2200], newObjectId: 2300, numberOfPropertiesMoved: 1,
    }]);
    await settle();
    expect(await customer('2200')).toBeUndefined();
    expect(await customer('2300')).toMatchObject({ ban: '880001', name: 'Merged Away' });
  });

  it('events the service ignores finish without the object lock and hold up none of the object\'s events (issue 17 item 10)', async () => {
    const t = Date.now() - 20_000;
    const companyAssociation = (i: number) => ({
      ...propertyChange(0, 'x', '', t + i), subscriptionType: 'company.associationChange', objectId: undefined, propertyName: undefined, propertyValue: undefined,
      associationType: 'COMPANY_TO_TICKET', fromObjectId: 3100, toObjectId: 50_000 + i, associationRemoved: false, eventId: 700_000 + i,
    });
    await post([propertyChange(3100, 'name', 'Busy Co', t)]);
    await settle();
    // Someone holds the company's lock (a long apply of one of its events) while 300 ignored events arrive.
    const held = await db.pool.connect();
    try {
      await held.query('BEGIN');
      await held.query(`SELECT pg_advisory_xact_lock(hashtextextended('hubspot:company:3100', 0))`);
      for (let batch = 0; batch < 3; batch++) await post(Array.from({ length: 100 }, (_, i) => companyAssociation(batch * 100 + i + 1)));
      await post([propertyChange(3100, 'warp_payment_terms', 'NET45', t + 400, { eventId: 800_001 })]);
      await waitFor(async () => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_inbox WHERE outcome = 'unsupported_association' AND object_id = '3100'`)).rows[0]!.n === 300 || undefined, 5_000, '300 ignored events');
      expect((await db.pool.query(`SELECT DISTINCT status FROM webhook_inbox WHERE outcome = 'unsupported_association'`)).rows).toEqual([{ status: 'ignored' }]);
    } finally {
      await held.query('ROLLBACK');
      held.release();
    }
    await settle();
    expect(await customer('3100')).toMatchObject({ name: 'Busy Co', payment_terms: 'NET45' });
  });

  it('a HubSpot value the cache cannot hold fails its event at once; the next edit of the company is applied (L5)', async () => {
    const t = Date.now() - 10_000;
    await post([propertyChange(3200, 'name', 'Overflow Co', t)]);
    await settle();
    await post([propertyChange(3200, 'warp_credit_limit', '99999999999999999999', t + 1, { eventId: 900_001 })]);
    await post([propertyChange(3200, 'warp_credit_limit', '75000', t + 2, { eventId: 900_002 })]);
    await waitFor(async () => (String((await customer('3200'))?.['credit_limit']) === '75000.00' ? true : undefined), 5_000, 'the valid edit applied');
    // The two events may be worked on at once: the bad one's failure can land after the good edit.
    const failedRows = async () =>
      (await db.pool.query<{ attempts: number }>(`SELECT attempts FROM webhook_inbox WHERE object_id = '3200' AND status = 'failed'`)).rows;
    await waitFor(async () => ((await failedRows()).length > 0 ? true : undefined), 5_000, 'the bad edit failed');
    expect((await failedRows()).map((r) => r.attempts)).toEqual([1]);
  });
});
