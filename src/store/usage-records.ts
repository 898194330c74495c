import { bigintArray, booleanArray, decimalArray, numberArray, textArray } from '../db/array-literals.js';
import { hasPgCode, PG_ERROR, type Queryable } from '../db/pool.js';
import { currencyDaysStep } from './usage-currencies.js';
import { rollupSteps } from './usage-rollups.js';

/**
 * The ingest statement of call and message records (docs/usage.md "Exactly once", "Roll-ups"):
 * one SQL statement per request, run on its own (its own transaction, committed before the
 * statement returns), that classifies every record against usage_record_versions, the one table
 * that knows the current version of every record id, writes the registry and the raw rows, and
 * moves every roll-up level by the request's signed contributions.
 *
 * Why one statement: the hottest rows (the current trunk-hours, customer-days and -months, the
 * customers' month-to-date figures) are locked from the first roll-up upsert until commit, and
 * every concurrent request wants them. Sent as one statement, that stretch contains no round
 * trip to the service and no wait for its event loop: the locks are held for the upserts and
 * the commit's WAL flush only. The registry and raw writes come first and hold no shared row.
 *
 * Steps, in this order (each step's input waits for the previous one to finish, see `fence`):
 * 1. `prior`: the current version of every id of the request that is known, locked in id order
 *    (FOR UPDATE reads the latest committed version, even one newer than the statement snapshot),
 *    one primary-key probe per id (a LATERAL subquery);
 * 2. `decided`: each record's outcome — `accepted` (unknown id), `corrected` (higher version),
 *    `duplicate` (same), `stale` (lower), `moved` (a correction moving the start more than
 *    24 h: rejected), `too_old` (its day's raw partition was dropped: rejected);
 * 3. accepted ids are inserted (a plain INSERT: an id that a concurrent request committed after
 *    this statement's snapshot is a unique violation, and `applyBatch` runs the statement again,
 *    which then sees it), corrected ids take their new version (an upsert whose conflict is
 *    certain: the row is locked since step 1), both go to the raw table;
 * 4. the roll-ups (usage-rollups.ts), from the predecessor's fields kept in the registry: a
 *    correction subtracts exactly what its predecessor added, wherever that was;
 * 5. the customer-days with usage in a currency other than USD (usage-currencies.ts), the same
 *    way; an ordinary all-USD request writes nothing there.
 *
 * Every registry access goes through its primary key, one id at a time, by the form of the SQL
 * rather than the planner's choice: the registry grows by thousands of ids a second and its
 * statistics lag, and a join or `= ANY(ids)` was planned as a scan of every call id (O(registry)
 * per statement; test/usage/ingest-plan.test.ts). An upsert always probes its arbiter index.
 *
 * A failure anywhere leaves nothing of the request: the statement is all or nothing, so a
 * claimed id never outlives a failed write (the claim and the write are one statement).
 *
 * Retention needs no lock here: a partition is dropped under an ACCESS EXCLUSIVE lock on its raw
 * table, which this statement's INSERT conflicts with from before it takes its snapshot, so the
 * `pruned_through` it reads is never older than the partitions it writes to.
 */

export type BatchOutcome = 'accepted' | 'corrected' | 'duplicate' | 'stale' | 'moved' | 'too_old';

/** A correction may move a record's start by at most this much (docs/usage.md "Retention"). */
export const MAX_START_MOVE_SECONDS = 86_400;

// `ok` (answered / not failed) is derived here and in recompute from the same raw columns.
export const CALL_OK_SQL = 'answered_at IS NOT NULL';
export const MESSAGE_OK_SQL = `status <> 'failed'`;

/** What every kind sends, one array per column (index i of each is record i of the batch). */
export interface VersionedColumns {
  /** Which request of the statement the record belongs to: 0, 1, … (requests are merged, ingest.ts). */
  request: number[];
  /** The record's index in its request. */
  ord: number[];
  recordId: string[];
  version: number[];
  trunkRowId: string[];
  customerId: string[];
  /** Epoch milliseconds. */
  startedMs: number[];
  outbound: boolean[];
  cost: string[];
  /** ISO 4217 code of each cost. */
  currency: string[];
  from: Array<string | null>;
  to: Array<string | null>;
}

