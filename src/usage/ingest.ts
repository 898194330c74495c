import { type Pool, type PoolClient, withTransaction } from '../db/pool.js';
import { findTrunks } from '../store/trunks.js';
import { lockRetentionShared, prunedThrough } from '../store/usage-partitions.js';
import { applyStagedVersions, type StagedCall, type StagedCommon, type StagedMessage, stageCalls, stageMessages } from '../store/usage-records.js';
import { applySamples, applyStagedRollups, type SampleRow } from '../store/usage-rollups.js';
import { retentionCutoffDay, utcDay } from './days.js';
import type { UsageMetrics } from './metrics.js';
import type { PartitionKeeper } from './partitions.js';
import { type CallRecord, type MessageRecord, type Parsed, parseCall, parseMessage, parseSample, type RecordError } from './records.js';

/**
 * Usage ingest (docs/usage.md): validate each record on its own, resolve its trunk, check its
 * time window, then commit the whole request in one transaction: dedup and versions, raw rows,
 * every roll-up level and the customers' month-to-date figures. The answer is sent after the
 * commit; a failure anywhere leaves nothing of the request behind.
 */

export const MAX_RECORDS_PER_REQUEST = 10_000;
const FUTURE_TOLERANCE_MS = 3_600_000;

export interface IngestDeps {
  pool: Pool;
  retentionDays: number;
  partitions: PartitionKeeper;
  metrics?: UsageMetrics | undefined;
  /** Epoch milliseconds; injectable so tests control "too old" and "late". */
  now?: () => number;
}

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

interface Candidate<R> {
  index: number;
  record: R;
  trunkRowId: string;
  customerId: string;
}

interface KindSpec<R> {
  kind: UsageKind;
  parse(input: unknown): Parsed<R>;
  idOf(record: R): string | null;
  trunkIdOf(record: R): string;
  startMs(record: R): number;
  endMs(record: R): number;
  /** Stages and applies the request's winning records; returns the database's outcome counts. */
  apply(tx: PoolClient, candidates: ReadonlyArray<Candidate<R>>, nowIso: string): Promise<{ counts: Omit<IngestResult, 'rejected'>; rejected: RejectedRecord[] }>;
  /** In-request collapse: the key two records of the request share, and which one wins. */
  keyOf(record: R): string;
  rank(record: R): number;
}

const reject = (index: number, id: string | null, code: string, message: string, field?: string): RejectedRecord => ({
  index,
  id,
  errors: [{ code, message, ...(field ? { field } : {}) }],
});

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

  const trunks = new Map((await findTrunks(deps.pool, [...new Set(parsed.map((p) => spec.trunkIdOf(p.record)))])).map((t) => [t.trunkId, t]));
  const cutoffDay = retentionCutoffDay(nowMs, deps.retentionDays);
  const inWindow: Array<Candidate<R>> = [];
  for (const { index, record } of parsed) {
    const trunk = trunks.get(spec.trunkIdOf(record));
    const id = spec.idOf(record);
    if (!trunk) rejected.push(reject(index, id, 'unknown_trunk', `no trunk ${spec.trunkIdOf(record)}`, 'trunkId'));
    else if (trunk.deletedAt && spec.startMs(record) >= trunk.deletedAt.getTime()) {
      rejected.push(reject(index, id, 'trunk_deleted', 'the trunk was deleted before this record started', 'trunkId'));
    } else if (spec.endMs(record) > nowMs + FUTURE_TOLERANCE_MS) {
      rejected.push(reject(index, id, 'in_future', 'the record ends more than 1 hour in the future'));
    } else if (utcDay(spec.startMs(record)) < cutoffDay) {
      rejected.push(reject(index, id, 'too_old', `records before ${cutoffDay} are past the raw retention`));
    } else inWindow.push({ index, record, trunkRowId: trunk.id, customerId: trunk.customerId });
  }
  const pruned = await deps.partitions.ensure(inWindow.map((c) => utcDay(spec.startMs(c.record))));

  const outcome = await withTransaction(deps.pool, async (tx) => {
    await lockRetentionShared(tx);
    const watermark = await prunedThrough(tx);
    const tooOld: RejectedRecord[] = [];
    const live = inWindow.filter((c) => {
      const day = utcDay(spec.startMs(c.record));
      if (!pruned.has(day) && (watermark === null || day > watermark)) return true;
      tooOld.push(reject(c.index, spec.idOf(c.record), 'too_old', 'the raw records of this day were already dropped'));
      return false;
    });
    // One record per key reaches the database (ON CONFLICT may touch a row once per statement):
    // the highest-ranked; the others are duplicates (same rank) or stale (lower) within the request.
    const winners = new Map<string, Candidate<R>>();
    let duplicates = 0;
    let stale = 0;
    for (const candidate of live) {
      const key = spec.keyOf(candidate.record);
      const best = winners.get(key);
      if (!best) winners.set(key, candidate);
      else if (spec.rank(candidate.record) > spec.rank(best.record)) {
        stale++;
        winners.set(key, candidate);
      } else if (spec.rank(candidate.record) === spec.rank(best.record)) duplicates++;
      else stale++;
    }
    const applied = winners.size > 0 ? await spec.apply(tx, [...winners.values()], new Date(nowMs).toISOString()) : undefined;
    return {
      accepted: applied?.counts.accepted ?? 0,
      corrected: applied?.counts.corrected ?? 0,
      duplicates: duplicates + (applied?.counts.duplicates ?? 0),
      stale: stale + (applied?.counts.stale ?? 0),
      rejected: [...tooOld, ...(applied?.rejected ?? [])],
    };
  });
  const result = { ...outcome, rejected: [...rejected, ...outcome.rejected].sort((a, b) => a.index - b.index) };
  deps.metrics?.recorded(spec.kind, result, {
    committedMs: Date.now(),
    receivedMs,
    recordEndsMs: inWindow.map((c) => spec.endMs(c.record)),
  });
  return result;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function commonStage<R extends { id: string; version: number; outbound: boolean; cost: string; from: string | null; to: string | null }>(
  c: Candidate<R>,
  startedMs: number,
): StagedCommon {
  return {
    ord: c.index,
    id: c.record.id,
    version: c.record.version,
    trunkRowId: c.trunkRowId,
    customerId: c.customerId,
    startedAt: iso(startedMs),
    outbound: c.record.outbound,
    cost: c.record.cost,
    from: c.record.from,
    to: c.record.to,
  };
}

