import { type Pool, withTransaction } from '../db/pool.js';
import { findTrunkOwners } from '../store/trunks.js';
import { applyCallBatch, applyMessageBatch, type BatchSummary, type CallColumns, type MessageColumns, type VersionedColumns } from '../store/usage-records.js';
import { applySamples, type SampleRow } from '../store/usage-rollups.js';
import { DAY_MS, dayStartMs, retentionCutoffDay, utcDay } from './days.js';
import { createMergeQueue, type MergeQueue } from './merge-queue.js';
import type { UsageMetrics } from './metrics.js';
import { createPartitionKeeper, type PartitionKeeper } from './partitions.js';
import { type CallRecord, type MessageRecord, type Parsed, parseCall, parseMessage, parseSample, type RecordError } from './records.js';

/**
 * Usage ingest (docs/usage.md): validate each record on its own, resolve its trunk, check its
 * time window, then commit the request at once: dedup and versions, raw rows, every roll-up level
 * and the customers' month-to-date figures (one statement for calls and messages,
 * usage-records.ts, shared with the requests that arrived meanwhile, merge-queue.ts). The answer
 * is sent after the commit; a failure anywhere leaves nothing of the request behind.
 */

export const MAX_RECORDS_PER_REQUEST = 10_000;
const FUTURE_TOLERANCE_MS = 3_600_000;
/** Statements of one kind running at once per process; the requests arriving meanwhile are merged. */
const STATEMENTS_IN_FLIGHT = 2;
const MAX_MERGED_RECORDS = MAX_RECORDS_PER_REQUEST;
/** How long a small statement waits for the rest of a burst while another one runs (merge-queue.ts). */
const LINGER_MS = 15;

export interface RejectedRecord {
  index: number;
  id: string | null;
  errors: RecordError[];
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  corrected: number;
  stale: number;
  rejected: RejectedRecord[];
}

type UsageKind = 'calls' | 'messages' | 'samples';
type Outcome = IngestResult;

interface Candidate<R> {
  index: number;
  record: R;
  trunkRowId: string;
  customerId: string;
}

/** The requests' records that reach the database: in a merge-queue statement, one request's. */
type Submission<R> = ReadonlyArray<Candidate<R>>;

export interface IngestDeps {
  pool: Pool;
  retentionDays: number;
  partitions: PartitionKeeper;
  calls: MergeQueue<Submission<CallRecord>, Outcome>;
  messages: MergeQueue<Submission<MessageRecord>, Outcome>;
  metrics?: UsageMetrics | undefined;
  /** Epoch milliseconds; injectable so tests control "too old" and "late". */
  now?: () => number;
}

interface KindSpec<R> {
  kind: UsageKind;
  parse(input: unknown): Parsed<R>;
  idOf(record: R): string | null;
  trunkIdOf(record: R): string;
  startMs(record: R): number;
  endMs(record: R): number;
  /** Applies and commits the request's records; resolves with the outcomes. */
  submit(deps: IngestDeps, candidates: Submission<R>): Promise<Outcome>;
}

const reject = (index: number, id: string | null, code: string, message: string, field?: string): RejectedRecord => ({
  index,
  id,
  errors: [{ code, message, ...(field ? { field } : {}) }],
});

const noOutcome = (): Outcome => ({ accepted: 0, duplicates: 0, corrected: 0, stale: 0, rejected: [] });
const dayNumber = (ms: number): number => Math.floor(ms / DAY_MS);

async function ingest<R>(deps: IngestDeps, spec: KindSpec<R>, inputs: readonly unknown[]): Promise<IngestResult> {
  const receivedMs = Date.now();
  const nowMs = deps.now?.() ?? receivedMs;
  const rejected: RejectedRecord[] = [];
  const parsed: Array<{ index: number; record: R }> = [];
  inputs.forEach((input, index) => {
    const result = spec.parse(input);
    if (result.ok) parsed.push({ index, record: result.value });
    else rejected.push({ index, id: result.id, errors: result.errors });
  });

  const trunks = new Map((await findTrunkOwners(deps.pool, [...new Set(parsed.map((p) => spec.trunkIdOf(p.record)))])).map((t) => [t.trunkId, t]));
  const cutoffDay = retentionCutoffDay(nowMs, deps.retentionDays);
  const firstKeptDay = dayNumber(dayStartMs(cutoffDay));
  const inWindow: Array<Candidate<R>> = [];
  for (const { index, record } of parsed) {
    const trunk = trunks.get(spec.trunkIdOf(record));
    const id = spec.idOf(record);
    if (!trunk) rejected.push(reject(index, id, 'unknown_trunk', `no trunk ${spec.trunkIdOf(record)}`, 'trunkId'));
    else if (trunk.deletedAtMs !== null && spec.startMs(record) >= trunk.deletedAtMs) {
      rejected.push(reject(index, id, 'trunk_deleted', 'the trunk was deleted before this record started', 'trunkId'));
    } else if (spec.endMs(record) > nowMs + FUTURE_TOLERANCE_MS) {
      rejected.push(reject(index, id, 'in_future', 'the record ends more than 1 hour in the future'));
    } else if (dayNumber(spec.startMs(record)) < firstKeptDay) {
      rejected.push(reject(index, id, 'too_old', `records before ${cutoffDay} are past the raw retention`));
    } else inWindow.push({ index, record, trunkRowId: trunk.id, customerId: trunk.customerId });
  }
  const days = new Set(inWindow.map((c) => dayNumber(spec.startMs(c.record))));
  const pruned = new Set([...(await deps.partitions.ensure([...days].map((d) => utcDay(d * DAY_MS))))].map((d) => dayNumber(dayStartMs(d))));
  const live = pruned.size === 0 ? inWindow : inWindow.filter((c) => {
    if (!pruned.has(dayNumber(spec.startMs(c.record)))) return true;
    rejected.push(reject(c.index, spec.idOf(c.record), 'too_old', 'the raw records of this day were already dropped'));
    return false;
  });

  const outcome = live.length > 0 ? await spec.submit(deps, live) : noOutcome();
  const result = { ...outcome, rejected: [...rejected, ...outcome.rejected].sort((a, b) => a.index - b.index) };
  deps.metrics?.recorded(spec.kind, result, {
    committedMs: Date.now(),
    receivedMs,
    recordEndsMs: inWindow.map((c) => spec.endMs(c.record)),
  });
  return result;
}

