import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

import cliProgress from 'cli-progress';

import { listBilledTrunks } from '../../store/usage-reads.js';
import { retentionCutoffDay, utcDay } from '../../usage/days.js';
import { CALL_CSV_COLUMNS, generateMonth, toCsvLine } from '../../usage/generate.js';
import { formatOf, importCallFile, type ImportSummary } from '../../usage/import-file.js';
import { createIngestDeps } from '../../usage/ingest.js';
import { recomputeRange } from '../../usage/recompute.js';
import { pruneRawUsage } from '../../usage/retention.js';
import { type CliCommand, type CliContext, UsageError } from '../command.js';
import { withDb } from '../database.js';

const USAGE = `Usage:
  npm run cli -- usage import FILE [--format csv|ndjson] [--batch 1000]
  npm run cli -- usage recompute --from YYYY-MM-DD --to YYYY-MM-DD
  npm run cli -- usage prune
  npm run cli -- usage generate --out FILE [--month YYYY-MM] [--ban BAN,...] [--scale 1] [--seed 1]

import     Ingests call records (CSV with a header row of CallRecord fields, or NDJSON), in batches,
           exactly as POST /api/v1/usage/calls does; prints the outcomes and every line it rejected.
recompute  Rebuilds the roll-ups of the days from the raw records; days whose raw records were
           already dropped (USAGE_RAW_RETENTION_DAYS) are skipped and keep their roll-ups.
prune      Drops the raw partitions older than USAGE_RAW_RETENTION_DAYS (roll-ups are kept).
generate   Writes a realistic month of call records (default: this month so far) for the live
           trunks of every customer with a BAN (or those given), as NDJSON or CSV (by extension).`;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function printSummary(out: (line: string) => void, summary: ImportSummary, seconds: number): void {
  out(`${summary.records} records in ${seconds.toFixed(1)} s: ${summary.accepted} accepted, ${summary.duplicates} duplicates, ${summary.corrected} corrected, ${summary.stale} stale, ${summary.problems.length} rejected`);
  const shown = summary.problems.slice(0, 20);
  for (const p of shown) out(`  line ${p.line}${p.id ? ` (${p.id})` : ''}: ${p.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`);
  if (summary.problems.length > shown.length) out(`  … and ${summary.problems.length - shown.length} more`);
}

async function runImport(rest: string[], context: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { format: { type: 'string' }, batch: { type: 'string', default: '1000' } } });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('Give exactly one FILE');
  const format = values.format ?? formatOf(file);
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format is csv or ndjson');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError('--batch is 1 to 10000');
  const bar = process.stdout.isTTY
    ? new cliProgress.SingleBar({ format: 'importing [{bar}] {percentage}% | {accepted} accepted, {rejected} rejected', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  const started = Date.now();
  const summary = await withDb(context, async (db) => {
    bar?.start(100, 0, { accepted: 0, rejected: 0 });
    try {
      return await importCallFile(
        createIngestDeps({ pool: db.pool, retentionDays: context.config.usage.rawRetentionDays }),
        file,
        {
          format,
          batchSize,
          onProgress: (read, total, s) => bar?.update(total === 0 ? 100 : Math.floor((read / total) * 100), { accepted: s.accepted, rejected: s.problems.length }),
        },
      );
    } finally {
      bar?.stop();
    }
  });
  printSummary(context.out, summary, (Date.now() - started) / 1000);
}

async function runRecompute(rest: string[], context: CliContext): Promise<void> {
  const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.from || !values.to || !DAY.test(values.from) || !DAY.test(values.to)) throw new UsageError('--from and --to are days, YYYY-MM-DD');
  if (values.from > values.to) throw new UsageError('--from is after --to');
  const { from, to } = values;
  const results = await withDb(context, (db) => recomputeRange(db.pool, from, to));
  for (const r of results) {
    context.out(
      r.status === 'recomputed'
        ? `${r.day}  recomputed from ${r.records} records, ${r.changedRows} roll-up rows changed`
        : `${r.day}  skipped: its raw records were dropped by retention; its roll-ups are kept as they are`,
    );
  }
}

async function runPrune(rest: string[], context: CliContext): Promise<void> {
  if (rest.length > 0) throw new UsageError('prune takes no arguments (the retention is USAGE_RAW_RETENTION_DAYS)');
  const days = context.config.usage.rawRetentionDays;
  const result = await withDb(context, (db) => pruneRawUsage(db.pool, days));
  context.out(`Raw usage kept from ${result.cutoffDay} (${days} days). Dropped ${result.droppedDays.length} day(s)${result.droppedDays.length ? `: ${result.droppedDays.join(', ')}` : ''}; forgot ${result.forgottenIds} record ids.`);
}

async function runGenerate(rest: string[], context: CliContext): Promise<void> {
  const { values } = parseArgs({
    args: rest,
    options: { out: { type: 'string' }, month: { type: 'string' }, ban: { type: 'string' }, scale: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' } },
  });
  if (!values.out) throw new UsageError('--out FILE is required');
  const nowMs = Date.now();
  const month = values.month ?? utcDay(nowMs).slice(0, 7);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new UsageError('--month is YYYY-MM');
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 100)) throw new UsageError('--scale is a number above 0, at most 100');
  const bans = values.ban?.split(',').map((b) => b.trim()).filter(Boolean) ?? [];
  const trunks = await withDb(context, (db) => listBilledTrunks(db.pool, bans));
  if (trunks.length === 0) throw new UsageError('No live trunks of customers with a BAN; create a trunk first (see README, "Usage")');
  const format = formatOf(values.out);
  const out = createWriteStream(values.out);
  let written = 0;
  if (format === 'csv') out.write(`${CALL_CSV_COLUMNS.join(',')}\n`);
  for (const call of generateMonth({ month, trunks, untilMs: nowMs, seed: Number(values.seed), scale })) {
    if (!out.write(`${format === 'csv' ? toCsvLine(call) : JSON.stringify(call)}\n`)) await once(out, 'drain');
    written++;
  }
  out.end();
  await once(out, 'finish');
  context.out(`Wrote ${written} call records for ${trunks.length} trunk(s) of BAN ${[...new Set(trunks.map((t) => t.ban))].join(', ')} in ${month} to ${values.out}.`);
  const cutoff = retentionCutoffDay(nowMs, context.config.usage.rawRetentionDays);
  if (`${month}-01` < cutoff) context.out(`Note: records before ${cutoff} are past the raw retention and will be rejected as too_old.`);
}

export const usageCommand: CliCommand = {
  name: 'usage',
  summary: 'Import, recompute, prune and generate usage records',
  usage: USAGE,
  async run(args, context) {
    const [action, ...rest] = args;
    switch (action) {
      case 'import':
        return runImport(rest, context);
      case 'recompute':
        return runRecompute(rest, context);
      case 'prune':
        return runPrune(rest, context);
      case 'generate':
        return runGenerate(rest, context);
      case undefined:
      default:
        throw new UsageError(action ? `Unknown usage action "${action}"` : 'Missing usage action');
    }
  },
};
