import type { PoolClient } from '../db/pool.js';

/**
 * The dedup and version step of usage ingest (docs/usage.md "Exactly once"). A batch is staged in
 * a per-connection temporary table, then classified against usage_record_versions, the one
 * table that knows the current version of every record id:
 *
 * 1. ids not known yet are inserted (ON CONFLICT DO NOTHING, in id order): `accepted`;
 * 2. the others are locked (FOR UPDATE, in id order) and compared: a higher version is
 *    `corrected` (its old fields are kept on the stage row, so roll-ups subtract exactly what the
 *    predecessor added), the same is `duplicate`, a lower one `stale`;
 * 3. corrected ids take the new version; accepted and corrected versions go to the raw table.
 *
 * The id is claimed and the record written in the same transaction, so a failure after the claim
 * undoes the claim too (a retry is never counted as a duplicate of a write that did not happen).
 * Locks are taken in id order and before any roll-up row, so concurrent batches never deadlock.
 */

export type StageOutcome = 'accepted' | 'corrected' | 'duplicate' | 'stale' | 'moved';

/** A correction may move a record's start by at most this much (docs/usage.md "Retention"). */
export const MAX_START_MOVE_SECONDS = 86_400;

/** What every kind stages: the fields usage_record_versions keeps, and the parties. */
export interface StagedCommon {
  ord: number;
  id: string;
  version: number;
  trunkRowId: string;
  customerId: string;
  startedAt: string;
  outbound: boolean;
  cost: string;
  from: string | null;
  to: string | null;
}

export interface StagedCall extends StagedCommon {
  answeredAt: string | null;
  endedAt: string;
  billableSeconds: number;
  sipCode: number;
}

export interface StagedMessage extends StagedCommon {
  segments: number;
  status: string;
}

// ON COMMIT DELETE ROWS: every transaction starts with an empty stage, and a failed one leaves
// nothing behind. One per connection, created by its first batch (IF NOT EXISTS each time: a
// rolled-back first batch takes the table with it); a temporary table writes no WAL. Room on each
// page keeps the outcome updates HOT (no index entries).
async function prepareStage(tx: PoolClient): Promise<void> {
  await tx.query(`CREATE TEMP TABLE IF NOT EXISTS usage_stage (
    ord integer NOT NULL,
    kind "char" NOT NULL,
    record_id text PRIMARY KEY,
    version integer NOT NULL,
    trunk_id bigint NOT NULL,
    customer_id bigint NOT NULL,
    started_at timestamptz NOT NULL,
    outbound boolean NOT NULL,
    ok boolean NOT NULL,
    billable_seconds integer NOT NULL,
    cost numeric NOT NULL,
    answered_at timestamptz, ended_at timestamptz, sip_code smallint,
    segments integer, status text, from_number text, to_number text,
    outcome text,
    old_version integer, old_trunk_id bigint, old_customer_id bigint, old_started_at timestamptz,
    old_outbound boolean, old_ok boolean, old_billable_seconds integer, old_cost numeric
  ) WITH (fillfactor = 50) ON COMMIT DELETE ROWS`);
}

// `ok` (answered / not failed) is derived here and in recompute from the same raw columns.
export const CALL_OK_SQL = 'answered_at IS NOT NULL';
export const MESSAGE_OK_SQL = `status <> 'failed'`;

// A batch travels as one JSON parameter, unpacked by json_to_recordset: cheaper on both sides
// than one array parameter per column.
const common = (r: StagedCommon) => ({
  ord: r.ord,
  record_id: r.id,
  version: r.version,
  trunk_id: r.trunkRowId,
  customer_id: r.customerId,
  started_at: r.startedAt,
  outbound: r.outbound,
  cost: r.cost,
  from_number: r.from,
  to_number: r.to,
});

const COMMON_COLUMNS = 'ord, record_id, version, trunk_id, customer_id, started_at, outbound, cost, from_number, to_number';
const COMMON_TYPES = `ord int, record_id text, version int, trunk_id bigint, customer_id bigint, started_at timestamptz, outbound boolean,
  cost numeric, from_number text, to_number text`;

export async function stageCalls(tx: PoolClient, rows: readonly StagedCall[]): Promise<void> {
  await prepareStage(tx);
  const json = rows.map((r) => ({ ...common(r), answered_at: r.answeredAt, ended_at: r.endedAt, billable_seconds: r.billableSeconds, sip_code: r.sipCode }));
  await tx.query(
    `INSERT INTO usage_stage (kind, ok, ${COMMON_COLUMNS}, answered_at, ended_at, billable_seconds, sip_code)
     SELECT 'c', ${CALL_OK_SQL}, ${COMMON_COLUMNS}, answered_at, ended_at, billable_seconds, sip_code
     FROM json_to_recordset($1::json) AS u(${COMMON_TYPES}, answered_at timestamptz, ended_at timestamptz, billable_seconds int, sip_code smallint)`,
    [JSON.stringify(json)],
  );
}

