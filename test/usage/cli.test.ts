import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { generateMonth } from '../../src/usage/generate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runTs } from '../support/process.js';
import { callRecord, createUsageCustomer, type UsageCustomer } from './fixtures.js';

// These tests start the service or the CLI as processes (tsx compiles on start): on a busy
// 2-core machine one start can take tens of seconds, more than the suite's default 30 s per test.
vi.setConfig({ testTimeout: 180_000 });

let db: TestDatabase;
let dir: string;
let customer: UsageCustomer;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'usage-cli-'));
  customer = await createUsageCustomer(db.pool, 2, 4);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await db?.drop();
});

const cli = (...args: string[]) => runTs('src/cli/main.ts', ['usage', ...args], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 60_000);

describe('usage generate', () => {
  it('is deterministic, in time order per day, and ends before the present', () => {
    const trunks = [{ trunkId: 'trunk_demo', concurrentCalls: 4 }];
    const untilMs = Date.parse('2026-11-10T12:00:00Z');
    const a = [...generateMonth({ month: '2026-11', trunks, untilMs, seed: 7 })];
    const b = [...generateMonth({ month: '2026-11', trunks, untilMs, seed: 7 })];
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(500);
    expect(a.every((c) => Date.parse(c.endedAt) < untilMs && c.startedAt >= '2026-11-01')).toBe(true);
    const outbound = a.filter((c) => c.direction === 'outbound' && c.version === 1);
    const asr = outbound.filter((c) => c.answeredAt).length / outbound.length;
    expect(asr).toBeGreaterThan(0.4);
    expect(asr).toBeLessThan(0.75);
    expect(a.some((c) => c.version === 2)).toBe(true);
  });
});

describe('usage import', () => {
  it('imports a CSV, reports a broken line and each rejected record by line number', async () => {
    const trunkId = customer.trunks[0]!.trunkId;
    const good = (n: number) => {
      const r = callRecord(trunkId, { callId: `csv-${n}` });
      return [r['callId'], trunkId, 'outbound', r['startedAt'], r['answeredAt'], r['endedAt'], 120, 200, '0.0250', 'USD', 1, '', ''].join(',');
    };
    const lines = [
      'callId,trunkId,direction,startedAt,answeredAt,endedAt,billableSeconds,sipCode,cost,currency,version,from,to',
      good(1),
      good(2),
      'csv-broken,"unterminated',
      good(3),
      good(4).replace(trunkId, 'trunk_unknown'),
      good(5),
      good(1),
    ];
    const file = path.join(dir, 'calls.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await cli('import', file, '--batch', '2');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('7 records');
    expect(result.stdout).toContain('4 accepted, 1 duplicates, 0 corrected, 0 stale, 2 rejected');
    expect(result.stdout).toMatch(/line 4: invalid_csv/);
    expect(result.stdout).toMatch(/line 6 \(csv-4\): unknown_trunk/);
  });

  it('generates a month for the customers with a BAN, imports it, recomputes and prunes', async () => {
    const file = path.join(dir, 'month.ndjson');
    const month = new Date().toISOString().slice(0, 7);
    const generated = await cli('generate', '--month', month, '--out', file, '--ban', customer.ban, '--scale', '0.2');
    expect(generated.code).toBe(0);
    expect(generated.stdout).toMatch(/Wrote \d+ call records for 2 trunk\(s\)/);
    const records = (await readFile(file, 'utf8')).trim().split('\n').length;

    const imported = await cli('import', file);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const [, accepted, duplicates, corrected, stale] = /(\d+) accepted, (\d+) duplicates, (\d+) corrected, (\d+) stale, 0 rejected/.exec(imported.stdout) ?? [];
    expect(Number(accepted) + Number(duplicates) + Number(corrected) + Number(stale)).toBe(records);

    const today = new Date().toISOString().slice(0, 10);
    const recomputed = await cli('recompute', '--from', `${month}-01`, '--to', today);
    expect(recomputed.code).toBe(0);
    expect(recomputed.stdout).toMatch(/recomputed from \d+ records, 0 roll-up rows changed/);
    expect(recomputed.stdout).not.toMatch(/[1-9]\d* roll-up rows changed/);

    const pruned = await cli('prune');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/Raw usage kept from \d{4}-\d{2}-\d{2} \(35 days\)/);
  });

  it('refuses bad arguments with exit code 2', async () => {
    expect((await cli('recompute', '--from', 'yesterday', '--to', '2026-11-01')).code).toBe(2);
    expect((await cli('import')).code).toBe(2);
  });
});