export interface CallColumns extends VersionedColumns {
  answeredMs: Array<number | null>;
  endedMs: number[];
  billableSeconds: number[];
  sipCode: number[];
}

export interface MessageColumns extends VersionedColumns {
  segments: number[];
  status: string[];
}

/** The outcomes of one request of the statement. */
export interface BatchSummary {
  counts: Record<BatchOutcome, number>;
  /** `ord` of the records rejected by the database: `moved` and `too_old`. */
  rejectedOrds: { moved: number[]; tooOld: number[] };
}

const epoch = (column: string): string => `timestamptz 'epoch' + ${column} * interval '1 millisecond'`;

/** One input column: its name in the statement, its array type, and how a batch's values are written. */
interface Column<C> {
  name: string;
  type: string;
  literal(columns: C): string;
}

const COMMON: ReadonlyArray<Column<VersionedColumns>> = [
  { name: 'request', type: 'int[]', literal: (c) => numberArray(c.request) },
  { name: 'ord', type: 'int[]', literal: (c) => numberArray(c.ord) },
  { name: 'record_id', type: 'text[]', literal: (c) => textArray(c.recordId) },
  { name: 'version', type: 'int[]', literal: (c) => numberArray(c.version) },
  { name: 'trunk_id', type: 'bigint[]', literal: (c) => bigintArray(c.trunkRowId) },
  { name: 'customer_id', type: 'bigint[]', literal: (c) => bigintArray(c.customerId) },
  { name: 'started_ms', type: 'bigint[]', literal: (c) => numberArray(c.startedMs) },
  { name: 'outbound', type: 'boolean[]', literal: (c) => booleanArray(c.outbound) },
  { name: 'cost', type: 'numeric[]', literal: (c) => decimalArray(c.cost) },
  { name: 'currency', type: 'text[]', literal: (c) => textArray(c.currency) },
  { name: 'from_number', type: 'text[]', literal: (c) => textArray(c.from) },
  { name: 'to_number', type: 'text[]', literal: (c) => textArray(c.to) },
];
// $1 is the time that decides what is late and which month is current; the columns follow.
const NOW = '$1';

/** `unnest($2::int[], …) AS u(request, …)` over the common columns and the kind's own. */
const unnestAll = (own: ReadonlyArray<{ name: string; type: string }>): string => {
  const all = [...COMMON, ...own];
  return `unnest(${all.map((c, i) => `$${i + 2}::${c.type}`).join(', ')}) AS u(${all.map((c) => c.name).join(', ')})`;
};

interface KindSql<C extends VersionedColumns> {
  kind: 'c' | 'm';
  own: ReadonlyArray<Column<C>>;
  /** The batch: the common columns (started_at, ok, billable_seconds included) plus the raw table's own. */
  batch: string;
  /** INSERT of the accepted and corrected versions into the raw table, from `decided`. */
  rawInsert: string;
}

const CALL_COLUMNS: ReadonlyArray<Column<CallColumns>> = [
  { name: 'answered_ms', type: 'bigint[]', literal: (c) => numberArray(c.answeredMs) },
  { name: 'ended_ms', type: 'bigint[]', literal: (c) => numberArray(c.endedMs) },
  { name: 'billable_seconds', type: 'int[]', literal: (c) => numberArray(c.billableSeconds) },
  { name: 'sip_code', type: 'smallint[]', literal: (c) => numberArray(c.sipCode) },
];

