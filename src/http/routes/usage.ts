import type { Registry } from 'prom-client';
import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { AppError, badRequest, notFound } from '../../lib/errors.js';
import { findTrunk } from '../../store/trunks.js';
import { utcDay } from '../../usage/days.js';
import { type IngestDeps, type IngestResult, ingestCalls, ingestMessages, ingestSamples, MAX_RECORDS_PER_REQUEST } from '../../usage/ingest.js';
import { createUsageMetrics } from '../../usage/metrics.js';
import { createPartitionKeeper } from '../../usage/partitions.js';
import { customerUsage, MAX_RANGE_DAYS, rangeDays, trunkUsageReport } from '../../usage/report.js';
import { defineRoute } from '../route.js';
import { banParams, customerIdByBan } from './customer-scope.js';

export interface UsageRouteDeps {
  pool: Pool;
  metrics: Registry;
  rawRetentionDays: number;
  bodyLimitBytes: number;
}

// The envelope only: every record is validated on its own by the ingest.
const recordsBody = z.object({ records: z.array(z.unknown()) }).transform((b) => b.records);
const samplesBody = z.object({ samples: z.array(z.unknown()) }).transform((b) => b.samples);

const day = z.iso.date({ error: 'must be a day YYYY-MM-DD' });
/** Default range: the current UTC month up to today. */
const withDefaults = <G extends string>(q: { from?: string | undefined; to?: string | undefined; granularity: G }) => {
  const to = q.to ?? utcDay(Date.now());
  return { granularity: q.granularity, to, from: q.from ?? `${to.slice(0, 7)}-01` };
};
const customerQuery = z.object({ from: day.optional(), to: day.optional(), granularity: z.enum(['day', 'month']).default('day') }).transform(withDefaults);
const trunkQuery = z.object({ from: day.optional(), to: day.optional(), granularity: z.enum(['hour', 'day']).default('day') }).transform(withDefaults);

const trunkParams = banParams.extend({ trunkId: z.string().regex(/^trunk_[A-Za-z0-9_]+$/, 'a trunk id looks like trunk_…') });

function checkRange(from: string, to: string, granularity: keyof typeof MAX_RANGE_DAYS): void {
  if (from > to) throw badRequest('invalid_range', '"from" is after "to"');
  if (rangeDays(from, to) > MAX_RANGE_DAYS[granularity]) {
    throw badRequest('range_too_large', `granularity=${granularity} allows at most ${MAX_RANGE_DAYS[granularity]} days`);
  }
}

/** 400 when nothing in the request was usable; otherwise the per-record outcomes. */
function answer(result: IngestResult, total: number): IngestResult {
  if (total === 0) throw badRequest('no_records', 'The request holds no records');
  if (result.rejected.length === total) {
    throw badRequest('no_usable_records', 'Every record of the request was rejected', { rejected: result.rejected });
  }
  return result;
}

function checkCount(count: number): void {
  if (count > MAX_RECORDS_PER_REQUEST) {
    throw new AppError(413, 'too_many_records', `At most ${MAX_RECORDS_PER_REQUEST} records per request (got ${count})`);
  }
}

/**
 * Usage ingest (scope `usage:write`: the switches' key) and the usage figures (scope `read`).
 * See docs/usage.md for the rules behind every outcome.
 */
export function usageRoutes(deps: UsageRouteDeps) {
  const ingest: IngestDeps = {
    pool: deps.pool,
    retentionDays: deps.rawRetentionDays,
    partitions: createPartitionKeeper(deps.pool),
    metrics: createUsageMetrics(deps.metrics),
  };
  const post = (path: string, what: string, run: (records: unknown[]) => Promise<IngestResult>, body: z.ZodType<unknown[]>) =>
    defineRoute({
      method: 'POST',
      url: `/usage/${path}`,
      access: 'usage:write',
      tag: 'usage',
      summary: `Post up to ${MAX_RECORDS_PER_REQUEST} ${what} (JSON, optionally gzip); committed before the answer`,
      body,
      bodyLimitBytes: deps.bodyLimitBytes,
      acceptsGzip: true,
      success: { status: 200, description: 'Counts of accepted, duplicate, corrected and stale records, and each rejected one with its reasons' },
      handler: async ({ body: records }) => {
        checkCount(records.length);
        return answer(await run(records), records.length);
      },
    });

  return [
    post('calls', 'rated call records', (r) => ingestCalls(ingest, r), recordsBody),
    post('messages', 'rated message records', (r) => ingestMessages(ingest, r), recordsBody),
    post('active-calls', 'active-call samples', (r) => ingestSamples(ingest, r), samplesBody),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/usage',
      access: 'read',
      tag: 'usage',
      summary: 'Usage figures of a customer per UTC day or month (default: this month by day)',
      params: banParams,
      query: customerQuery,
      success: { status: 200, description: '{"usage":[{period, calls_attempted, calls_completed, minutes_used, sms_sent, spend, asr, acd, …}]}' },
      handler: async ({ params, query }) => {
        checkRange(query.from, query.to, query.granularity);
        const customerId = await customerIdByBan(deps.pool, params.ban);
        return { usage: await customerUsage(deps.pool, customerId, query.from, query.to, query.granularity) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/customers/:ban/trunks/:trunkId/usage',
      access: 'read',
      tag: 'usage',
      summary: 'Usage figures and utilization of a trunk per UTC hour or day (default: this month by day)',
      params: trunkParams,
      query: trunkQuery,
      success: { status: 200, description: '{"usage":[{period, …, peak_active_calls, utilization}]}' },
      handler: async ({ params, query }) => {
        checkRange(query.from, query.to, query.granularity);
        const customerId = await customerIdByBan(deps.pool, params.ban);
        const trunk = await findTrunk(deps.pool, params.trunkId, { includeDeleted: true });
        if (!trunk || trunk.customerId !== customerId) throw notFound(`No trunk ${params.trunkId} for BAN ${params.ban}`);
        return { usage: await trunkUsageReport(deps.pool, trunk, query.from, query.to, query.granularity) };
      },
    }),
  ];
}
