import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

// HubSpot and WARP ids are strings; bigint columns (counters, sequences) come back as strings by
// default in pg. Parse int8 as a JS number only where we know it is a count: keep the default.

export function createPool(connectionString: string, max: number): Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (database restart) must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Runs `work` in one transaction; commits if it resolves, rolls back if it throws. This is what
 * makes "committed before acknowledged" and the transactional outbox possible.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection that dies mid-transaction (the backend is killed, the database restarts) fails
  // the query and also emits 'error' on the client, which the pool only listens to while the client
  // is idle: without this listener that event would crash the process.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.off('error', ignore);
    // A connection that cannot even roll back is discarded, not handed to the next caller.
    client.release(broken);
  }
}

/** SQLSTATE codes we branch on (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PG_ERROR = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  duplicateDatabase: '42P04',
  invalidCatalogName: '3D000',
} as const;

export function hasPgCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
