import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { loadConfig } from '../src/config.js';
import { ensureDatabase, startThrowawayDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import { createService } from '../src/service.js';
import { createApiKey } from '../src/store/api-keys.js';
import { ensureDayPartitions } from '../src/store/usage-partitions.js';
import { addDays, utcDay } from '../src/usage/days.js';
import { cpuWindow, type CpuSplit, followServerCpu, type ServerCpu } from './cpu-split.js';
import { percentile } from './stats.js';
import { ceilingPhase, copyPhase, type CopyResult, floorPhase } from './usage-copy.js';
import { runUsageLoadInChild, type UsageLoadResult, type UsageLoadSpec } from './usage-load.js';

/**
 * `npm run bench -- usage-ingest [--concurrency 8] [--duration-s 10] [--batch 1000]
 *   [--history-days 30] [--history-per-day 1000000]`
 *
 * N concurrent clients post batches of call records (5 % resends, 5 % re-rated versions) to the
 * real API on PostgreSQL with fsync on; every acknowledged batch is committed with its roll-ups.
 * In the same run, the ceiling: the same rows COPYed by N connections, one COPY and commit per
 * batch, into an unindexed table; and the floor of any exact ingest: new rows COPYed with their
 * ids into a primary key, one transaction per batch (what an ingest that deduplicates on the id
 * writes at the least, so the ratio no design of that kind can pass). Then the same load into a database that already holds
 * `history-days` × `history-per-day` records (and their ids and roll-ups).
 * Goals (issue 11): ≥ 50,000 records/s and ≥ 0.5 of the ceiling (step: ≥ 20,000); p99 ack
 * < 250 ms; the full database at most 20 % slower than the empty one.
 */

const CUSTOMERS = 100;
const TRUNKS_PER_CUSTOMER = 5;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function benchDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const configured = loadConfig().database.url;
  const name = `bench_usage_ingest_${randomBytes(3).toString('hex')}`;
  if (configured) return { url: await ensureDatabase(configured, name), stop: async () => undefined };
  const server = await startThrowawayDatabase({ durable: true });
  return { url: await ensureDatabase(server.adminUrl, name), stop: () => server.stop() };
}

async function createTrunks(pool: Pool): Promise<string[]> {
  await pool.query(
    `INSERT INTO customers (ban, name) SELECT (20000 + g)::text, 'Bench ' || g FROM generate_series(1, ${CUSTOMERS}) g`,
  );
  const { rows } = await pool.query<{ trunk_id: string }>(
    `INSERT INTO trunks (trunk_id, customer_id, name, ip_addresses, concurrent_calls, monthly_minutes)
     SELECT 'trunk_bench_' || c.id || '_' || t, c.id, 'bench', '{192.0.2.1}', 50, 1000000
     FROM customers c CROSS JOIN generate_series(1, ${TRUNKS_PER_CUSTOMER}) t RETURNING trunk_id`,
  );
  return rows.map((r) => r.trunk_id);
}

const describeCpu = (cpu: CpuSplit, processName: string): string =>
  `CPU per 1,000 records: ${processName} ${cpu.process} ms, PostgreSQL ${cpu.postgres ?? '?'} ms${cpu.load > 0 ? `, load generator ${cpu.load} ms` : ''}`;

/** One phase of API load, with the CPU each process spent on it. */
async function apiPhase(spec: UsageLoadSpec, server: ServerCpu) {
  const window = cpuWindow(server);
  const result = await runUsageLoadInChild(spec, window);
  return { ...summarize(result), cpu: window.split(result.records, result.loadCpuMs) };
}

/**
 * `days` × `perDay` call records before today, written by generate_series straight into the day
 * partitions, with their registry rows and roll-up rows: the history the full-database phase
 * ingests against. Ids follow `benchCallId` (time-ordered per trunk). The registry's primary key
 * is built once after the load (a sort instead of millions of index insertions); VACUUM ANALYZE
 * and a CHECKPOINT then settle the history, as it would be long settled in production.
 */
