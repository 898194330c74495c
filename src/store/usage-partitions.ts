import pg from 'pg';

import { type Pool, type Queryable, withTransaction } from '../db/pool.js';

/**
 * Day partitions of the raw usage tables (migration 0040). A partition covers one UTC day and is
 * named after it (`usage_calls_p20261116`). Creating and dropping take one advisory lock, so
 * concurrent creators never race on the catalog and a drop never interleaves with a creation.
 * Ingest holds the same lock shared for its whole transaction (`lockRetentionShared`), so a day
 * is never dropped under a request that is writing into it.
 */

export const RAW_USAGE_TABLES = ['usage_calls', 'usage_messages', 'usage_active_samples'] as const;

// Any fixed 64-bit number; the same for every instance.
const PARTITION_LOCK_KEY = 7_304_118_640;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const partitionName = (table: string, day: string): string => `${table}_p${day.replaceAll('-', '')}`;

export const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** Held shared by every ingest transaction; `dropPartitionsBefore` takes it exclusively. */
export async function lockRetentionShared(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [PARTITION_LOCK_KEY]);
}

/** The last day whose raw records were dropped (null: none yet). */
export async function prunedThrough(db: Queryable): Promise<string | null> {
  const { rows } = await db.query<{ day: string | null }>(`SELECT to_char(pruned_through, 'YYYY-MM-DD') AS day FROM usage_retention`);
  return rows[0]?.day ?? null;
}

/**
 * Creates the partitions of every raw table for these days, unless they exist. Days at or before
 * the pruned watermark are never created again (their records are too old); they are returned
 * in `pruned`.
 */
export async function ensureDayPartitions(pool: Pool, days: readonly string[]): Promise<{ ready: string[]; pruned: string[] }> {
  for (const day of days) if (!DAY.test(day)) throw new Error(`not a day: ${day}`);
  return withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
    const watermark = await prunedThrough(tx);
    const ready: string[] = [];
    const pruned: string[] = [];
    for (const day of [...new Set(days)].sort()) {
      if (watermark !== null && day <= watermark) {
        pruned.push(day);
        continue;
      }
      for (const table of RAW_USAGE_TABLES) {
        await tx.query(
          `CREATE TABLE IF NOT EXISTS ${pg.escapeIdentifier(partitionName(table, day))} PARTITION OF ${table}
           FOR VALUES FROM ('${day} 00:00:00+00') TO ('${nextDay(day)} 00:00:00+00')`,
        );
      }
      ready.push(day);
    }
    return { ready, pruned };
  });
}

/** Days that have a raw partition (of the calls table; the three are created together). */
export async function listPartitionDays(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'usage_calls'::regclass ORDER BY 1`,
  );
  return rows.map((r) => r.name.replace(/^.*_p(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3'));
}

/**
 * Drops the raw partitions of every day before `cutoffDay` and moves the watermark to the day
 * before it, in one transaction. Then forgets record ids that can no longer matter (see
 * docs/usage.md, "Retention"): those whose current version started more than one day before the
 * cutoff. Roll-ups are kept.
 */
export async function dropPartitionsBefore(pool: Pool, cutoffDay: string): Promise<{ droppedDays: string[]; forgottenIds: number }> {
  if (!DAY.test(cutoffDay)) throw new Error(`not a day: ${cutoffDay}`);
  const droppedDays = await withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
    const { rows } = await tx.query<{ name: string; day: string }>(
      `SELECT c.relname AS name, substring(c.relname FROM '_p(\\d{8})$') AS day
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = ANY($1::regclass[])`,
      [[...RAW_USAGE_TABLES]],
    );
    const cutoff = cutoffDay.replaceAll('-', '');
    const expired = rows.filter((r) => r.day < cutoff);
    for (const r of expired) await tx.query(`DROP TABLE ${pg.escapeIdentifier(r.name)}`);
    await tx.query(
      `UPDATE usage_retention SET pruned_through = GREATEST(pruned_through, $1::date - 1)`,
      [cutoffDay],
    );
    return [...new Set(expired.map((r) => `${r.day.slice(0, 4)}-${r.day.slice(4, 6)}-${r.day.slice(6)}`))].sort();
  });
  const { rowCount } = await pool.query(
    `DELETE FROM usage_record_versions WHERE started_at < ($1::date - 1)::timestamp AT TIME ZONE 'UTC'`,
    [cutoffDay],
  );
  return { droppedDays, forgottenIds: rowCount ?? 0 };
}
