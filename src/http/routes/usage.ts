import type { Registry } from 'prom-client';
import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { AppError, badRequest } from '../../lib/errors.js';
import { utcDay } from '../../usage/days.js';
import { createIngestDeps, type IngestResult, ingestCalls, ingestMessages, ingestSamples, MAX_RECORDS_PER_REQUEST } from '../../usage/ingest.js';
import { createUsageMetrics } from '../../usage/metrics.js';
import { customerUsage, MAX_RANGE_DAYS, rangeDays, trunkUsageReport } from '../../usage/report.js';
import { getAccount } from '../../warp/accounts.js';
import { getTrunk } from '../../warp/trunks.js';
import { defineRoute } from '../route.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams } from './customer-scope.js';

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

const ingestResultView = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  corrected: z.number().int(),
  stale: z.number().int(),
  rejected: z.array(
    z.object({
      index: z.number().int(),
      id: z.string().nullable(),
      errors: z.array(z.object({ code: z.string(), field: z.string().optional(), message: z.string() })),
    }),
  ),
});

const usageFiguresView = z.object({
  period: z.string(),
  calls_attempted: z.number().int(),
  calls_completed: z.number().int(),
  minutes_used: z.number(),
  sms_sent: z.number().int(),
  spend: z.string().describe('Decimal, at least two places'),
  asr: z.number().nullable(),
  acd: z.number().nullable(),
  billable_seconds: z.number().int(),
  outbound_answered: z.number().int(),
});
const trunkUsageFiguresView = usageFiguresView.extend({ peak_active_calls: z.number().int().nullable(), utilization: z.number().nullable() });

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
  const ingest = createIngestDeps({ pool: deps.pool, retentionDays: deps.rawRetentionDays, metrics: createUsageMetrics(deps.metrics) });
  const post = <const Id extends string>(operationId: Id, path: string, what: string, run: (records: unknown[]) => Promise<IngestResult>, body: z.ZodType<unknown[]>) =>
    defineRoute({
      operationId,
      method: 'POST',
      url: `/usage/${path}`,
      access: 'usage:write',
      tag: 'usage',
      summary: `Post up to ${MAX_RECORDS_PER_REQUEST} ${what} (JSON, optionally gzip); committed before the answer`,
      body,
      bodyLimitBytes: deps.bodyLimitBytes,
      acceptsGzip: true,
      // Records are never sent to HubSpot as such; their ids are checked one by one (records.ts).
      checksSensitiveText: true,
      success: { status: 200, description: 'Counts of accepted, duplicate, corrected and stale records, and each rejected one with its reasons', schema: ingestResultView },
      handler: async ({ body: records }) => {
        checkCount(records.length);
        return answer(await run(records), records.length);
      },
    });

  return [
    post('ingestCalls', 'calls', 'rated call records', (r) => ingestCalls(ingest, r), recordsBody),
    post('ingestMessages', 'messages', 'rated message records', (r) => ingestMessages(ingest, r), recordsBody),
    post('ingestActiveCalls', 'active-calls', 'active-call samples', (r) => ingestSamples(ingest, r), samplesBody),
    defineRoute({
      operationId: 'customerUsage',
      method: 'GET',
      url: '/customers/:ban/usage',
      access: 'read',
      tag: 'usage',
      summary: 'Usage figures of a customer per UTC day or month (default: this month by day)',
      params: banParams,
      query: customerQuery,
      success: { status: 200, description: 'The figures of every period of the range', schema: z.object({ usage: z.array(usageFiguresView) }) },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, query }) => {
        checkRange(query.from, query.to, query.granularity);
        const account = valueOrRefusal(await getAccount({ pool: deps.pool }, params.ban));
        return { usage: await customerUsage(deps.pool, account.id, query.from, query.to, query.granularity) };
      },
    }),
    defineRoute({
      operationId: 'trunkUsage',
      method: 'GET',
      url: '/customers/:ban/trunks/:trunkId/usage',
      access: 'read',
      tag: 'usage',
      summary: 'Usage figures and utilization of a trunk per UTC hour or day (default: this month by day)',
      params: trunkParams,
      query: trunkQuery,
      success: { status: 200, description: 'The figures and utilization of every period of the range', schema: z.object({ usage: z.array(trunkUsageFiguresView) }) },
      errors: { 404: 'No customer with this BAN, or no such trunk of it (deleted ones included)' },
      handler: async ({ params, query }) => {
        checkRange(query.from, query.to, query.granularity);
        const trunk = valueOrRefusal(await getTrunk({ pool: deps.pool }, params.ban, params.trunkId, { includeDeleted: true }));
        return { usage: await trunkUsageReport(deps.pool, trunk, query.from, query.to, query.granularity) };
      },
    }),
  ];
}