async function buildHistory(url: string, days: number, perDay: number): Promise<number> {
  const started = Date.now();
  const pool = createPool(url, 3);
  const today = utcDay(Date.now());
  const historyDays = Array.from({ length: days }, (_, i) => addDays(today, i - days));
  await ensureDayPartitions(pool, historyDays);
  await pool.query('ALTER TABLE usage_record_versions DROP CONSTRAINT usage_record_versions_pkey');
  await pool.query(`CREATE TABLE bench_trunks AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, customer_id, substr(trunk_id, 7) AS tag FROM trunks`);
  const work = [...historyDays];
  await Promise.all(
    [0, 1].map(async () => {
      const client = await pool.connect();
      try {
        await client.query('SET synchronous_commit = off');
        for (let day = work.shift(); day; day = work.shift()) {
          const partition = pg.escapeIdentifier(`usage_calls_p${day.replaceAll('-', '')}`);
          // The registry takes the rows this statement wrote, not the whole partition: the empty
          // phase may have written into yesterday's partition (a run just after midnight UTC).
          await client.query(
            `WITH raw AS (INSERT INTO ${partition} (call_id, version, trunk_id, customer_id, outbound, started_at, answered_at, ended_at, billable_seconds, sip_code, cost, from_number, to_number)
             SELECT 'call_' || t.tag || '_' || to_hex(ms) || '_h' || g, 1, t.id, t.customer_id, g % 3 <> 0, s,
               CASE WHEN g % 5 < 3 THEN s + interval '4 s' END, s + interval '64 s', CASE WHEN g % 5 < 3 THEN 60 ELSE 0 END,
               CASE WHEN g % 5 < 3 THEN 200 ELSE 486 END, CASE WHEN g % 5 < 3 THEN 0.0125 ELSE 0 END,
               '+1555' || lpad((g * 7 % 10000000)::text, 7, '0'), '+1555' || lpad((g * 13 % 10000000)::text, 7, '0')
             FROM generate_series(1, $2::int) g
             CROSS JOIN LATERAL (SELECT $1::bigint + g::bigint * 86399000 / $2 AS ms) m
             CROSS JOIN LATERAL (SELECT timestamptz 'epoch' + ms * interval '1 ms' AS s) ts
             JOIN bench_trunks t ON t.n = g % ${CUSTOMERS * TRUNKS_PER_CUSTOMER}
             RETURNING call_id, version, trunk_id, customer_id, started_at, outbound, answered_at IS NOT NULL AS ok, billable_seconds, cost)
             INSERT INTO usage_record_versions (kind, record_id, version, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost)
             SELECT 'c', call_id, version, trunk_id, customer_id, started_at, outbound, ok, billable_seconds, cost FROM raw`,
            [Date.parse(`${day}T00:00:00Z`), perDay],
          );
        }
      } finally {
        client.release();
      }
    }),
  );
  const client = await pool.connect();
  try {
    await client.query(`SET maintenance_work_mem = '512MB'`);
    await client.query('ALTER TABLE usage_record_versions ADD PRIMARY KEY (kind, record_id)');
  } finally {
    client.release();
  }
  // Roll-up rows of the history (their sizes matter for the upserts, their values do not); the
  // empty phase's own rows of yesterday, if any, stay as they are.
  await pool.query(
    `INSERT INTO usage_trunk_hours (trunk_id, hour, customer_id, calls_attempted, calls_completed, billable_seconds, spend)
     SELECT t.id, h, t.customer_id, 100, 60, 3600, 0.75 FROM trunks t
     CROSS JOIN generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour') h
     ON CONFLICT DO NOTHING`,
    [`${historyDays[0]}T00:00:00Z`, `${today}T00:00:00Z`],
  );
  await pool.query(
    `INSERT INTO usage_customer_days (customer_id, day, calls_attempted, spend)
     SELECT c.id, d::date, 10000, 75 FROM customers c CROSS JOIN generate_series($1::date, $2::date - 1, interval '1 day') d
     ON CONFLICT DO NOTHING`,
    [historyDays[0], today],
  );
  await pool.query('DROP TABLE bench_trunks');
  await pool.query('VACUUM ANALYZE usage_record_versions, usage_calls, usage_trunk_hours, usage_customer_days');
  await pool.query('CHECKPOINT');
  await pool.end();
  return (Date.now() - started) / 1000;
}

