import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { from as copyFrom } from 'pg-copy-streams';

import { createPool } from '../src/db/pool.js';
import { cpuWindow, type CpuSplit, type ServerCpu } from './cpu-split.js';
import { percentile } from './stats.js';
import { batchSource, type BenchCall } from './usage-data.js';
import type { UsageLoadSpec } from './usage-load.js';

/**
 * The COPY phases of `usage-ingest`, run on the same database as the API phase: the ceiling (the
 * same rows into an unindexed table) and the floor of an exact ingest (new rows plus their ids in
 * a primary key). Neither parses, classifies or rolls anything up: they bound what the API can do.
 */

const copyLine = (c: BenchCall): string =>
  [c.callId, c.version, c.trunkId, c.direction === 'outbound' ? 't' : 'f', c.startedAt, c.answeredAt ?? '\\N', c.endedAt, c.billableSeconds, c.sipCode, c.cost, c.from, c.to].join('\t');
const RAW_COLUMNS = `call_id text, version int, trunk_id text, outbound boolean, started_at timestamptz, answered_at timestamptz,
  ended_at timestamptz, billable_seconds int, sip_code smallint, cost numeric, from_number text, to_number text`;

/** What a COPY phase's batches are generated from (the stream's name is the phase's). */
type StreamDefaults = Omit<UsageLoadSpec, 'url' | 'apiKey' | 'streamPrefix'>;

/** One batch as COPY text, for each table of a COPY phase. */
type CopyBatch = readonly string[];

export interface CopyPhase {
  /** The tables (name, columns), each COPYed from the batch's text of the same index; all in one transaction per batch. */
  tables: ReadonlyArray<{ name: string; columns: string }>;
  /** The batches of one connection, generated before the clock starts; `null` when it has none left. */
  batches(stream: string): () => CopyBatch | null;
}

/**
 * The ceiling: the same rows COPYed into an unindexed table, one COPY (one commit) per batch.
 * The connections cycle through their pre-generated batches (the table has no key, so a row
 * twice costs what it costs once): generating rows on the fly made the ceiling the speed of the
 * bench's own generator (about 130,000 rows/s on one core, instead of about 450,000 for the COPY).
 */
export function ceilingPhase(spec: StreamDefaults): CopyPhase {
  return {
    tables: [{ name: 'bench_copy_ceiling', columns: RAW_COLUMNS }],
    batches(stream) {
      const next = batchSource({ ...spec, stream });
      const ready = Array.from({ length: spec.pregenerate }, () => [`${next().map(copyLine).join('\n')}\n`]);
      let sent = 0;
      return () => ready[sent++ % ready.length]!;
    },
  };
}

/**
 * The floor of any exact ingest: the raw rows plus each id once in a registry with its primary
 * key (kind, record_id), both COPYed in one transaction per batch, new ids only (no classifying,
 * no roll-ups, no HTTP or JSON). Whatever else an exact design does, it writes at least this.
 */
export function floorPhase(spec: StreamDefaults, batchesPerStream: number): CopyPhase {
  return {
    tables: [
      { name: 'bench_copy_floor_raw', columns: RAW_COLUMNS },
      { name: 'bench_copy_floor_ids', columns: `kind "char", record_id text COLLATE "C", PRIMARY KEY (kind, record_id)` },
    ],
    batches(stream) {
      const next = batchSource({ ...spec, stream, duplicateShare: 0, correctionShare: 0 });
      const ready = Array.from({ length: batchesPerStream }, (): CopyBatch => {
        const calls = next();
        return [`${calls.map(copyLine).join('\n')}\n`, `${calls.map((c) => `c\t${c.callId}`).join('\n')}\n`];
      });
      return () => ready.shift() ?? null;
    },
  };
}

export interface CopyResult {
  recordsPerS: number;
  p99Ms: number;
  cpu: CpuSplit;
  /** A connection ran out of pre-generated batches before the end (the figure is then a lower bound). */
  ranOut: boolean;
}

/** Runs a COPY phase on `concurrency` connections for the spec's warm-up and duration. */
export async function copyPhase(url: string, spec: Omit<UsageLoadSpec, 'url' | 'apiKey'>, phase: CopyPhase, server: ServerCpu): Promise<CopyResult> {
  const pool = createPool(url, spec.concurrency + 1);
  for (const table of phase.tables) await pool.query(`CREATE TABLE ${table.name} (${table.columns})`);
  const streams = Array.from({ length: spec.concurrency }, (_, c) => phase.batches(`${spec.streamPrefix}-c${c}`));
  let records = 0;
  let ranOut = false;
  const latencies: number[] = [];
  const measureFrom = Date.now() + spec.warmupMs;
  const stopAt = measureFrom + spec.durationMs;
  const window = cpuWindow(server);
  const opened = setTimeout(window.start, spec.warmupMs);
  const closed = setTimeout(window.end, spec.warmupMs + spec.durationMs);
  const transactional = phase.tables.length > 1;
  await Promise.all(
    streams.map(async (next) => {
      const client = await pool.connect();
      try {
        while (Date.now() < stopAt) {
          const batch = next();
          if (!batch) {
            ranOut = true;
            break;
          }
          const sentAt = performance.now();
          if (transactional) await client.query('BEGIN');
          for (const [i, table] of phase.tables.entries()) {
            await pipeline(Readable.from([batch[i]!]), client.query(copyFrom(`COPY ${table.name} FROM STDIN`)));
          }
          if (transactional) await client.query('COMMIT');
          if (Date.now() >= measureFrom && Date.now() <= stopAt) {
            records += spec.batchSize;
            latencies.push(performance.now() - sentAt);
          }
        }
      } finally {
        client.release();
      }
    }),
  );
  clearTimeout(opened);
  clearTimeout(closed);
  window.end();
  for (const table of phase.tables) await pool.query(`DROP TABLE ${table.name}`);
  await pool.end();
  return { recordsPerS: records / (spec.durationMs / 1000), p99Ms: percentile(latencies.sort((a, b) => a - b), 99), cpu: window.split(records, 0), ranOut };
}
