import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

import { ownCpuMs } from './cpu-split.js';
import { batchSource, type StreamSpec } from './usage-data.js';

/**
 * The usage-ingest load generator, in its own process (it must not share the server's event
 * loop): `concurrency` clients, each posting its own stream of batches over keep-alive
 * connections, closed-loop, for `durationMs` after a warm-up. Bodies are serialised before the
 * clock starts (up to `pregenerate` per client, then on the fly).
 */

export interface UsageLoadSpec extends Omit<StreamSpec, 'stream'> {
  url: string;
  apiKey: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Prefix of the clients' streams: a new one per phase keeps ids fresh. */
  streamPrefix: string;
  pregenerate: number;
}

export interface UsageLoadResult {
  batches: number;
  records: number;
  accepted: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  latenciesMs: number[];
  /** CPU ms of the load generator itself during the measured window. */
  loadCpuMs: number;
}

/** Called in the parent when the measured window opens and closes (to read CPU counters then). */
export interface WindowHooks {
  start(): void;
  end(): void;
}

type ChildMessage = { window: 'start' | 'end' } | { result: UsageLoadResult };

async function runLoad(spec: UsageLoadSpec): Promise<UsageLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const target = new URL(spec.url);
  const result: UsageLoadResult = { batches: 0, records: 0, accepted: 0, errors: 0, statuses: {}, elapsedMs: 0, latenciesMs: [], loadCpuMs: 0 };
  const streams = Array.from({ length: spec.concurrency }, (_, c) => {
    const next = batchSource({ ...spec, stream: `${spec.streamPrefix}-c${c}` });
    const ready = Array.from({ length: spec.pregenerate }, () => JSON.stringify({ records: next() }));
    return { next: () => ready.shift() ?? JSON.stringify({ records: next() }) };
  });

  const send = (body: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve) => {
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${spec.apiKey}` };
      const request = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', () => resolve({ status: 0, text: '' }));
      request.end(body);
    });

  const start = Date.now();
  const measureFrom = start + spec.warmupMs;
  const stopAt = measureFrom + spec.durationMs;
  let cpuAtStart = 0;
  const opened = setTimeout(() => {
    cpuAtStart = ownCpuMs();
    process.send?.({ window: 'start' } satisfies ChildMessage);
  }, spec.warmupMs);
  const closed = setTimeout(() => {
    result.loadCpuMs = ownCpuMs() - cpuAtStart;
    process.send?.({ window: 'end' } satisfies ChildMessage);
  }, spec.warmupMs + spec.durationMs);
  await Promise.all(
    streams.map(async (stream) => {
      while (Date.now() < stopAt) {
        const body = stream.next();
        const sentAt = performance.now();
        const { status, text } = await send(body);
        const latencyMs = performance.now() - sentAt;
        if (Date.now() < measureFrom || Date.now() > stopAt) continue;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (status !== 200) {
          result.errors++;
          continue;
        }
        const answer = JSON.parse(text) as { accepted: number; duplicates: number; corrected: number; stale: number };
        result.batches++;
        result.records += answer.accepted + answer.duplicates + answer.corrected + answer.stale;
        result.accepted += answer.accepted + answer.corrected;
        result.latenciesMs.push(latencyMs);
      }
    }),
  );
  result.elapsedMs = Math.min(Date.now(), stopAt) - measureFrom;
  clearTimeout(opened);
  clearTimeout(closed);
  agent.destroy();
  return result;
}

export function runUsageLoadInChild(spec: UsageLoadSpec, hooks?: WindowHooks): Promise<UsageLoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--usage-load-child'], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'] });
    child.on('message', (message: ChildMessage) => {
      if ('window' in message) {
        if (message.window === 'start') hooks?.start();
        else hooks?.end();
        return;
      }
      resolve(message.result);
      child.kill();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(spec);
  });
}

if (process.argv.includes('--usage-load-child')) {
  process.once('message', (spec: UsageLoadSpec) => {
    void runLoad(spec).then((result) => process.send?.({ result } satisfies ChildMessage));
  });
}
