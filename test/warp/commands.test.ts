import { describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/pool.js';
import { changeAccount, recordAccountEvent, updateAccountFacts } from '../../src/warp/accounts.js';
import { applyCreditLimit } from '../../src/warp/account-rules.js';
import { registerCampaign } from '../../src/warp/campaigns.js';
import { addNumber, updateNumber } from '../../src/warp/numbers.js';
import { valueOf } from '../../src/warp/result.js';
import { createTrunk, deleteTrunk, getTrunk, listTrunks, updateTrunk } from '../../src/warp/trunks.js';
import { insertCustomer } from '../support/customers.js';
import { useTestDatabase } from '../support/db.js';

/** The WARP commands on their own (no HTTP): typed results, ownership, and nothing written on a refusal. */

const database = useTestDatabase();
const pool = () => database().pool;
const deps = () => ({ pool: pool() });
const customer = () => insertCustomer(pool());

const trunk = { name: 'T', ipAddresses: ['198.51.100.7'], concurrentCalls: 5, monthlyMinutes: 100 };
const number = (n: string, trunkId?: string) => ({ number: n, type: 'local' as const, capabilities: ['voice' as const], monthlyCost: 1, status: 'active' as const, trunkId });

/** Rows a refused command must not have written (everything it could write). */
async function footprint(customerId: string): Promise<Record<string, number>> {
  const { rows } = await pool().query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM numbers WHERE customer_id = $1) AS numbers,
            (SELECT count(*)::int FROM account_events WHERE customer_id = $1) AS events,
            (SELECT count(*)::int FROM outbox) AS outbox,
            (SELECT count(*)::int FROM messaging_campaigns WHERE customer_id = $1) AS campaigns`,
    [customerId],
  );
  return rows[0]!;
}

describe('WARP commands', () => {
  it('answers not_found for an unknown BAN, never throws', async () => {
    expect(await createTrunk(deps(), '999999999', trunk)).toEqual({ ok: false, code: 'not_found', message: 'No customer with BAN 999999999' });
    expect(await listTrunks(deps(), '999999999', { limit: 10 })).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('a number routed to another customer’s trunk is not_found, and nothing is written (L13)', async () => {
    const mine = await customer();
    const theirs = await customer();
    const theirTrunk = valueOf(await createTrunk(deps(), theirs.ban, trunk));
    const before = await footprint(mine.id);
    const refused = await addNumber(deps(), mine.ban, number('+13035550101', theirTrunk.trunkId));
    expect(refused).toEqual({ ok: false, code: 'not_found', message: `No trunk ${theirTrunk.trunkId} for BAN ${mine.ban}` });
    expect(await footprint(mine.id)).toEqual(before);

    // The same for re-routing an existing number.
    const added = valueOf(await addNumber(deps(), mine.ban, number('+13035550102')));
    const rerouted = await updateNumber(deps(), mine.ban, { number: added.number, trunkId: theirTrunk.trunkId });
    expect(rerouted).toMatchObject({ ok: false, code: 'not_found' });
    const { rows } = await pool().query<{ trunk_id: string | null; version: string }>(`SELECT trunk_id, version FROM numbers WHERE number = $1`, [added.number]);
    expect(rows[0]).toEqual({ trunk_id: null, version: '1' });

    // Its own trunk routes fine.
    const own = valueOf(await createTrunk(deps(), mine.ban, trunk));
    expect(valueOf(await updateNumber(deps(), mine.ban, { number: added.number, trunkId: own.trunkId })).trunkId).toBe(own.trunkId);
  });

  it('checks trunk ownership in every trunk command', async () => {
    const mine = await customer();
    const theirs = await customer();
    const theirTrunk = valueOf(await createTrunk(deps(), theirs.ban, trunk));
    expect(await getTrunk(deps(), mine.ban, theirTrunk.trunkId)).toMatchObject({ ok: false, code: 'not_found' });
    expect(await updateTrunk(deps(), mine.ban, { trunkId: theirTrunk.trunkId, concurrentCalls: 9 })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await deleteTrunk(deps(), mine.ban, theirTrunk.trunkId)).toMatchObject({ ok: false, code: 'not_found' });
    expect(valueOf(await getTrunk(deps(), theirs.ban, theirTrunk.trunkId))).toMatchObject({ concurrentCalls: 5, deletedAt: null });
  });

  it('refuses a number in use by any customer with number_taken; a released one may be bought again', async () => {
    const a = await customer();
    const b = await customer();
    valueOf(await addNumber(deps(), a.ban, number('+13035550201')));
    expect(await addNumber(deps(), b.ban, number('+13035550201'))).toMatchObject({ ok: false, code: 'number_taken' });
    expect(await addNumber(deps(), a.ban, number('+13035550201'))).toMatchObject({ ok: false, code: 'number_taken' });
  });

  it('refuses the credit limit (HubSpot owns it) and applies WARP-owned facts with their HubSpot writes', async () => {
    const c = await customer();
    expect(await changeAccount(deps(), c.ban, { type: 'credit_limit_changed' })).toMatchObject({ ok: false, code: 'owned_by_hubspot' });
    await pool().query('DELETE FROM outbox');
    const account = valueOf(await updateAccountFacts(deps(), c.ban, { apiEnabled: true, tcrBrandId: 'BABC123', resporgStatus: 'pending' }));
    expect(account).toMatchObject({ apiEnabled: true, smsEnabled: false, tcrBrandId: 'BABC123', resporgStatus: 'pending' });
    const { rows } = await pool().query<{ fields: string[] }>(`SELECT fields FROM outbox WHERE object_type = 'company' AND record_key = $1`, [c.id]);
    expect(rows[0]?.fields.sort()).toEqual(['warp_api_enabled', 'warp_resporg_status', 'warp_tcr_brand_id']);
    // A fact set to what it already is changes nothing that HubSpot must see.
    await pool().query('DELETE FROM outbox');
    valueOf(await updateAccountFacts(deps(), c.ban, { apiEnabled: true }));
    expect((await pool().query('SELECT 1 FROM outbox')).rowCount).toBe(0);
  });

  it('joins a caller’s transaction, and a refusal there rolls back only the command', async () => {
    const c = await customer();
    const result = await withTransaction(pool(), async (tx) => {
      await tx.query(`UPDATE customers SET name = 'Kept' WHERE id = $1`, [c.id]);
      valueOf(await recordAccountEvent({ tx }, c.ban, { kind: 'account_created' }));
      return addNumber({ tx }, c.ban, number('+13035550301', 'trunk_nope'));
    });
    expect(result).toMatchObject({ ok: false, code: 'not_found' });
    const { rows } = await pool().query<{ name: string; events: number }>(
      `SELECT name, (SELECT count(*)::int FROM account_events WHERE customer_id = c.id) AS events FROM customers c WHERE id = $1`,
      [c.id],
    );
    expect(rows[0]).toEqual({ name: 'Kept', events: 1 });
  });

  it('limits trunks at the credit limit and restores only those it limited', async () => {
    const c = await customer();
    const t = valueOf(await createTrunk(deps(), c.ban, trunk));
    await pool().query(`UPDATE customers SET mtd_spend = 100, credit_limit = 50 WHERE id = $1`, [c.id]);
    expect(valueOf(await applyCreditLimit(deps(), c.ban))).toEqual({ limited: 1, restored: 0 });
    expect(valueOf(await getTrunk(deps(), c.ban, t.trunkId))).toMatchObject({ status: 'limited', statusReason: 'credit_limit_reached' });
    await pool().query(`UPDATE customers SET credit_limit = 500 WHERE id = $1`, [c.id]);
    expect(valueOf(await applyCreditLimit(deps(), c.ban))).toEqual({ limited: 0, restored: 1 });
  });
});

describe('10DLC campaigns', () => {
  const campaign = { campaignId: 'CAB12CD', useCase: 'CUSTOMER_CARE' as const, description: 'Support replies' };

  it('needs a brand: given, or the account’s own', async () => {
    const c = await customer();
    expect(await registerCampaign(deps(), c.ban, campaign)).toMatchObject({ ok: false, code: 'brand_missing' });
    valueOf(await updateAccountFacts(deps(), c.ban, { tcrBrandId: 'BZZ9999' }));
    const registered = valueOf(await registerCampaign(deps(), c.ban, campaign));
    expect(registered).toMatchObject({ alreadyRegistered: false, campaign: { campaignId: 'CAB12CD', brandId: 'BZZ9999', useCase: 'CUSTOMER_CARE' } });
  });

  it('is one timeline entry and one count, whatever the retries; other details or another customer are refused', async () => {
    const c = await customer();
    const n = valueOf(await addNumber(deps(), c.ban, number('+13035550401')));
    const input = { ...campaign, campaignId: 'CRETRY1', brandId: 'BAAAAAA', numbers: [n.number] };
    expect(valueOf(await registerCampaign(deps(), c.ban, input)).alreadyRegistered).toBe(false);
    expect(valueOf(await registerCampaign(deps(), c.ban, input)).alreadyRegistered).toBe(true);
    const { rows } = await pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM account_events WHERE customer_id = $1 AND kind = 'campaign_registered'`, [c.id]);
    expect(rows[0]!.n).toBe(1);
    expect(await registerCampaign(deps(), c.ban, { ...input, useCase: 'MARKETING' })).toMatchObject({ ok: false, code: 'campaign_exists' });
    const other = await customer();
    expect(await registerCampaign(deps(), other.ban, input)).toMatchObject({ ok: false, code: 'not_found' }); // the number is not theirs
    expect(await registerCampaign(deps(), other.ban, { ...input, numbers: [] })).toMatchObject({ ok: false, code: 'campaign_exists' });
  });
});
