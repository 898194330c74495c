import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { withTransaction } from '../../src/db/pool.js';
import type { InboundHooks } from '../../src/sync/inbound/apply-field.js';
import { applySnapshot } from '../../src/sync/inbound/apply-snapshot.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** Identifiers WARP issues are never adopted from HubSpot (security audit L11). */

let db: TestDatabase;
const writtenBack: string[][] = [];
const hooks: InboundHooks = {
  writeBack: async (_tx, _type, _record, properties) => {
    writtenBack.push(properties);
    return true;
  },
  afterChange: async () => undefined,
  needsFetch: () => undefined,
};

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const snapshot = (id: string, properties: Record<string, string>) => ({ id, properties, updatedAt: new Date().toISOString() });
const conflictsOf = async (objectId: string) =>
  (await db.pool.query<{ property: string; hubspot_value: string; resolution: string }>('SELECT property, hubspot_value, resolution FROM sync_conflicts WHERE object_id = $1', [objectId])).rows;

describe('WARP-issued identifiers in HubSpot snapshots', () => {
  it('a warp_ban typed on a HubSpot company is not adopted, nor cleared: it is a conflict to review', async () => {
    await withTransaction(db.pool, (tx) => applySnapshot(tx, hooks, 'company', snapshot('950', { name: 'Typed BAN Ltd', warp_ban: '10050', warp_status: 'active' }), 'import'));
    const { rows } = await db.pool.query<{ ban: string | null; name: string; status: string | null }>(`SELECT ban, name, status FROM customers WHERE hubspot_company_id = '950'`);
    expect(rows[0]).toEqual({ ban: null, name: 'Typed BAN Ltd', status: 'active' });
    expect(await conflictsOf('950')).toEqual([{ property: 'warp_ban', hubspot_value: '10050', resolution: 'identifier_not_adopted' }]);
    expect(writtenBack.flat()).not.toContain('warp_ban');
    // It cannot be reached as a customer by that BAN.
    expect((await db.pool.query(`SELECT 1 FROM customers WHERE ban = '10050'`)).rowCount).toBe(0);
  });

  it('a warp_user_id typed on a HubSpot contact is not adopted', async () => {
    await withTransaction(db.pool, (tx) => applySnapshot(tx, hooks, 'contact', snapshot('951', { email: 'typed@acme.example', warp_user_id: 'usr_typedbyhand' }), 'reconcile'));
    const { rows } = await db.pool.query<{ user_id: string | null }>(`SELECT user_id FROM users WHERE hubspot_contact_id = '951'`);
    expect(rows[0]).toEqual({ user_id: null });
    expect(await conflictsOf('951')).toEqual([{ property: 'warp_user_id', hubspot_value: 'usr_typedbyhand', resolution: 'identifier_not_adopted' }]);
  });

  it('a BAN WARP issued is kept and written back when HubSpot shows another', async () => {
    await db.pool.query(`INSERT INTO customers (hubspot_company_id, ban, name) VALUES ('952', '777952', 'Issued Ltd')`);
    await withTransaction(db.pool, (tx) => applySnapshot(tx, hooks, 'company', snapshot('952', { warp_ban: '10051' }), 'reconcile'));
    expect((await db.pool.query<{ ban: string }>(`SELECT ban FROM customers WHERE hubspot_company_id = '952'`)).rows[0]).toEqual({ ban: '777952' });
    expect(await conflictsOf('952')).toEqual([{ property: 'warp_ban', hubspot_value: '10051', resolution: 'owner_value_written_back' }]);
    expect(writtenBack).toContainEqual(['warp_ban']);
  });
});