/** The 1-minute load average now and when the returned function is called: the machine is shared. */
function loadDuring(): () => string {
  const before = os.loadavg()[0]!;
  return () => `${before.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}`;
}

const describeCopy = (r: CopyResult): string =>
  `${Math.round(r.recordsPerS)} records/s${r.ranOut ? ' (at least: a connection ran out of batches)' : ''}, p99 ${round(r.p99Ms)} ms; ${describeCpu(r.cpu, 'COPY client')}`;

const describe = (r: Awaited<ReturnType<typeof apiPhase>>): string =>
  `${Math.round(r.recordsPerS)} records/s (${Math.round(r.acceptedPerS)} new or corrected/s, ${round(r.batchesPerS)} batches/s), ack p50 ${round(r.p50Ms)} ms, p99 ${round(r.p99Ms)} ms, errors ${r.errors}; ${describeCpu(r.cpu, 'service')}`;

function summarize(result: UsageLoadResult) {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const seconds = result.elapsedMs / 1000;
  return { recordsPerS: result.records / seconds, acceptedPerS: result.accepted / seconds, batchesPerS: result.batches / seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors: result.errors };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      concurrency: { type: 'string', default: '8' },
      'duration-s': { type: 'string', default: '10' },
      batch: { type: 'string', default: '1000' },
      'history-days': { type: 'string', default: '30' },
      'history-per-day': { type: 'string', default: '1000000' },
    },
  });
  const concurrency = Number(values.concurrency);
  const durationMs = Number(values['duration-s']) * 1000;
  const batchSize = Number(values.batch);
  const historyDays = Number(values['history-days']);
  const historyPerDay = Number(values['history-per-day']);

  const database = await benchDatabase();
  const pool = createPool(database.url, 2);
  await migrate(pool);
  const trunkIds = await createTrunks(pool);
  const apiKey = (await createApiKey(pool, 'bench-switch', ['usage:write'])).key;
  const config = loadConfig({
    DATABASE_URL: database.url,
    // Only the ingest API is measured: no webhook, outbox or background job runs in this service
    // (its schedules would reconcile and onboard the bundled simulator's demo portal meanwhile).
    INBOX_WORKERS: '0',
    OUTBOX_WORKERS: '0',
    JOB_CONCURRENCY: '0',
    HUBSPOT_PROVISION_AT_START: 'false',
    SIMULATOR_PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_POOL_MAX: String(concurrency + 2),
  });
  const service = await createService(config, createLogger({ level: 'warn' }));
  try {
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const spec = {
      url: `${base}/api/v1/usage/calls`,
      apiKey,
      concurrency,
      warmupMs: 2000,
      durationMs,
      trunkIds,
      batchSize,
      duplicateShare: 0.05,
      correctionShare: 0.05,
      nowMs: Date.now(),
      pregenerate: Math.ceil((durationMs / 1000 + 2) * 12),
    };
    const { rows: settings } = await pool.query<{ version: string; fsync: string; sync: string }>(
      `SELECT split_part(version(), ' ', 2) AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync`,
    );
    process.stdout.write(
      `usage-ingest: ${concurrency} clients, batches of ${batchSize} calls (5 % resends, 5 % re-rated versions), ${CUSTOMERS} customers × ${TRUNKS_PER_CUSTOMER} trunks, ` +
        `${durationMs / 1000} s per phase after a 2 s warm-up; PostgreSQL ${settings[0]!.version}, fsync ${settings[0]!.fsync}, synchronous_commit ${settings[0]!.sync}\n`,
    );
    const server = await followServerCpu(pool);
    const emptyLoad = loadDuring();
    const empty = await apiPhase({ ...spec, streamPrefix: 'empty' }, server);
    process.stdout.write(`  empty database: ${describe(empty)} (load ${emptyLoad()})\n`);
    const check = await pool.query<{ rollup: string; records: string }>(
      `SELECT (SELECT sum(calls_attempted) FROM usage_customer_days)::text AS rollup,
              (SELECT count(*) FROM usage_record_versions WHERE kind = 'c' AND outbound)::text AS records`,
    );
    const current = check.rows[0]!;
    process.stdout.write(`  roll-ups current: outbound calls in the customer-day roll-ups ${current.rollup} = current outbound records ${current.records} -> ${current.rollup === current.records ? 'yes' : 'NO'}\n`);
    const ceilingLoad = loadDuring();
    const ceiling = await copyPhase(database.url, { ...spec, streamPrefix: 'empty' }, ceilingPhase(spec), server);
    process.stdout.write(
      `  ceiling, COPY of the same rows into an unindexed table (${concurrency} connections, a commit per batch): ${describeCopy(ceiling)} (load ${ceilingLoad()})\n`,
    );
    const floorLoad = loadDuring();
    const floor = await copyPhase(database.url, { ...spec, streamPrefix: 'floor' }, floorPhase(spec, Math.ceil((durationMs / 1000 + 2) * 25)), server);
    process.stdout.write(
      `  floor of an exact ingest, COPY of new rows plus their ids into a primary key, one transaction per batch: ${describeCopy(floor)}, ${round(floor.recordsPerS / ceiling.recordsPerS, 3)} of the ceiling (load ${floorLoad()})\n`,
    );
    let full: Awaited<ReturnType<typeof apiPhase>> | undefined;
    if (historyDays > 0) {
      const buildSeconds = await buildHistory(database.url, historyDays, historyPerDay);
      process.stdout.write(`  history: ${historyDays} days × ${historyPerDay} records (raw, registry, roll-ups) built in ${round(buildSeconds)} s\n`);
      const fullLoad = loadDuring();
      full = await apiPhase({ ...spec, nowMs: Date.now(), streamPrefix: 'full' }, server);
      process.stdout.write(`  full database: ${describe(full)} (load ${fullLoad()})\n`);
    }
    const ratio = empty.recordsPerS / ceiling.recordsPerS;
    const p99Ms = Math.max(empty.p99Ms, full?.p99Ms ?? 0);
    const slowdown = full ? 1 - full.recordsPerS / empty.recordsPerS : undefined;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    process.stdout.write(
      [
        `  records/s (empty)     ${String(Math.round(empty.recordsPerS)).padStart(8)}   goal >= 50000 (step >= 20000)   ${empty.recordsPerS >= 50_000 ? 'met' : empty.recordsPerS >= 20_000 ? 'step met, goal NOT met' : 'NOT met'}`,
        `  ratio to the ceiling  ${round(ratio, 3).toFixed(3).padStart(8)}   goal >= 0.5                     ${verdict(ratio >= 0.5)}; the floor of an exact ingest reaches ${round(floor.recordsPerS / ceiling.recordsPerS, 3).toFixed(3)}`,
        `  p99 ack               ${`${round(p99Ms)} ms`.padStart(8)}   goal < 250 ms                   ${verdict(p99Ms < 250)}`,
        slowdown === undefined
          ? '  full database         skipped (--history-days 0)'
          : `  full-database slowdown ${`${round(slowdown * 100)} %`.padStart(7)}   goal <= 20 %                    ${verdict(slowdown <= 0.2)}`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'usage-ingest',
        records_per_s: Math.round(empty.recordsPerS),
        ceiling_records_per_s: Math.round(ceiling.recordsPerS),
        ratio: round(ratio, 3),
        floor_ratio: round(floor.recordsPerS / ceiling.recordsPerS, 3),
        p99_ms: round(p99Ms, 1),
        records_per_s_full_db: full ? Math.round(full.recordsPerS) : null,
      })}\n`,
    );
  } finally {
    await service.close();
    await pool.end();
    await database.stop();
  }
}
