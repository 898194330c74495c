import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type UnseenRow, unseenRows } from '../../src/store/reconcile-marks.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** The sweep's paging over the rows a run did not mark (store/reconcile-marks.ts). */
describe('unseen rows', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('pages in numeric row-id order, so a sweep of more than one page sees every row once', async () => {
    // Row ids 1..12: as text, 10, 11 and 12 sort before 2.
    await db.pool.query(`INSERT INTO customers (hubspot_company_id, name) SELECT (1000 + i)::text, 'Company ' || i FROM generate_series(1, 12) AS i`);
    const seen: UnseenRow[] = [];
    let after = '0';
    for (let pages = 0; pages < 10; pages++) {
      const rows = await unseenRows(db.pool, 'company', '1', new Date(Date.now() + 60_000), after, 5);
      seen.push(...rows);
      if (rows.length < 5) break;
      after = rows.at(-1)!.rowId;
    }
    expect(seen.map((r) => Number(r.key) - 1000)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
