import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import { parse as parseCsvLine } from 'csv-parse/sync';

import { type IngestDeps, ingestCalls } from './ingest.js';
import type { RecordError } from './records.js';

/**
 * `usage import`: a CSV (header row with the CallRecord field names) or NDJSON file of call
 * records, streamed and ingested in batches through the same ingest as the API. A line that
 * cannot be parsed (broken CSV, invalid JSON) is reported by its line number, and so is every
 * rejected record; the rest is imported. Backpressure: the file is read only as fast as batches
 * commit.
 */

export interface ImportProblem {
  line: number;
  id: string | null;
  errors: RecordError[];
}

export interface ImportSummary {
  records: number;
  accepted: number;
  duplicates: number;
  corrected: number;
  stale: number;
  problems: ImportProblem[];
}

export interface ImportOptions {
  format: 'csv' | 'ndjson';
  batchSize: number;
  onProgress?: (bytesRead: number, totalBytes: number, summary: ImportSummary) => void;
}

export const formatOf = (file: string): 'csv' | 'ndjson' => (/\.csv$/i.test(file) ? 'csv' : 'ndjson');

const INTEGER_FIELDS = new Set(['billableSeconds', 'sipCode', 'version']);

/** A CSV row as a record: integers where the schema wants them, empty cells absent (answeredAt: null). */
function fromCsvRow(row: Record<string, string>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [field, cell] of Object.entries(row)) {
    if (cell === '') {
      if (field === 'answeredAt') record[field] = null;
      continue;
    }
    record[field] = INTEGER_FIELDS.has(field) && /^-?\d+$/.test(cell) ? Number(cell) : cell;
  }
  return record;
}

type Item = { line: number; record: unknown } | { line: number; problem: RecordError };

async function* ndjsonItems(input: Readable): AsyncGenerator<Item> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, record: JSON.parse(text) as unknown };
    } catch {
      yield { line, problem: { code: 'invalid_json', message: 'the line is not valid JSON' } };
    }
  }
}

/**
 * One CSV line is one record (no field of a call record holds a line break), so a broken line,
 * even one with an unclosed quote, costs only itself.
 */
async function* csvItems(input: Readable): AsyncGenerator<Item> {
  let header: string[] | undefined;
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let cells: string[];
    try {
      const [row] = parseCsvLine(text, { trim: true });
      cells = row ?? [];
    } catch (error) {
      yield { line, problem: { code: 'invalid_csv', message: (error as Error).message.replace(/ at line \d+$/, '') } };
      continue;
    }
    if (!header) {
      header = cells;
      continue;
    }
    if (cells.length !== header.length) {
      yield { line, problem: { code: 'invalid_csv', message: `expected ${header.length} fields, got ${cells.length}` } };
      continue;
    }
    yield { line, record: fromCsvRow(Object.fromEntries(header.map((name, i) => [name, cells[i]!]))) };
  }
}

export async function importCallFile(deps: IngestDeps, file: string, options: ImportOptions): Promise<ImportSummary> {
  const totalBytes = (await stat(file)).size;
  const input = createReadStream(file);
  let bytesRead = 0;
  input.on('data', (chunk) => (bytesRead += chunk.length));
  const summary: ImportSummary = { records: 0, accepted: 0, duplicates: 0, corrected: 0, stale: 0, problems: [] };
  let batch: Array<{ line: number; record: unknown }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await ingestCalls(deps, batch.map((b) => b.record));
    summary.accepted += result.accepted;
    summary.duplicates += result.duplicates;
    summary.corrected += result.corrected;
    summary.stale += result.stale;
    for (const r of result.rejected) summary.problems.push({ line: batch[r.index]!.line, id: r.id, errors: r.errors });
    batch = [];
    options.onProgress?.(bytesRead, totalBytes, summary);
  };
  for await (const item of options.format === 'csv' ? csvItems(input) : ndjsonItems(input)) {
    summary.records++;
    if ('problem' in item) summary.problems.push({ line: item.line, id: null, errors: [item.problem] });
    else batch.push(item);
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  summary.problems.sort((a, b) => a.line - b.line);
  options.onProgress?.(totalBytes, totalBytes, summary);
  return summary;
}
