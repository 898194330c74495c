import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { enqueue } from '../../src/store/outbox.js';
import { type OutboundFixture, outboxDrained, startOutboundFixture, waitFor } from '../outbound/support.js';

/**
 * The fuzz report's F1, end to end against the simulator: WARP users that share one email (stored
 * before the API refused that) going out in one outbox batch used to fail the batch, and every
 * later import and reconcile, for good (`users_user_id_key`); in later batches the extra users were
 * silently never linked. Now one user is linked, each other one is a dead letter that says why,
 * and the import and reconcile succeed.
 */
describe('WARP users sharing one email (stored before the rule)', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture({ env: { OUTBOX_WORKERS: '0', INBOX_POLL_INTERVAL_MS: '50' } });
  });
  afterAll(async () => {
    await f.close();
  });

  const storeUser = async (customerId: string, userId: string, email: string) => {
    await f.db.pool.query(`INSERT INTO users (user_id, customer_id, email, role) VALUES ($1, $2, $3, 'readonly')`, [userId, customerId, email]);
    await enqueue(f.db.pool, [{ objectType: 'contact', recordKey: userId }]);
  };
  const runImport = async () => {
    const { job } = await f.api.call('startImport', {});
    return waitFor(async () => {
      const found = (await f.api.call('syncStatus', {})).jobs.find((j) => j.id === job.id);
      return found && (found.status === 'succeeded' || found.status === 'failed') ? found : undefined;
    }, 20_000, 'the import job');
  };
  const runReconcile = async () => {
    const { run } = await f.api.call('startReconcile', {});
    return waitFor(async () => {
      const found = (await f.api.call('getReconcileRun', { params: { id: run.id } })).run;
      return found.status === 'succeeded' || found.status === 'failed' ? found : undefined;
    }, 30_000, 'the reconcile run');
  };

  it('links one, dead-letters the others with the reason, and import and reconcile still succeed', async () => {
    const customer = await f.createCustomer();
    await storeUser(customer.id, 'usr_wedgea', 'wedge@example.com');
    await storeUser(customer.id, 'usr_wedgeb', 'Wedge@example.com');
    f.startWorkers(); // both in one batch (the fixture stops them)
    await outboxDrained(f.db);

    const contacts = (await f.records('contacts', ['email', 'warp_user_id'])).filter((c) => c.properties['email']?.toLowerCase() === 'wedge@example.com');
    expect(contacts).toHaveLength(1);
    const rows = await f.db.pool.query<{ user_id: string; hubspot_contact_id: string | null }>(`SELECT user_id, hubspot_contact_id FROM users WHERE lower(email) = 'wedge@example.com' ORDER BY id`);
    expect(rows.rows).toEqual([
      { user_id: 'usr_wedgea', hubspot_contact_id: contacts[0]!.id },
      { user_id: 'usr_wedgeb', hubspot_contact_id: null },
    ]);
    const letters = (await f.api.call('listDeadLetters', {})).deadLetters;
    expect(letters.map((l) => [l.recordKey, l.errors.at(-1)?.message])).toEqual([
      ['usr_wedgeb', `HubSpot contact ${contacts[0]!.id} already belongs to WARP user usr_wedgea (HubSpot keeps one contact per email)`],
    ]);

    // A later batch (the "separate batches" case) is no longer silent either.
    await storeUser(customer.id, 'usr_wedgec', 'WEDGE@example.com');
    await outboxDrained(f.db);
    expect((await f.api.call('listDeadLetters', {})).deadLetters.map((l) => l.recordKey)).toEqual(['usr_wedgeb', 'usr_wedgec']);

    expect(await runImport()).toMatchObject({ status: 'succeeded', error: null });
    expect(await runReconcile()).toMatchObject({ status: 'succeeded', error: null });
    // HubSpot's contact ends with the linked user's id (a later user's upsert overwrote it; the import wrote it back).
    await outboxDrained(f.db);
    const contact = await f.service.hubspot.gateway.getObject('contacts', contacts[0]!.id, { properties: ['warp_user_id'] });
    expect(contact.properties['warp_user_id']).toBe('usr_wedgea');
  });
});
