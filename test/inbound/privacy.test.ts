import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestService, type TestService } from '../support/service.js';
import { postSigned, propertyChange } from './signed.js';

/** A GDPR deletion in HubSpot erases the person's data here too (security audit M6). */

const SECRET = 'privacy-test-secret';

const contactChange = (id: number, property: string, value: string, occurredAt: number) =>
  propertyChange(id, property, value, occurredAt, { subscriptionType: 'contact.propertyChange' });

describe('contact.privacyDeletion', () => {
  let db: TestDatabase;
  let service: TestService;
  let url: string;
  const post = async (events: unknown[]) => expect((await postSigned(url, JSON.stringify(events), { secret: SECRET })).status).toBe(200);
  const userRow = async (contactId: string) => (await db.pool.query<Record<string, unknown>>('SELECT * FROM users WHERE hubspot_contact_id = $1', [contactId])).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startTestService(db, { HUBSPOT_CLIENT_SECRET: SECRET, INBOX_WORKERS: '0', HUBSPOT_PROVISION_AT_START: 'false' });
    url = `${await service.app.listen({ port: 0, host: '127.0.0.1' })}/api/v1/webhooks/hubspot`;
  });
  afterAll(async () => {
    await service.close();
    await db.drop();
  });

  it('erases the contact (and linked WARP user) personal fields and every stored value of its events', async () => {
    const t0 = Date.now() - 60_000;
    await post([
      contactChange(801, 'email', 'anna.schmidt@acme.example', t0),
      contactChange(801, 'firstname', 'Anna', t0 + 1),
      contactChange(801, 'lastname', 'Schmidt', t0 + 2),
      contactChange(801, 'phone', '+49 30 5550199', t0 + 3),
      contactChange(802, 'firstname', 'Bernd', t0 + 4),
    ]);
    await service.work!.inbox.drain();
    await db.pool.query(`UPDATE users SET user_id = 'usr_anna0001', role = 'admin' WHERE hubspot_contact_id = '801'`);
    expect(await userRow('801')).toMatchObject({ email: 'anna.schmidt@acme.example', firstname: 'Anna' });

    await post([{ eventId: 9001, subscriptionId: 12, portalId: 1234567, occurredAt: t0 + 10, subscriptionType: 'contact.privacyDeletion', objectId: 801, changeFlag: 'GDPR_DELETED' }]);
    await service.work!.inbox.drain();

    const erased = await userRow('801');
    expect(erased).toMatchObject({ email: null, firstname: null, lastname: null, phone: null, user_id: 'usr_anna0001', role: 'admin' });
    expect(erased?.['deleted_at']).not.toBeNull();
    expect(await userRow('802')).toMatchObject({ firstname: 'Bernd' });

    const stored = JSON.stringify([
      ...(await db.pool.query<{ event: unknown }>('SELECT event FROM webhook_inbox')).rows,
      ...(await db.pool.query<{ body: string }>('SELECT body FROM webhook_batches')).rows,
    ]);
    for (const value of ['anna.schmidt', 'Anna', 'Schmidt', '5550199']) expect(stored).not.toContain(value);
    expect(stored).toContain('Bernd');

    const audit = await db.pool.query<{ changes: unknown }>(`SELECT changes FROM audit_log WHERE entity_id = '801' AND event = 'contact.privacyDeletion'`);
    expect(audit.rows.map((r) => r.changes)).toContainEqual({ email: { changed: true }, firstname: { changed: true }, lastname: { changed: true }, phone: { changed: true } });
  });

  it('erases even when the plain deletion was applied first (an erasure is never stale)', async () => {
    const t0 = Date.now() - 30_000;
    await post([contactChange(803, 'email', 'late@acme.example', t0)]);
    await service.work!.inbox.drain();
    await post([{ eventId: 9002, subscriptionId: 13, portalId: 1234567, occurredAt: t0 + 5, subscriptionType: 'contact.deletion', objectId: 803 }]);
    await service.work!.inbox.drain();
    await post([{ eventId: 9003, subscriptionId: 12, portalId: 1234567, occurredAt: t0 + 5, subscriptionType: 'contact.privacyDeletion', objectId: 803 }]);
    await service.work!.inbox.drain();
    expect(await userRow('803')).toMatchObject({ email: null });
    // Expanded bodies are blanked (NULL); none that is kept may hold the address.
    const { rows } = await db.pool.query<{ body: string | null }>('SELECT body FROM webhook_batches');
    expect(rows.some((r) => r.body?.includes('late@acme.example'))).toBe(false);
  });
});
