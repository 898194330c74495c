import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

import { signV1, signV3 } from '../src/hubspot/webhook-signature.js';

/**
 * A closed-loop HTTP load generator in its own process (so it does not share the server's event
 * loop): `concurrency` requests in flight over keep-alive connections for `durationMs`, after a
 * warm-up. Webhook mode sends fresh batches of unique events, signed like HubSpot signs them.
 */

export interface LoadSpec {
  url: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  eventsPerBatch: number;
  /** Set: sign each body (v3 + v1) with this client secret. */
  secret?: string;
}

export interface LoadResult {
  requests: number;
  events: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  latenciesMs: number[];
}

let nextEventId = 1;

function batch(size: number): string {
  const now = Date.now();
  const events = [];
  for (let i = 0; i < size; i++) {
    const eventId = nextEventId++;
    events.push({
      eventId, subscriptionId: 101, portalId: 1234567, appId: 7654321, occurredAt: now, subscriptionType: 'company.propertyChange',
      attemptNumber: 0, objectId: 1_000_000 + (eventId % 50_000), propertyName: 'name', propertyValue: `Company ${process.pid}-${eventId}`,
      changeSource: 'CRM_UI', sourceId: 'userId:1000001',
    });
  }
  return JSON.stringify(events);
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const target = new URL(spec.url);
  const result: LoadResult = { requests: 0, events: 0, errors: 0, statuses: {}, elapsedMs: 0, latenciesMs: [] };
  const start = Date.now();
  const measureFrom = start + spec.warmupMs;
  const stopAt = measureFrom + spec.durationMs;

  const send = (body: string): Promise<number> =>
    new Promise((resolve) => {
      const timestamp = String(Date.now());
      const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      if (spec.secret) {
        headers['x-hubspot-signature-v3'] = signV3(spec.secret, 'POST', spec.url, body, timestamp);
        headers['x-hubspot-request-timestamp'] = timestamp;
        headers['x-hubspot-signature'] = signV1(spec.secret, body);
        headers['x-hubspot-signature-version'] = 'v1';
      }
      const request = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', agent, headers }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', () => resolve(0));
      request.end(body);
    });

  const client = async (): Promise<void> => {
    while (Date.now() < stopAt) {
      const body = batch(spec.eventsPerBatch);
      const sentAt = performance.now();
      const status = await send(body);
      const latencyMs = performance.now() - sentAt;
      if (Date.now() < measureFrom || Date.now() > stopAt) continue;
      result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        result.requests++;
        result.events += spec.eventsPerBatch;
        result.latenciesMs.push(latencyMs);
      } else result.errors++;
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, () => client()));
  result.elapsedMs = Math.min(Date.now(), stopAt) - measureFrom;
  agent.destroy();
  return result;
}

/** Runs the load in a child process and returns its result. */
export function runLoadInChild(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load-child'], { execArgv: ['--import', 'tsx'] });
    child.once('message', (message) => {
      resolve(message as LoadResult);
      child.kill();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(spec);
  });
}

if (process.argv.includes('--load-child')) {
  process.once('message', (spec: LoadSpec) => {
    void runLoad(spec).then((result) => process.send?.(result));
  });
}
