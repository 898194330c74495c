import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

// HubSpot and WARP ids are strings; bigint columns (counters, sequences) come back as strings by
// default in pg. Parse int8 as a JS number only where we know it is a count: keep the default.

/**
 * A pool whose connections may die at any time (a PostgreSQL restart, a failover, a network cut)
 * without taking the process down. pg emits `error` on a client whose connection is lost; an
 * `error` event without a listener is thrown by Node, so every client gets one the moment the pool
 * creates it, idle or checked out. The query that was in flight fails on its own; the caller sees
 * that error, and the pool replaces the connection at the next checkout.
 */
export function createPool(connectionString: string, max: number, onConnectionError: (error: Error) => void = () => undefined): Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // After end(), connections still closing may report the server going away: nothing to say then.
  const report = (error: Error): void => {
    if (!pool.ending) onConnectionError(error);
  };
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}

/** What a log line says about a lost connection: its code and message, never the client object pg attaches to it. */
export const describeConnectionError = (error: Error): { code: string | undefined; reason: string } => ({
  code: (error as { code?: string }).code,
  reason: error.message,
});

/**
 * Runs `work` in one transaction; commits if it resolves, rolls back if it throws. This is what
 * makes "committed before acknowledged" and the transactional outbox possible. A connection whose
 * ROLLBACK failed (it died, or is stuck in an aborted transaction) is destroyed, never handed to
 * the next caller.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
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

/**
 * SQLSTATE class 22 (data exception: a number out of range, a string too long, text that is not a
 * number): the same statement with the same values fails every time, so it is never worth a retry.
 */
export function isDataException(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** Socket-level failures: the server is not there (yet), or went away mid-conversation. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * SQLSTATE class 08 (connection exception) and the class 57 codes a restart produces:
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down).
 */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123])/;
/** pg and pg-pool report a lost or unobtainable connection with these messages and no code. */
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

/**
 * True when `error` says the database cannot be reached right now (rather than that a statement
 * was wrong): callers answer 503 and try again later instead of reporting a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