/**
 * The records of several requests that reach the database: one per key (a statement may touch a
 * row once), the highest-ranked. The others are duplicates (same rank) or stale (lower), counted
 * in their own request's outcome, as if the requests had come one after the other.
 */
function collapse<R>(submissions: ReadonlyArray<Submission<R>>, keyOf: (r: R) => string, rank: (r: R) => number, outcomes: Outcome[]) {
  const winners = new Map<string, { request: number; candidate: Candidate<R> }>();
  submissions.forEach((candidates, request) => {
    for (const candidate of candidates) {
      const key = keyOf(candidate.record);
      const best = winners.get(key);
      if (!best) winners.set(key, { request, candidate });
      else if (rank(candidate.record) > rank(best.candidate.record)) {
        outcomes[best.request]!.stale++;
        winners.set(key, { request, candidate });
      } else if (rank(candidate.record) === rank(best.candidate.record)) outcomes[request]!.duplicates++;
      else outcomes[request]!.stale++;
    }
  });
  return [...winners.values()];
}

type VersionedRecord = { id: string; version: number; outbound: boolean; cost: string; currency: string; from: string | null; to: string | null };
type Winner<R> = { request: number; candidate: Candidate<R> };

/** The columns every versioned kind sends, one row per winner; `startMs` is the record's start. */
function versionedColumns<R extends VersionedRecord>(winners: ReadonlyArray<Winner<R>>, startMs: (r: R) => number): VersionedColumns {
  const columns: VersionedColumns = { request: [], ord: [], recordId: [], version: [], trunkRowId: [], customerId: [], startedMs: [], outbound: [], cost: [], currency: [], from: [], to: [] };
  for (const { request, candidate } of winners) {
    const { index, record } = candidate;
    columns.request.push(request);
    columns.ord.push(index);
    columns.recordId.push(record.id);
    columns.version.push(record.version);
    columns.trunkRowId.push(candidate.trunkRowId);
    columns.customerId.push(candidate.customerId);
    columns.startedMs.push(startMs(record));
    columns.outbound.push(record.outbound);
    columns.cost.push(record.cost);
    columns.currency.push(record.currency);
    columns.from.push(record.from);
    columns.to.push(record.to);
  }
  return columns;
}

/** Adds the database's outcomes of one request; it rejects a correction that moved the start too far, and records of a dropped day. */
function addSummary(outcome: Outcome, summary: BatchSummary, submission: Submission<VersionedRecord>): void {
  outcome.accepted += summary.counts.accepted;
  outcome.corrected += summary.counts.corrected;
  outcome.duplicates += summary.counts.duplicate;
  outcome.stale += summary.counts.stale;
  if (summary.rejectedOrds.moved.length + summary.rejectedOrds.tooOld.length === 0) return;
  const idAt = new Map(submission.map((c) => [c.index, c.record.id]));
  for (const ord of summary.rejectedOrds.moved) {
    outcome.rejected.push(reject(ord, idAt.get(ord) ?? null, 'start_moved', 'a correction may move the start of a record by at most 24 hours', 'startedAt'));
  }
  for (const ord of summary.rejectedOrds.tooOld) outcome.rejected.push(reject(ord, idAt.get(ord) ?? null, 'too_old', 'the raw records of this day were already dropped'));
}

