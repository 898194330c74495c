import { describe, expect, it } from 'vitest';

import { readMigrations } from '../../src/db/migrate.js';
import { withTransaction } from '../../src/db/pool.js';
import { ensureCachedRecord } from '../../src/store/cache-records.js';
import { linkUserToContact } from '../../src/store/contact-links.js';
import { valueOf } from '../../src/warp/result.js';
import { createUser } from '../../src/warp/users.js';
import { insertCustomer } from '../support/customers.js';
import { useTestDatabase } from '../support/db.js';

/**
 * One email, one WARP user, one HubSpot contact (docs/warp-domain.md): the API rule, the links made
 * by either sync direction, and the repair of what was stored before the rule (migration 0015).
 */

const database = useTestDatabase();
const pool = () => database().pool;
const deps = () => ({ pool: pool() });
const customer = () => insertCustomer(pool());

/** A contact the cache holds from HubSpot (a webhook or an import), not a WARP user. */
async function cachedContact(hubspotId: string, email: string, customerId: string | null): Promise<string> {
  const { rows } = await pool().query<{ id: string }>(
    `INSERT INTO users (hubspot_contact_id, email, firstname, customer_id) VALUES ($1, $2, 'Casey', $3) RETURNING id::text`,
    [hubspotId, email, customerId],
  );
  return rows[0]!.id;
}

const users = async (email: string) =>
  (await pool().query<{ id: string; user_id: string | null; hubspot_contact_id: string | null; deleted: boolean; role: string | null; firstname: string | null }>(
    `SELECT id::text, user_id, hubspot_contact_id, deleted_at IS NOT NULL AS deleted, role, firstname FROM users WHERE lower(email) = lower($1) ORDER BY id`,
    [email],
  )).rows;

describe('creating a WARP user', () => {
  it('refuses a second user with the same email in any letter case, for any customer, with email_taken', async () => {
    const a = await customer();
    const b = await customer();
    valueOf(await createUser(deps(), a.ban, { email: 'wedge@example.com', role: 'readonly' }));
    expect(await createUser(deps(), a.ban, { email: 'Wedge@example.com', role: 'readonly' })).toMatchObject({ ok: false, code: 'email_taken' });
    expect(await createUser(deps(), b.ban, { email: 'WEDGE@EXAMPLE.COM', role: 'admin' })).toMatchObject({ ok: false, code: 'email_taken' });
    expect(await users('wedge@example.com')).toHaveLength(1);
  });

  it('two creations at the same moment make one user, the other is refused', async () => {
    const a = await customer();
    const results = await Promise.all([
      createUser(deps(), a.ban, { email: 'race@example.com', role: 'readonly' }),
      createUser(deps(), a.ban, { email: 'RACE@example.com', role: 'readonly' }),
    ]);
    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    expect(await users('race@example.com')).toHaveLength(1);
  });

  it('becomes the cached contact of its own company (or of none), never one of another customer (L15)', async () => {
    const mine = await customer();
    const theirs = await customer();
    await cachedContact('90001', 'theirs@example.com', theirs.id);
    expect(await createUser(deps(), mine.ban, { email: 'theirs@example.com', role: 'admin' })).toMatchObject({ ok: false, code: 'email_taken' });
    const [untouched] = await users('theirs@example.com');
    expect(untouched).toMatchObject({ user_id: null, role: null });

    const ownRow = await cachedContact('90002', 'own@example.com', mine.id);
    const own = valueOf(await createUser(deps(), mine.ban, { email: 'own@example.com', role: 'admin' }));
    expect(own).toMatchObject({ id: ownRow, hubspotContactId: '90002', firstname: 'Casey' });

    const looseRow = await cachedContact('90003', 'loose@example.com', null);
    expect(valueOf(await createUser(deps(), mine.ban, { email: 'loose@example.com', role: 'billing' })).id).toBe(looseRow);
  });
});

