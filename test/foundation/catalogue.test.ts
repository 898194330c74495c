import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CRM_PROPERTIES, ROLLUP_PROPERTIES, SYNC_SIDES, WARP_COMPANY_PROPERTIES } from '../../src/domain/crm-catalogue.js';
import { sameValue } from '../../src/domain/crm-catalogue.js';
import { numberField } from '../../src/domain/crm-values.js';
import { NUMBER_STATUSES } from '../../src/domain/value-sets.js';
import { CACHE_TABLES } from '../../src/store/cache-records.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** Tables of WARP's own records; their columns are the catalogue's `out` fields in snake case. */
const WARP_TABLES = { trunk: 'trunks', number: 'numbers', company: 'customers', contact: 'users' } as const;
const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('the CRM catalogue', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  /** `table.column` → the values its CHECK constraint allows, read from the migrated schema. */
  const checkedValueSets = async (): Promise<Map<string, string[]>> => {
    const { rows } = await db.pool.query<{ table_name: string; column_name: string; check_clause: string }>(
      `SELECT u.table_name, u.column_name, c.check_clause
       FROM information_schema.check_constraints c
       JOIN information_schema.constraint_column_usage u USING (constraint_schema, constraint_name)
       WHERE u.table_schema = 'public' AND c.check_clause ~ 'ARRAY\\['`,
    );
    return new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, [...r.check_clause.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!).sort()]));
  };

  it("matches every closed value set the migrations' CHECK constraints allow", async () => {
    const expected = new Map<string, string[]>();
    for (const p of CRM_PROPERTIES) {
      if (!('options' in p.field) || !p.field.options) continue;
      const cached = p.column !== null && p.object in CACHE_TABLES ? `${CACHE_TABLES[p.object].table}.${p.column}` : undefined;
      const warp = p.out !== null && !p.out.startsWith('account.') && p.object in WARP_TABLES ? `${WARP_TABLES[p.object]}.${snake(p.out)}` : undefined;
      for (const key of [cached, warp]) if (key) expected.set(key, [...p.field.options].sort());
    }
    expected.set('numbers.status', [...NUMBER_STATUSES].sort());
    expected.set('sync_conflicts.owner', [...SYNC_SIDES].sort());

    const checked = await checkedValueSets();
    for (const [column, values] of expected) expect({ column, values: checked.get(column) }).toEqual({ column, values });
    // Every value-set constraint on the catalogue's tables comes from the catalogue.
    const tables = new Set<string>([...Object.values(CACHE_TABLES).map((t) => t.table), ...Object.values(WARP_TABLES)]);
    const unexplained = [...checked.keys()].filter((column) => tables.has(column.split('.')[0]!) && !expected.has(column));
    expect(unexplained).toEqual([]);
  });

  it('names a cache column that exists for every cached property', async () => {
    const { rows } = await db.pool.query<{ key: string }>(`SELECT table_name || '.' || column_name AS key FROM information_schema.columns WHERE table_schema = 'public'`);
    const columns = new Set(rows.map((r) => r.key));
    const missing = CRM_PROPERTIES.filter((p) => p.column !== null)
      .map((p) => `${CACHE_TABLES[p.object].table}.${p.column}`)
      .filter((key) => !columns.has(key));
    expect(missing).toEqual([]);
  });

  it('is consistent: unique names per object, one column per property, HubSpot-owned inbound fields cached', () => {
    const keys = CRM_PROPERTIES.map((p) => `${p.object}.${p.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const columns = CRM_PROPERTIES.filter((p) => p.column !== null).map((p) => `${p.object}.${p.column}`);
    expect(new Set(columns).size).toBe(columns.length);
    const uncachedHubSpotFields = CRM_PROPERTIES.filter((p) => ['company', 'contact', 'deal'].includes(p.object) && p.owner === 'hubspot' && p.column === null);
    expect(uncachedHubSpotFields).toEqual([]);
    expect(ROLLUP_PROPERTIES).toEqual(['warp_trunk_count', 'warp_number_count', 'warp_10dlc_campaign_count']);
    expect(WARP_COMPANY_PROPERTIES).toContain('warp_ban');
    expect(WARP_COMPANY_PROPERTIES).not.toContain('warp_credit_limit');
  });

  it('compares values in one spelling: 0 and 0.00 are equal, 1 and 1.5 are not', () => {
    const spend = CRM_PROPERTIES.find((p) => p.name === 'warp_mtd_spend')!;
    expect(sameValue(spend, '0', '0.00')).toBe(true);
    expect(sameValue(spend, '-0', '0')).toBe(true);
    expect(sameValue(spend, '12.50', '12.5')).toBe(true);
    expect(sameValue(spend, '1', '1.5')).toBe(false);
    expect(sameValue({ ...spend, field: numberField() }, null, '0')).toBe(false);
    const login = CRM_PROPERTIES.find((p) => p.name === 'warp_last_login')!;
    expect(sameValue(login, '2025-01-17T10:00:00.000Z', '2025-01-17T10:00:00+00:00')).toBe(true);
  });
});
