// `npm run bench -- dashboard [--requests N]`: the ops dashboard's server time under a realistic
// database (10,000 customers, 100,000 dead letters, 1,000,000 audit rows, 7 days of one-minute
// samples, 10,000 conflicts), page by page: p50/p95 of the time from request to last byte through
// the whole Fastify app (session lookup included) and the page size. Goal: every page p95 < 200 ms.
// Last line: {"bench":"dashboard","pages":{...},"p95_ms_max":N}.
import { performance } from 'node:perf_hooks';

import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/lib/logger.js';
import { createService } from '../src/service.js';
import { createApiKey } from '../src/store/api-keys.js';
import { flag, startBenchDatabase } from './hubspot-support.js';

const GOAL_P95_MS = 200;

const SEED = [
  `INSERT INTO customers (ban, hubspot_company_id, name, domain, status, mrr)
   SELECT (1000000 + g)::text, (9000000 + g)::text, 'Customer ' || g || CASE WHEN g % 500 = 0 THEN ' <script>alert(1)</script>' ELSE '' END,
          'c' || g || '.example', (ARRAY['active','suspended','churned'])[1 + g % 3], g % 5000
   FROM generate_series(1, 10000) g`,
  `INSERT INTO dead_letters (object_type, record_key, payload, errors, correlation_id, status, created_at, resolved_at)
   SELECT (ARRAY['company','trunk','number','contact'])[1 + g % 4],
          CASE WHEN g % 4 = 0 THEN (1 + g % 10000)::text ELSE 'rec_' || g END,
          jsonb_build_object('name', 'Customer ' || g, 'email', 'person' || g || '@example.com', 'warp_mtd_spend', g % 900),
          jsonb_build_array(
            jsonb_build_object('at', now() - g * interval '20 seconds', 'status', (ARRAY[502, 429, 400, 0])[1 + g % 4], 'message', 'HubSpot answered ' || (ARRAY[502, 429, 400, 0])[1 + g % 4], 'correlationId', md5(g::text)),
            jsonb_build_object('at', now() - g * interval '20 seconds', 'status', (ARRAY[502, 429, 400, 0])[1 + g % 4], 'message', 'HubSpot answered again', 'correlationId', md5((g + 1)::text))),
          md5(g::text), CASE WHEN g % 10 = 0 THEN 'retried' ELSE 'open' END, now() - g * interval '20 seconds',
          CASE WHEN g % 10 = 0 THEN now() END
   FROM generate_series(1, 100000) g`,
  `INSERT INTO audit_log (at, entity_type, entity_id, source, event, changes)
   SELECT now() - g * interval '1 second', 'customer', (9000000 + 1 + g % 10000)::text, (ARRAY['hubspot','reconcile','import','fetch'])[1 + g % 4],
          'company.propertyChange', jsonb_build_object((ARRAY['name','domain','industry','tier','credit_limit'])[1 + g % 5], jsonb_build_object('before', 'v' || (g - 1), 'after', 'v' || g))
   FROM generate_series(1, 1000000) g`,
  `INSERT INTO ops_samples (at, inbox_pending, inbox_lag_ms, outbox_pending, outbox_lag_ms, dead_letters_open, conflicts_open, burst_used, daily_used)
   SELECT date_trunc('minute', now()) - g * interval '1 minute', g % 50, (g % 30) * 1000, g % 200, (g % 90) * 1000, 90000, 10000, g % 100, g * 3
   FROM generate_series(0, 7 * 24 * 60 - 1) g`,
  `INSERT INTO sync_conflicts (object_type, object_id, property, owner, hubspot_value, warp_value, hubspot_source, changed_at, resolution)
   SELECT 'company', (9000000 + 1 + g % 10000)::text, (ARRAY['warp_status','warp_api_enabled','warp_mrr'])[1 + g % 3], 'warp', 'h' || g, 'w' || g, 'CRM_UI', now() - g * interval '1 minute', 'owner_value_written_back'
   FROM generate_series(1, 10000) g`,
  // What autovacuum does to freshly loaded tables (visibility map for index-only counts, statistics).
  `VACUUM ANALYZE`,
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(args: string[]): Promise<void> {
  const requests = flag(args, 'requests', 40);
  const db = await startBenchDatabase();
  const seedPool = createPool(db.url, 1);
  const seedStarted = performance.now();
  for (const statement of SEED) await seedPool.query(statement);
  const { key } = await createApiKey(seedPool, 'bench-admin', ['admin']);
  const someLetter = (await seedPool.query<{ id: string }>(`SELECT id FROM dead_letters WHERE status = 'open' ORDER BY id DESC LIMIT 1`)).rows[0]!.id;
  await seedPool.end();
  process.stdout.write(`seeded 10,000 customers, 100,000 dead letters, 1,000,000 audit rows, 10,080 samples, 10,000 conflicts in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`);

  const config = loadConfig({ DATABASE_URL: db.url, ROLE: 'api', LOG_LEVEL: 'silent', SIMULATOR_PORT: '0', HUBSPOT_PROVISION_AT_START: 'false' });
  const service = await createService(config, createLogger({ level: 'silent' }));
  try {
    const app = service.app;
    const form = await app.inject('/ops/sign-in');
    const signInCookie = form.cookies.find((c) => c.name === 'ops_signin')!.value;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const signedIn = await app.inject({
      method: 'POST',
      url: '/ops/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ops_signin=${signInCookie}` },
      payload: new URLSearchParams({ key, _csrf: csrf, next: '/ops' }).toString(),
    });
    const session = signedIn.cookies.find((c) => c.name === 'ops_session')!.value;
    const pages: Record<string, string> = {
      overview: '/ops',
      'overview-7d': '/ops?range=7d',
      'dead-letters': '/ops/dead-letters',
      'dead-letters-filtered': '/ops/dead-letters?objectType=trunk&errorKind=hubspot_rate_limited&minAgeHours=1',
      'dead-letters-customer': '/ops/dead-letters?customer=1005000',
      'dead-letter-bulk-confirm': '/ops/dead-letters/bulk?action=retry&objectType=number',
      'dead-letter': `/ops/dead-letters/${someLetter}`,
      conflicts: '/ops/conflicts',
      customers: '/ops/customers?q=Customer%2099',
      customer: '/ops/customers/1005000',
      schedules: '/ops/schedules',
      actions: '/ops/actions',
      keys: '/ops/keys',
    };
    const results: Record<string, { p50_ms: number; p95_ms: number; bytes: number }> = {};
    process.stdout.write(`\n${'page'.padEnd(26)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'goal p95'.padStart(9)} ${'bytes'.padStart(8)}\n`);
    for (const [name, url] of Object.entries(pages)) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < requests + 3; i++) {
        const started = performance.now();
        const response = await app.inject({ url, headers: { cookie: `ops_session=${session}` } });
        const ms = performance.now() - started;
        if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        bytes = response.rawPayload.length;
        if (i >= 3) times.push(ms);
      }
      times.sort((a, b) => a - b);
      const result = { p50_ms: Math.round(percentile(times, 50) * 10) / 10, p95_ms: Math.round(percentile(times, 95) * 10) / 10, bytes };
      results[name] = result;
      const verdict = result.p95_ms < GOAL_P95_MS ? 'ok' : 'OVER';
      process.stdout.write(`${name.padEnd(26)} ${String(result.p50_ms).padStart(8)} ${String(result.p95_ms).padStart(8)} ${`< ${GOAL_P95_MS}`.padStart(9)} ${String(bytes).padStart(8)}  ${verdict}\n`);
    }
    const p95Max = Math.max(...Object.values(results).map((r) => r.p95_ms));
    process.stdout.write(`\nslowest page p95: ${p95Max} ms (goal < ${GOAL_P95_MS} ms): ${p95Max < GOAL_P95_MS ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'dashboard', requests_per_page: requests, pages: results, p95_ms_max: p95Max, goal_p95_ms: GOAL_P95_MS })}\n`);
  } finally {
    await service.close();
    await db.stop();
  }
}