describe('linking a WARP user to its HubSpot contact', () => {
  it('outbound: the upsert landed on a contact the cache already holds: the two rows become one', async () => {
    const c = await customer();
    const user = valueOf(await createUser(deps(), c.ban, { email: 'link@example.com', role: 'developer' }));
    // The contact's creation webhook was applied before the sender recorded the upsert's answer.
    await cachedContact('91001', 'LINK@example.com', c.id);
    expect(await withTransaction(pool(), (tx) => linkUserToContact(tx, user.userId, '91001'))).toEqual({ linked: true });
    expect(await users('link@example.com')).toEqual([expect.objectContaining({ user_id: user.userId, hubspot_contact_id: '91001', role: 'developer', firstname: 'Casey', deleted: false })]);
    const audit = await pool().query(`SELECT event, changes FROM audit_log WHERE entity_id = '91001'`);
    expect(audit.rows).toEqual([{ event: 'warp_user_linked', changes: { user_id: { before: null, after: user.userId }, customer_id: { before: c.id, after: c.id } } }]);
  });

  it('either side first, at the same moment: a webhook creating the contact while the sender links it ends in one row (item 8)', async () => {
    const c = await customer();
    const user = valueOf(await createUser(deps(), c.ban, { email: 'race-link@example.com', role: 'developer' }));
    // The contact's creation webhook is being applied (its row inserted, not committed yet) ...
    const inbound = await pool().connect();
    try {
      await inbound.query('BEGIN');
      const { record } = await ensureCachedRecord(inbound, 'contact', '93001');
      await inbound.query(`UPDATE users SET email = 'race-link@example.com', firstname = 'Casey' WHERE id = $1`, [record.id]);
      // ... when the sender records that its upsert by email landed on that contact.
      const linking = withTransaction(pool(), (tx) => linkUserToContact(tx, user.userId, '93001'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await inbound.query('COMMIT');
      expect(await linking).toEqual({ linked: true });
    } finally {
      inbound.release();
    }
    expect(await users('race-link@example.com')).toEqual([expect.objectContaining({ user_id: user.userId, hubspot_contact_id: '93001', role: 'developer', firstname: 'Casey', deleted: false })]);
  });

  it('outbound: a contact that belongs to another WARP user or another customer is refused with the reason', async () => {
    const a = await customer();
    const b = await customer();
    const first = valueOf(await createUser(deps(), a.ban, { email: 'one@example.com', role: 'admin' }));
    expect(await withTransaction(pool(), (tx) => linkUserToContact(tx, first.userId, '92001'))).toEqual({ linked: true });
    const second = valueOf(await createUser(deps(), a.ban, { email: 'two@example.com', role: 'admin' }));
    expect(await withTransaction(pool(), (tx) => linkUserToContact(tx, second.userId, '92001'))).toMatchObject({ linked: false, reason: expect.stringContaining(first.userId) as string });

    const third = valueOf(await createUser(deps(), a.ban, { email: 'three@example.com', role: 'admin' }));
    await cachedContact('92002', 'three@example.com', b.id);
    expect(await withTransaction(pool(), (tx) => linkUserToContact(tx, third.userId, '92002'))).toMatchObject({ linked: false, reason: expect.stringContaining('another customer') as string });
  });
});

describe('migration 0015: what was stored before the rule', () => {
  it('keeps the linked (else the oldest) user per email, removes the others with an audit entry, and queues the one kept', async () => {
    const c = await customer();
    // Stored by the old API, which accepted any email twice.
    await pool().query(
      `INSERT INTO users (user_id, customer_id, email, role, hubspot_contact_id) VALUES ('usr_dupa', $1, 'dup@example.com', 'readonly', NULL),
         ('usr_dupb', $1, 'Dup@example.com', 'admin', NULL), ('usr_lnka', $1, 'linked@example.com', 'readonly', NULL),
         ('usr_lnkb', $1, 'LINKED@example.com', 'admin', '94001')`,
      [c.id],
    );
    await pool().query('DELETE FROM outbox');
    const repair = (await readMigrations()).find((m) => m.version === '0015')!;
    await pool().query(repair.sql);

    expect((await users('dup@example.com')).map((u) => [u.user_id, u.deleted])).toEqual([['usr_dupa', false], ['usr_dupb', true]]);
    expect((await users('linked@example.com')).map((u) => [u.user_id, u.deleted])).toEqual([['usr_lnka', true], ['usr_lnkb', false]]);
    const audit = await pool().query<{ entity_id: string; changes: Record<string, { after: string }> }>(`SELECT entity_id, changes FROM audit_log WHERE event = 'duplicate_email_removed' ORDER BY id`);
    expect(audit.rows.map((r) => [r.entity_id, r.changes['kept_user_id']?.after]).sort()).toEqual([['usr_dupb', 'usr_dupa'], ['usr_lnka', 'usr_lnkb']]);
    const queued = await pool().query<{ record_key: string }>(`SELECT record_key FROM outbox WHERE object_type = 'contact' ORDER BY record_key`);
    expect(queued.rows.map((r) => r.record_key)).toEqual(['usr_dupa', 'usr_lnkb']);

    // Running it again changes nothing.
    await pool().query(repair.sql);
    expect((await pool().query(`SELECT count(*)::int AS n FROM audit_log WHERE event = 'duplicate_email_removed'`)).rows[0]).toEqual({ n: 2 });
  });
});
