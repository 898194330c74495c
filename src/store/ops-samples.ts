import type { Queryable } from '../db/pool.js';
import { countOpenConflicts } from './conflict-reviews.js';
import { countOpenDeadLetters } from './dead-letters.js';
import { type InboxStats, inboxStats } from './inbox.js';
import { outboxStats } from './outbox.js';

/**
 * The sync's health, one row per minute (migration 0110), kept 7 days: what the overview's charts
 * draw. Written by the `ops-sample` schedule; every figure comes from an index, so a sample costs
 * what the overview page does.
 */

export const SAMPLE_RETENTION_MS = 7 * 24 * 60 * 60_000;

export interface OpsSample {
  at: Date;
  inboxPending: number;
  inboxLagMs: number;
  outboxPending: number;
  outboxLagMs: number;
  deadLettersOpen: number;
  conflictsOpen: number;
  burstUsed: number;
  dailyUsed: number;
}

export const SAMPLE_FIELDS = ['inboxPending', 'inboxLagMs', 'outboxPending', 'outboxLagMs', 'deadLettersOpen', 'conflictsOpen', 'burstUsed', 'dailyUsed'] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];

/** The HubSpot requests counted in the current burst window, and today's total, over every account. */
export async function rateBudgetUse(db: Queryable, burstWindowMs: number): Promise<{ burstUsed: number; dailyUsed: number; observedBurstLimit: number | null; observedDailyLimit: number | null }> {
  const { rows } = await db.query<{ burst: number; daily: number; obs_burst: number | null; obs_daily: number | null }>(
    `SELECT (SELECT coalesce(sum(tokens), 0)::int FROM hubspot_rate_grants
              WHERE bucket = 'burst' AND (settled_at IS NULL OR granted_at > now() - $1 * interval '1 millisecond')) AS burst,
            (SELECT coalesce(sum(daily_used), 0)::int FROM hubspot_rate_accounts WHERE day = (now() AT TIME ZONE 'UTC')::date) AS daily,
            (SELECT min(observed_burst_limit) FROM hubspot_rate_accounts) AS obs_burst,
            (SELECT min(observed_daily_limit) FROM hubspot_rate_accounts) AS obs_daily`,
    [burstWindowMs],
  );
  const r = rows[0]!;
  return { burstUsed: r.burst, dailyUsed: r.daily, observedBurstLimit: r.obs_burst, observedDailyLimit: r.obs_daily };
}

/** Stores the sample of one minute (a rerun of the minute replaces it) and drops week-old ones. */
export async function storeSample(db: Queryable, s: OpsSample): Promise<void> {
  await db.query(
    `INSERT INTO ops_samples (at, inbox_pending, inbox_lag_ms, outbox_pending, outbox_lag_ms, dead_letters_open, conflicts_open, burst_used, daily_used)
     VALUES (date_trunc('minute', $1::timestamptz), $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (at) DO UPDATE SET inbox_pending = EXCLUDED.inbox_pending, inbox_lag_ms = EXCLUDED.inbox_lag_ms,
       outbox_pending = EXCLUDED.outbox_pending, outbox_lag_ms = EXCLUDED.outbox_lag_ms, dead_letters_open = EXCLUDED.dead_letters_open,
       conflicts_open = EXCLUDED.conflicts_open, burst_used = EXCLUDED.burst_used, daily_used = EXCLUDED.daily_used`,
    [s.at, s.inboxPending, s.inboxLagMs, s.outboxPending, s.outboxLagMs, s.deadLettersOpen, s.conflictsOpen, s.burstUsed, s.dailyUsed],
  );
  await db.query(`DELETE FROM ops_samples WHERE at < $1::timestamptz - $2 * interval '1 millisecond'`, [s.at, SAMPLE_RETENTION_MS]);
}

/**
 * Samples since `sinceMs` ago, folded into at most `points` buckets (the maximum of each figure
 * per bucket, so a spike is never averaged away), oldest first.
 */
export async function readSamples(db: Queryable, sinceMs: number, points: number): Promise<OpsSample[]> {
  const { rows } = await db.query<Record<string, string | number | Date>>(
    `SELECT min(at) AS at, max(inbox_pending) AS inbox_pending, max(inbox_lag_ms) AS inbox_lag_ms, max(outbox_pending) AS outbox_pending,
            max(outbox_lag_ms) AS outbox_lag_ms, max(dead_letters_open) AS dead_letters_open, max(conflicts_open) AS conflicts_open,
            max(burst_used) AS burst_used, max(daily_used) AS daily_used
     FROM ops_samples WHERE at >= now() - $1 * interval '1 millisecond'
     GROUP BY floor(extract(epoch FROM at) / ($1 / 1000.0 / $2)) ORDER BY 1`,
    [sinceMs, points],
  );
  return rows.map((r) => ({
    at: r['at'] as Date,
    inboxPending: Number(r['inbox_pending']),
    inboxLagMs: Number(r['inbox_lag_ms']),
    outboxPending: Number(r['outbox_pending']),
    outboxLagMs: Number(r['outbox_lag_ms']),
    deadLettersOpen: Number(r['dead_letters_open']),
    conflictsOpen: Number(r['conflicts_open']),
    burstUsed: Number(r['burst_used']),
    dailyUsed: Number(r['daily_used']),
  }));
}

export type RateBudgetUse = Awaited<ReturnType<typeof rateBudgetUse>>;

/** The figures of one sample, measured now, with the inbox and budget details they came from. */
export async function measureHealth(db: Queryable, burstWindowMs: number, at = new Date()): Promise<OpsSample & { inbox: InboxStats; budget: RateBudgetUse }> {
  const [inbox, outbox, deadLetters, conflicts, budget] = await Promise.all([
    inboxStats(db),
    outboxStats(db),
    countOpenDeadLetters(db),
    countOpenConflicts(db),
    rateBudgetUse(db, burstWindowMs),
  ]);
  const lag = (oldest: Date | null): number => (oldest ? Math.max(0, at.getTime() - oldest.getTime()) : 0);
  return {
    at,
    inboxPending: inbox.pending + inbox.unexpandedBatches,
    inboxLagMs: lag(inbox.oldestPendingReceivedAt),
    outboxPending: outbox.pending,
    outboxLagMs: lag(outbox.oldestCreatedAt),
    deadLettersOpen: deadLetters,
    conflictsOpen: conflicts,
    burstUsed: budget.burstUsed,
    dailyUsed: budget.dailyUsed,
    inbox,
    budget,
  };
}

/** The `ops-sample` schedule's work: one sample for its minute. */
export async function sampleHealth(db: Queryable, burstWindowMs: number, slotAt: Date): Promise<Record<string, number>> {
  await storeSample(db, { ...(await measureHealth(db, burstWindowMs)), at: slotAt });
  return { samples: 1 };
}
