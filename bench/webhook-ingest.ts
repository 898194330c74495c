import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Fastify from 'fastify';

import { loadConfig } from '../src/config.js';
import { ensureDatabase, startThrowawayDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import { createService } from '../src/service.js';
import { type LoadResult, runLoadInChild } from './http-load.js';
import { percentile } from './stats.js';

/**
 * `npm run bench -- webhook-ingest [--concurrency 10] [--duration-s 10] [--batch 100]`
 *
 * The default concurrency is HubSpot's own: "a concurrency limit of 10 requests when sending
 * subscription event data" (docs/hubspot-facts.md "Webhooks").
 *
 * Sends v3-signed batches of unique HubSpot events at fixed concurrency to the real receiver
 * (signature check, zod, one INSERT per batch into the inbox on PostgreSQL with fsync on), and
 * reports events durably accepted per second and ack latency. In the same run, the same load
 * against a bare Fastify endpoint gives this machine's ceiling. Target (issue 5): ≥ 20,000
 * events/s in batches of 100, p99 ack < 50 ms.
 */

const SECRET = 'bench-client-secret';

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function benchDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const configured = loadConfig().database.url;
  const name = `bench_webhook_ingest_${randomBytes(3).toString('hex')}`;
  if (configured) return { url: await ensureDatabase(configured, name), stop: async () => undefined };
  const server = await startThrowawayDatabase({ durable: true });
  return {
    url: await ensureDatabase(server.adminUrl, name),
    stop: async () => {
      await server.stop();
    },
  };
}

function summarize(result: LoadResult) {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const seconds = result.elapsedMs / 1000;
  return {
    requestsPerS: result.requests / seconds,
    eventsPerS: result.events / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors: result.errors,
  };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { concurrency: { type: 'string', default: '10' }, 'duration-s': { type: 'string', default: '10' }, batch: { type: 'string', default: '100' } },
  });
  const concurrency = Number(values.concurrency);
  const durationMs = Number(values['duration-s']) * 1000;
  const eventsPerBatch = Number(values.batch);

  const database = await benchDatabase();
  const pool = createPool(database.url, 1);
  await migrate(pool);
  const config = loadConfig({ DATABASE_URL: database.url, HUBSPOT_CLIENT_SECRET: SECRET, INBOX_WORKERS: '0', LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '16' });
  const service = await createService(config, createLogger({ level: 'warn' }));
  const bare = Fastify({ logger: false });
  bare.post('/bare', async () => ({ received: eventsPerBatch, stored: eventsPerBatch, duplicates: 0 }));
  try {
    const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const spec = { concurrency, warmupMs: 2000, durationMs, eventsPerBatch };
    process.stdout.write(`webhook-ingest: ${concurrency} concurrent, batches of ${eventsPerBatch}, ${durationMs / 1000} s per phase (+2 s warm-up), PostgreSQL fsync on\n`);
    const ingest = summarize(await runLoadInChild({ ...spec, url: `${base}/api/v1/webhooks/hubspot`, secret: SECRET }));
    const { rows } = await pool.query<{ n: number }>('SELECT coalesce(sum(event_count), 0)::int AS n FROM webhook_batches');
    const ceilingBase = await bare.listen({ port: 0, host: '127.0.0.1' });
    const ceiling = summarize(await runLoadInChild({ ...spec, url: `${ceilingBase}/bare` }));

    process.stdout.write(
      [
        `  receiver: ${Math.round(ingest.eventsPerS)} events/s (${Math.round(ingest.requestsPerS)} batches/s), ack p50 ${round(ingest.p50Ms)} ms, p99 ${round(ingest.p99Ms)} ms, errors ${ingest.errors}`,
        `  events committed to the inbox (incl. warm-up): ${rows[0]!.n}`,
        `  ceiling (bare Fastify, same bodies, no signature or database): ${Math.round(ceiling.requestsPerS)} requests/s, p50 ${round(ceiling.p50Ms)} ms, p99 ${round(ceiling.p99Ms)} ms`,
        `  target: >= 20000 events/s in batches of 100, p99 < 50 ms -> ${ingest.eventsPerS >= 20_000 && ingest.p99Ms < 50 ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'webhook-ingest',
        events_per_s: Math.round(ingest.eventsPerS),
        p50_ms: round(ingest.p50Ms, 2),
        p99_ms: round(ingest.p99Ms, 2),
        ceiling_requests_per_s: Math.round(ceiling.requestsPerS),
      })}\n`,
    );
  } finally {
    await bare.close();
    await service.close();
    await pool.end();
    await database.stop();
  }
}
