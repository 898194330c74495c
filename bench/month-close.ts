// `npm run bench -- month-close [--customers 10000]`: a month of roll-ups for N customers (a trunk
// and three numbers each), month close timed in the database, then the invoices delivered to the
// simulator as native invoices with line items; HubSpot requests against the ideal (batch creates
// of 100, associations inline), RSS. Goals: database part < 60 s, requests ≤ 1.05 × ideal.
import { pino } from 'pino';
import { Registry } from 'prom-client';

import { createPool } from '../src/db/pool.js';
import { createHubSpotGateway } from '../src/hubspot/gateway.js';
import { closeMonth } from '../src/revenue/month-close.js';
import { addMonths, monthOf } from '../src/revenue/months.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';
import { deliverInvoices } from '../src/sync/revenue/deliver-invoices.js';
import { flag, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';

const BATCH = 100;

export async function run(args: string[]): Promise<void> {
  const customers = flag(args, 'customers', 10_000);
  const month = addMonths(monthOf(Date.now()), -1);
  const db = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--burst-limit', '100000', '--daily-limit', '10000000']);
  const pool = createPool(db.url, 8);
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  try {
    const seeded = (await (await fetch(`${sim.url}/__sim/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ companies: customers }) })).json()) as {
      created: { companies: { firstId: string; lastId: string } };
    };
    const firstCompany = Number(seeded.created.companies.firstId);
    if (Number(seeded.created.companies.lastId) - firstCompany + 1 !== customers) throw new Error('the simulator did not seed consecutive company ids');
    const setupStarted = Date.now();
    await pool.query(
      `WITH c AS (INSERT INTO customers (ban, hubspot_company_id, name)
                  SELECT (100000 + g)::text, ($2 + g - 1)::text, 'Bench customer ' || g FROM generate_series(1, $1) g RETURNING id)
       INSERT INTO trunks (trunk_id, customer_id, name, concurrent_calls, monthly_minutes, monthly_fee, created_at)
       SELECT 'trunk_bench' || id, id, 'Bench trunk', 10, 10000, 25.00, $3::timestamptz FROM c`,
      [customers, firstCompany, `${addMonths(month, -1)}-20T00:00:00Z`],
    );
    await pool.query(
      `INSERT INTO numbers (number, customer_id, type, monthly_cost, created_at)
       SELECT '+1303' || lpad((c.id * 3 + k)::text, 7, '0'), c.id, 'local', 1.00, $1::timestamptz FROM customers c, generate_series(0, 2) k`,
      [`${month}-10T00:00:00Z`],
    );
    // A month of roll-ups: one customer-month row and a row per customer-day (the churn analysis reads those).
    await pool.query(
      `INSERT INTO usage_customer_months (customer_id, month, calls_attempted, calls_completed, billable_seconds, spend)
       SELECT id, $1::date, 3000, 2000, 360000, round((id % 997) * 1.37 + 0.123456, 6) FROM customers`,
      [`${month}-01`],
    );
    await pool.query(
      `INSERT INTO usage_customer_days (customer_id, day, calls_attempted, calls_completed, billable_seconds, spend)
       SELECT c.id, d::date, 100, 66, 12000, 1.5 FROM customers c, generate_series($1::date, ($1::date + interval '1 month' - interval '1 day'), interval '1 day') d`,
      [`${month}-01`],
    );
    await pool.query('ANALYZE');
    process.stdout.write(`month-close: ${customers} customers, ${month}: a trunk (25.00) and three numbers (1.00) each, a month of roll-ups (set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s)\n`);

    const started = performance.now();
    const counts = await closeMonth(pool, month, { nowMs: Date.now() });
    const dbSeconds = (performance.now() - started) / 1000;
    const lines = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM invoice_lines')).rows[0]!.n);
    process.stdout.write(`  database: ${counts.invoicesIssued} invoices (${counts.firstNumber} … ${counts.lastNumber}), ${lines} lines, churn analysis of ${counts.customers} customers in ${dbSeconds.toFixed(1)} s\n`);

    const gateway = createHubSpotGateway({
      baseUrl: sim.url, accessToken: 'bench', budgetStore: createRateBudgetStore(pool), accountKey: 'bench-month-close', metrics: new Registry(),
      logger: pino({ level: 'warn' }), chunkConcurrency: 8, limits: { burstLimit: 100_000, dailyLimit: 10_000_000 },
    });
    const before = (await sim.requests()).length;
    const sendStarted = performance.now();
    const delivered = await deliverInvoices({ pool, gateway, logger: pino({ level: 'warn' }) }, month);
    const sendSeconds = (performance.now() - sendStarted) / 1000;
    await gateway.close();
    const requests = (await sim.requests()).length - before;
    const ideal = Math.ceil(counts.invoicesIssued / BATCH) + Math.ceil(lines / BATCH);
    process.stdout.write(`  HubSpot: ${delivered.nativeInvoices} invoices and ${delivered.lineItems} line items in ${sendSeconds.toFixed(1)} s, ${requests} requests (ideal ${ideal}: batch creates of ${BATCH} with inline associations; +1 portal check)\n`);
    clearInterval(sample);
    const rssMb = Math.round(peakRss / 1_048_576);
    process.stdout.write(`  goal: database part < 60 s -> ${dbSeconds.toFixed(1)} s: ${dbSeconds < 60 ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`  goal: requests <= 1.05 x ideal (${Math.floor(ideal * 1.05)}) -> ${requests}: ${requests <= ideal * 1.05 ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`  peak RSS of the benchmark process: ${rssMb} MB\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'month-close', customers, db_seconds: Number(dbSeconds.toFixed(2)), requests, ideal, rss_mb: rssMb })}\n`);
  } finally {
    clearInterval(sample);
    await pool.end();
    await sim.stop();
    await db.stop();
  }
}