/** One statement for the merged requests of a versioned kind (calls, messages). */
async function applyVersioned<R extends VersionedRecord, C extends VersionedColumns>(
  deps: Pick<IngestDeps, 'pool' | 'now'>,
  submissions: ReadonlyArray<Submission<R>>,
  columnsOf: (winners: ReadonlyArray<Winner<R>>) => C,
  apply: (pool: Pool, columns: C, requests: number, nowIso: string) => Promise<BatchSummary[]>,
): Promise<Outcome[]> {
  const outcomes = submissions.map(noOutcome);
  const winners = collapse(submissions, (r) => r.id, (r) => r.version, outcomes);
  const summaries = await apply(deps.pool, columnsOf(winners), submissions.length, new Date(deps.now?.() ?? Date.now()).toISOString());
  summaries.forEach((summary, request) => addSummary(outcomes[request]!, summary, submissions[request]!));
  return outcomes;
}

const callColumns = (winners: ReadonlyArray<Winner<CallRecord>>): CallColumns => {
  const columns: CallColumns = { ...versionedColumns(winners, (r) => r.startedAtMs), answeredMs: [], endedMs: [], billableSeconds: [], sipCode: [] };
  for (const { candidate: { record } } of winners) {
    columns.answeredMs.push(record.answeredAtMs);
    columns.endedMs.push(record.endedAtMs);
    columns.billableSeconds.push(record.billableSeconds);
    columns.sipCode.push(record.sipCode);
  }
  return columns;
};

const messageColumns = (winners: ReadonlyArray<Winner<MessageRecord>>): MessageColumns => {
  const columns: MessageColumns = { ...versionedColumns(winners, (r) => r.sentAtMs), segments: [], status: [] };
  for (const { candidate: { record } } of winners) {
    columns.segments.push(record.segments);
    columns.status.push(record.status);
  }
  return columns;
};

export interface IngestOptions {
  pool: Pool;
  retentionDays: number;
  metrics?: UsageMetrics | undefined;
  now?: () => number;
  /** Statements of one kind at once (default 2); requests beyond wait and are merged. */
  statementsInFlight?: number;
}

/** What a process shares between all its requests (one per service instance). */
export function createIngestDeps(options: IngestOptions): IngestDeps {
  const queue = { maxInFlight: options.statementsInFlight ?? STATEMENTS_IN_FLIGHT, maxMergedSize: MAX_MERGED_RECORDS, lingerMs: LINGER_MS };
  return {
    ...options,
    partitions: createPartitionKeeper(options.pool),
    calls: createMergeQueue((submissions) => applyVersioned(options, submissions, callColumns, applyCallBatch), queue),
    messages: createMergeQueue((submissions) => applyVersioned(options, submissions, messageColumns, applyMessageBatch), queue),
  };
}

const CALLS: KindSpec<CallRecord> = {
  kind: 'calls',
  parse: parseCall,
  idOf: (r) => r.id,
  trunkIdOf: (r) => r.trunkId,
  startMs: (r) => r.startedAtMs,
  endMs: (r) => r.endedAtMs,
  submit: (deps, candidates) => deps.calls.submit(candidates, candidates.length),
};

const MESSAGES: KindSpec<MessageRecord> = {
  kind: 'messages',
  parse: parseMessage,
  idOf: (r) => r.id,
  trunkIdOf: (r) => r.trunkId,
  startMs: (r) => r.sentAtMs,
  endMs: (r) => r.sentAtMs,
  submit: (deps, candidates) => deps.messages.submit(candidates, candidates.length),
};

type Sample = { trunkId: string; atMs: number; activeCalls: number };

const SAMPLES: KindSpec<Sample> = {
  kind: 'samples',
  parse: parseSample,
  idOf: () => null,
  trunkIdOf: (r) => r.trunkId,
  startMs: (r) => r.atMs,
  endMs: (r) => r.atMs,
  // Samples are few and small: their own transaction, no merging. A reading is its trunk and
  // time; a second report of it counts only if it is higher.
  async submit(deps, candidates) {
    const outcome = noOutcome();
    const winners = collapse([candidates], (r) => `${r.trunkId}@${r.atMs}`, (r) => r.activeCalls, [outcome]);
    const rows: SampleRow[] = winners.map(({ candidate: c }) => ({ trunkRowId: c.trunkRowId, customerId: c.customerId, at: new Date(c.record.atMs).toISOString(), activeCalls: c.record.activeCalls }));
    const applied = await withTransaction(deps.pool, (tx) => applySamples(tx, rows));
    return { ...outcome, accepted: applied.accepted, corrected: applied.corrected, duplicates: outcome.duplicates + applied.duplicate, stale: outcome.stale + applied.stale };
  },
};

export const ingestCalls = (deps: IngestDeps, records: readonly unknown[]): Promise<IngestResult> => ingest(deps, CALLS, records);
export const ingestMessages = (deps: IngestDeps, records: readonly unknown[]): Promise<IngestResult> => ingest(deps, MESSAGES, records);
export const ingestSamples = (deps: IngestDeps, samples: readonly unknown[]): Promise<IngestResult> => ingest(deps, SAMPLES, samples);
export type { UsageKind };