/** The database's outcomes; a correction that moved the start too far is rejected. */
async function applyVersioned(tx: PoolClient, raw: 'calls' | 'messages', count: number, ids: ReadonlyMap<number, string>, nowIso: string) {
  const summary = await applyStagedVersions(tx, raw, count);
  await applyStagedRollups(tx, nowIso);
  return {
    counts: { accepted: summary.counts.accepted, corrected: summary.counts.corrected, duplicates: summary.counts.duplicate, stale: summary.counts.stale },
    rejected: summary.movedOrds.map((ord) =>
      reject(ord, ids.get(ord) ?? null, 'start_moved', 'a correction may move the start of a record by at most 24 hours', 'startedAt'),
    ),
  };
}

const CALLS: KindSpec<CallRecord> = {
  kind: 'calls',
  parse: parseCall,
  idOf: (r) => r.id,
  trunkIdOf: (r) => r.trunkId,
  startMs: (r) => r.startedAtMs,
  endMs: (r) => r.endedAtMs,
  keyOf: (r) => r.id,
  rank: (r) => r.version,
  async apply(tx, candidates, nowIso) {
    const staged: StagedCall[] = candidates.map((c) => ({
      ...commonStage(c, c.record.startedAtMs),
      answeredAt: c.record.answeredAtMs === null ? null : iso(c.record.answeredAtMs),
      endedAt: iso(c.record.endedAtMs),
      billableSeconds: c.record.billableSeconds,
      sipCode: c.record.sipCode,
    }));
    await stageCalls(tx, staged);
    return applyVersioned(tx, 'calls', staged.length, new Map(candidates.map((c) => [c.index, c.record.id])), nowIso);
  },
};

const MESSAGES: KindSpec<MessageRecord> = {
  kind: 'messages',
  parse: parseMessage,
  idOf: (r) => r.id,
  trunkIdOf: (r) => r.trunkId,
  startMs: (r) => r.sentAtMs,
  endMs: (r) => r.sentAtMs,
  keyOf: (r) => r.id,
  rank: (r) => r.version,
  async apply(tx, candidates, nowIso) {
    const staged: StagedMessage[] = candidates.map((c) => ({
      ...commonStage(c, c.record.sentAtMs),
      segments: c.record.segments,
      status: c.record.status,
    }));
    await stageMessages(tx, staged);
    return applyVersioned(tx, 'messages', staged.length, new Map(candidates.map((c) => [c.index, c.record.id])), nowIso);
  },
};

const SAMPLES: KindSpec<{ trunkId: string; atMs: number; activeCalls: number }> = {
  kind: 'samples',
  parse: parseSample,
  idOf: () => null,
  trunkIdOf: (r) => r.trunkId,
  startMs: (r) => r.atMs,
  endMs: (r) => r.atMs,
  // A reading is its trunk and time; a second report of it counts only if it is higher.
  keyOf: (r) => `${r.trunkId}@${r.atMs}`,
  rank: (r) => r.activeCalls,
  async apply(tx, candidates) {
    const rows: SampleRow[] = candidates.map((c) => ({ trunkRowId: c.trunkRowId, customerId: c.customerId, at: iso(c.record.atMs), activeCalls: c.record.activeCalls }));
    const outcomes = await applySamples(tx, rows);
    return { counts: { accepted: outcomes.accepted, corrected: outcomes.corrected, duplicates: outcomes.duplicate, stale: outcomes.stale }, rejected: [] };
  },
};

export const ingestCalls = (deps: IngestDeps, records: readonly unknown[]): Promise<IngestResult> => ingest(deps, CALLS, records);
export const ingestMessages = (deps: IngestDeps, records: readonly unknown[]): Promise<IngestResult> => ingest(deps, MESSAGES, records);
export const ingestSamples = (deps: IngestDeps, samples: readonly unknown[]): Promise<IngestResult> => ingest(deps, SAMPLES, samples);
export type { UsageKind };
