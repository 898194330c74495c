// Shared by the HubSpot gateway benchmarks: a PostgreSQL for the rate budget and a simulator in a
// process of its own (HubSpot is remote: it must not share the benchmark's event loop).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { ensureDatabase, startThrowawayDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface BenchDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A migrated scratch database: in DATABASE_URL's server if set, else an embedded PostgreSQL. */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const name = `warp_bench_${process.pid}`;
  let adminUrl = process.env['DATABASE_URL'];
  let stopServer = async (): Promise<void> => undefined;
  if (!adminUrl) {
    const server = await startThrowawayDatabase({ durable: false });
    adminUrl = server.adminUrl;
    stopServer = () => server.stop();
  }
  const url = await ensureDatabase(adminUrl, name);
  const pool = createPool(url, 1);
  await migrate(pool);
  await pool.end();
  return { url, stop: stopServer };
}

export interface SimulatorProcess {
  url: string;
  child: ChildProcess;
  requests(): Promise<Array<{ atMs: number; status: number; path: string; method: string }>>;
  stop(): Promise<void>;
}

/** `npm run sim` as a child process on a free port; resolves once it listens. */
export async function startSimulatorProcess(flags: string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/simulator/main.ts'), '--port', '0', '--no-seed', ...flags], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${seen}`)));
  });
  return {
    url,
    child,
    requests: async () => {
      const response = await fetch(`${url}/__sim/requests`);
      const body = (await response.json()) as { results: Array<{ atMs: number; status: number; path: string; method: string }> };
      return body.results;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The most requests in any window of `windowMs` (by arrival time at the simulator). */
export function maxInWindow(arrivalsMs: number[], windowMs: number): number {
  const sorted = [...arrivalsMs].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

export function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

export function companies(count: number, prefix: string): Array<{ properties: Record<string, string> }> {
  return Array.from({ length: count }, (_, i) => ({ properties: { name: `${prefix} company ${i}`, domain: `${prefix}-${i}.example`, city: 'Berlin' } }));
}