const CALLS: KindSql<CallColumns> = {
  kind: 'c',
  own: CALL_COLUMNS,
  batch: `SELECT *, ${CALL_OK_SQL} AS ok FROM (
      SELECT request, ord, record_id, version, trunk_id, customer_id, ${epoch('started_ms')} AS started_at, outbound, billable_seconds, cost, currency,
        from_number, to_number, ${epoch('answered_ms')} AS answered_at, ${epoch('ended_ms')} AS ended_at, sip_code
      FROM ${unnestAll(CALL_COLUMNS)}) calls`,
  rawInsert: `INSERT INTO usage_calls (call_id, version, trunk_id, customer_id, outbound, started_at, answered_at, ended_at,
      billable_seconds, sip_code, cost, from_number, to_number)
    SELECT record_id, version, trunk_id, customer_id, outbound, started_at, answered_at, ended_at,
      billable_seconds, sip_code, cost, from_number, to_number
    FROM decided WHERE outcome IN ('accepted', 'corrected') RETURNING 1`,
};

const MESSAGE_COLUMNS: ReadonlyArray<Column<MessageColumns>> = [
  { name: 'segments', type: 'int[]', literal: (c) => numberArray(c.segments) },
  { name: 'status', type: 'text[]', literal: (c) => textArray(c.status) },
];

const MESSAGES: KindSql<MessageColumns> = {
  kind: 'm',
  own: MESSAGE_COLUMNS,
  batch: `SELECT request, ord, record_id, version, trunk_id, customer_id, ${epoch('started_ms')} AS started_at, outbound, ${MESSAGE_OK_SQL} AS ok,
      0 AS billable_seconds, cost, currency, from_number, to_number, segments, status
    FROM ${unnestAll(MESSAGE_COLUMNS)}`,
  rawInsert: `INSERT INTO usage_messages (message_id, version, trunk_id, customer_id, outbound, sent_at, segments, status, cost, from_number, to_number)
    SELECT record_id, version, trunk_id, customer_id, outbound, started_at, segments, status, cost, from_number, to_number
    FROM decided WHERE outcome IN ('accepted', 'corrected') RETURNING 1`,
};

const VERSION_FIELDS = ['version', 'trunk_id', 'customer_id', 'started_at', 'outbound', 'ok', 'billable_seconds', 'cost', 'currency'] as const;

/**
 * `WHERE (SELECT count(*) FROM step) >= 0`: a condition that does not depend on the row, so
 * PostgreSQL evaluates it once, before the first row, and that runs `step` to completion first.
 * The order of the steps is therefore the order of their locks (docs/usage.md "Lock order").
 */
const fence = (...steps: string[]): string => steps.map((s) => `(SELECT count(*) FROM ${s}) >= 0`).join(' AND ');

function statement<C extends VersionedColumns>(k: KindSql<C>): string {
  return `WITH batch AS MATERIALIZED (${k.batch}),
  retention AS MATERIALIZED (SELECT (SELECT pruned_through FROM usage_retention) AS pruned_through),
  prior AS MATERIALIZED (
    SELECT v.* FROM (SELECT record_id FROM batch ORDER BY record_id) b
    CROSS JOIN LATERAL (
      SELECT v.record_id, ${VERSION_FIELDS.map((f) => `v.${f}`).join(', ')}
      FROM usage_record_versions v WHERE v.kind = '${k.kind}' AND v.record_id = b.record_id FOR UPDATE) v),
  decided AS MATERIALIZED (
    SELECT b.*, ${VERSION_FIELDS.map((f) => `p.${f} AS old_${f}`).join(', ')},
      CASE WHEN r.pruned_through IS NOT NULL AND b.started_at < (r.pruned_through + 1)::timestamp AT TIME ZONE 'UTC' THEN 'too_old'
        WHEN p.version IS NULL THEN 'accepted'
        WHEN b.version > p.version AND abs(extract(epoch FROM b.started_at - p.started_at)) > ${MAX_START_MOVE_SECONDS} THEN 'moved'
        WHEN b.version > p.version THEN 'corrected'
        WHEN b.version = p.version THEN 'duplicate'
        ELSE 'stale' END AS outcome
    FROM batch b CROSS JOIN retention r LEFT JOIN prior p ON p.record_id = b.record_id
    WHERE ${fence('prior')}),
  claimed AS (
    INSERT INTO usage_record_versions (kind, record_id, ${VERSION_FIELDS.join(', ')})
    SELECT '${k.kind}', record_id, ${VERSION_FIELDS.join(', ')} FROM decided WHERE outcome = 'accepted' ORDER BY record_id
    RETURNING 1),
  superseded AS (
    INSERT INTO usage_record_versions AS v (kind, record_id, ${VERSION_FIELDS.join(', ')})
    SELECT '${k.kind}', record_id, ${VERSION_FIELDS.join(', ')} FROM decided WHERE outcome = 'corrected' ORDER BY record_id
    ON CONFLICT (kind, record_id) DO UPDATE SET ${VERSION_FIELDS.map((f) => `${f} = excluded.${f}`).join(', ')}
    RETURNING 1),
  raw AS (${k.rawInsert}),
  contributions AS (
    SELECT '${k.kind}'::"char" AS kind, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost, 1 AS sign
    FROM decided WHERE outcome IN ('accepted', 'corrected')
    UNION ALL
    SELECT '${k.kind}', old_trunk_id, old_customer_id, old_started_at, old_outbound, old_ok, old_billable_seconds, old_cost, -1
    FROM decided WHERE outcome = 'corrected'),
  ${rollupSteps({ contributions: 'contributions', nowParam: NOW, after: fence('claimed', 'superseded', 'raw'), fence })},
  ${currencyDaysStep({ decided: 'decided', after: fence('month_to_date') })}
  SELECT request, outcome, count(*)::int AS n, array_agg(ord) FILTER (WHERE outcome IN ('moved', 'too_old')) AS ords
  FROM decided WHERE ${fence('currency_days')} GROUP BY request, outcome`;
}