export async function stageMessages(tx: PoolClient, rows: readonly StagedMessage[]): Promise<void> {
  await prepareStage(tx);
  const json = rows.map((r) => ({ ...common(r), segments: r.segments, status: r.status }));
  await tx.query(
    `INSERT INTO usage_stage (kind, ok, billable_seconds, ${COMMON_COLUMNS}, segments, status)
     SELECT 'm', ${MESSAGE_OK_SQL}, 0, ${COMMON_COLUMNS}, segments, status
     FROM json_to_recordset($1::json) AS u(${COMMON_TYPES}, segments int, status text)`,
    [JSON.stringify(json)],
  );
}

const REGISTRY_COLUMNS = 'kind, record_id, version, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost';

/** Steps 1 and 2; returns how many staged rows got their outcome. */
async function classifyOnce(tx: PoolClient): Promise<number> {
  const claimed = await tx.query(
    `WITH claimed AS (
       INSERT INTO usage_record_versions (${REGISTRY_COLUMNS})
       SELECT ${REGISTRY_COLUMNS} FROM usage_stage WHERE outcome IS NULL ORDER BY kind, record_id
       ON CONFLICT (kind, record_id) DO NOTHING
       RETURNING record_id)
     UPDATE usage_stage s SET outcome = 'accepted' FROM claimed WHERE s.record_id = claimed.record_id`,
  );
  // A new statement, so a new snapshot: it sees every id a concurrent batch committed while the
  // insert above waited for it.
  const compared = await tx.query(
    `WITH current AS (
       SELECT v.* FROM usage_record_versions v JOIN usage_stage s ON s.kind = v.kind AND s.record_id = v.record_id
       WHERE s.outcome IS NULL ORDER BY v.kind, v.record_id FOR UPDATE OF v)
     UPDATE usage_stage s SET
       outcome = CASE
         WHEN s.version > c.version AND abs(extract(epoch FROM s.started_at - c.started_at)) > ${MAX_START_MOVE_SECONDS} THEN 'moved'
         WHEN s.version > c.version THEN 'corrected'
         WHEN s.version = c.version THEN 'duplicate'
         ELSE 'stale' END,
       old_version = c.version, old_trunk_id = c.trunk_id, old_customer_id = c.customer_id, old_started_at = c.started_at,
       old_outbound = c.outbound, old_ok = c.ok, old_billable_seconds = c.billable_seconds, old_cost = c.cost
     FROM current c WHERE s.record_id = c.record_id`,
  );
  return (claimed.rowCount ?? 0) + (compared.rowCount ?? 0);
}

export interface StageSummary {
  counts: Record<StageOutcome, number>;
  /** `ord` of the rows whose correction moved the start too far (rejected). */
  movedOrds: number[];
}

/**
 * Classifies the staged batch and records accepted and corrected versions (registry and raw).
 * An id can vanish between the two steps only if retention forgets it at that moment; such a row
 * is classified again.
 */
export async function applyStagedVersions(tx: PoolClient, raw: 'calls' | 'messages', stagedCount: number): Promise<StageSummary> {
  let undecided = stagedCount;
  for (let attempt = 0; undecided > 0; attempt++) {
    if (attempt >= 3) throw new Error('usage records could not be classified');
    undecided -= await classifyOnce(tx);
  }
  await tx.query(
    `UPDATE usage_record_versions v SET version = s.version, trunk_id = s.trunk_id, customer_id = s.customer_id,
       started_at = s.started_at, outbound = s.outbound, ok = s.ok, billable_seconds = s.billable_seconds, cost = s.cost
     FROM usage_stage s WHERE s.outcome = 'corrected' AND v.kind = s.kind AND v.record_id = s.record_id`,
  );
  await tx.query(
    raw === 'calls'
      ? `INSERT INTO usage_calls (call_id, version, trunk_id, customer_id, outbound, started_at, answered_at, ended_at,
           billable_seconds, sip_code, cost, from_number, to_number)
         SELECT record_id, version, trunk_id, customer_id, outbound, started_at, answered_at, ended_at,
           billable_seconds, sip_code, cost, from_number, to_number
         FROM usage_stage WHERE outcome IN ('accepted', 'corrected')`
      : `INSERT INTO usage_messages (message_id, version, trunk_id, customer_id, outbound, sent_at, segments, status, cost, from_number, to_number)
         SELECT record_id, version, trunk_id, customer_id, outbound, started_at, segments, status, cost, from_number, to_number
         FROM usage_stage WHERE outcome IN ('accepted', 'corrected')`,
  );
  const { rows } = await tx.query<{ outcome: StageOutcome; n: number; ords: number[] | null }>(
    `SELECT outcome, count(*)::int AS n, array_agg(ord) FILTER (WHERE outcome = 'moved') AS ords FROM usage_stage GROUP BY outcome`,
  );
  const counts: Record<StageOutcome, number> = { accepted: 0, corrected: 0, duplicate: 0, stale: 0, moved: 0 };
  let movedOrds: number[] = [];
  for (const row of rows) {
    counts[row.outcome] = row.n;
    if (row.ords) movedOrds = row.ords;
  }
  return { counts, movedOrds };
}
