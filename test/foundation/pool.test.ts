import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createPool, isDatabaseUnavailable, type Pool, withTransaction } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
let pool: Pool;
const lost: Error[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, 1, (error) => lost.push(error));
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('connections that die inside a transaction', () => {
  it('fail the transaction cleanly, destroy the connection whose ROLLBACK failed, and the pool carries on', async () => {
    const released: Array<Error | undefined> = [];
    pool.on('release', (error: Error | undefined) => released.push(error));
    // What a PostgreSQL restart does to a connection in the middle of a transaction.
    const failure = await withTransaction(pool, async (tx) => {
      await tx.query(`CREATE TEMP TABLE doomed (id int)`);
      await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
    }).catch((error: unknown) => error);

    expect(isDatabaseUnavailable(failure)).toBe(true);
    expect(released).toHaveLength(1);
    expect(released[0]).toBeInstanceOf(Error); // handed back with its error: destroyed, never reused
    expect(lost.length).toBeGreaterThan(0); // the connection's own error event was handled, not thrown
    // The only slot of the pool is usable again, on a new connection.
    const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it('tells an unreachable database from a bad statement', async () => {
    const bad = await pool.query('SELECT * FROM no_such_table').catch((error: unknown) => error);
    expect(isDatabaseUnavailable(bad)).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: new Error('timeout exceeded when trying to connect') }))).toBe(true);
  });
});