const CALLS_SQL = statement(CALLS);
const MESSAGES_SQL = statement(MESSAGES);

const params = <C extends VersionedColumns>(k: KindSql<C>, columns: C, nowIso: string): string[] => [
  nowIso,
  ...COMMON.map((c) => c.literal(columns)),
  ...k.own.map((c) => c.literal(columns)),
];

// A concurrent request committed one of these ids after this statement's snapshot; the next
// attempt sees it. Each attempt that fails this way found one more committed id, so a few suffice.
const ATTEMPTS = 5;

async function applyBatch(db: Queryable, name: string, text: string, values: unknown[], requests: number): Promise<BatchSummary[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await db.query<{ request: number; outcome: BatchOutcome; n: number; ords: number[] | null }>({ name, text, values });
      const summaries = Array.from({ length: requests }, (): BatchSummary => ({
        counts: { accepted: 0, corrected: 0, duplicate: 0, stale: 0, moved: 0, too_old: 0 },
        rejectedOrds: { moved: [], tooOld: [] },
      }));
      for (const row of rows) {
        const summary = summaries[row.request]!;
        summary.counts[row.outcome] = row.n;
        if (row.outcome === 'moved') summary.rejectedOrds.moved = row.ords ?? [];
        if (row.outcome === 'too_old') summary.rejectedOrds.tooOld = row.ords ?? [];
      }
      return summaries;
    } catch (error) {
      const raced = hasPgCode(error, PG_ERROR.uniqueViolation) && (error as { constraint?: string }).constraint === 'usage_record_versions_pkey';
      if (!raced || attempt >= ATTEMPTS) throw error;
    }
  }
}

/**
 * Applies the call records of `requests` requests (one record per id: the caller keeps the highest
 * version of each) and commits them; returns each request's outcomes.
 */
export function applyCallBatch(db: Queryable, columns: CallColumns, requests: number, nowIso: string): Promise<BatchSummary[]> {
  return applyBatch(db, 'usage-calls', CALLS_SQL, params(CALLS, columns, nowIso), requests);
}

/** Applies the message records of `requests` requests (one per id) and commits them. */
export function applyMessageBatch(db: Queryable, columns: MessageColumns, requests: number, nowIso: string): Promise<BatchSummary[]> {
  return applyBatch(db, 'usage-messages', MESSAGES_SQL, params(MESSAGES, columns, nowIso), requests);
}
