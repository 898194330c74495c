import type { Queryable } from '../db/pool.js';

/**
 * The shared HubSpot rate budget's storage: thin calls of the PL/pgSQL functions of
 * migrations/0003_hubspot_rate_budget.sql (the sliding-window log and its rules live there) and the
 * batched settling of grants. The gateway (hubspot/rate-budget.ts) receives this through its
 * `RateBudgetStore` port, so the HubSpot layer holds no SQL and no pool.
 */

export interface TokenRequest {
  accountKey: string;
  bucket: string;
  /** Identifies one process's demand in `hubspot_rate_waiters`. */
  waiterId: string;
  rank: number;
  wanted: number;
  limit: number;
  windowMs: number;
  inflightTimeoutMs: number;
  dailyLimit: number;
  /** Requests of the daily quota this class must leave to higher classes. */
  dailyReserve: number;
}

export interface TokenGrant {
  /** bigint[]: pg returns the ids as strings. */
  granted_ids: string[];
  wait_ms: number;
  reason: 'window' | 'priority' | 'daily' | null;
  window_used: number;
  daily_remaining: number;
}

export interface BudgetReport {
  accountKey: string;
  bucket: string;
  windowMs: number;
  inflightTimeoutMs: number;
  max: number | null;
  remaining: number | null;
  dailyLimit: number | null;
  dailyRemaining: number | null;
}

export function createRateBudgetStore(db: Queryable) {
  return {
    async acquireTokens(r: TokenRequest): Promise<TokenGrant> {
      const { rows } = await db.query<TokenGrant>('SELECT * FROM hubspot_rate_acquire($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
        r.accountKey, r.bucket, r.waiterId, r.rank, r.wanted, r.limit, r.windowMs, r.inflightTimeoutMs, r.dailyLimit, r.dailyReserve,
      ]);
      return rows[0]!;
    },
    async observe(r: BudgetReport): Promise<void> {
      await db.query('SELECT hubspot_rate_observe($1, $2, $3, $4, $5, $6, $7, $8)', [
        r.accountKey, r.bucket, r.windowMs, r.inflightTimeoutMs, r.max, r.remaining, r.dailyLimit, r.dailyRemaining,
      ]);
    },
    /** Marks requests as answered: from now on they count for one more window only. */
    async settle(grantIds: readonly string[]): Promise<void> {
      await db.query('UPDATE hubspot_rate_grants SET settled_at = clock_timestamp() WHERE id = ANY($1::bigint[])', [[...grantIds]]);
    },
  };
}
