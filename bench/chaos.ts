// `npm run chaos`: N service instances (separate processes) on one PostgreSQL with fsync on, the
// HubSpot simulator in a process of its own with injected faults (5xx, 429, dropped connections,
// timeouts), a bounded mixed load (API writes of trunks, numbers, users and account events, edits
// in HubSpot's UI, won deals, usage records), `kill -9` of random instances (restarted), one
// PostgreSQL restart and a HubSpot outage of ~12 s. Then it drains, runs the latest slot of each
// schedule that sends WARP-owned values, drains again and checks every invariant
// (chaos-check.ts), prints each with its count, and ends with one JSON line. Goal: every
// violation count 0. Flags: --instances 3 --duration-s 120 --loops 3 --pause-ms 150.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { createPool, type Pool } from '../src/db/pool.js';
import { SCHEDULES } from '../src/schedules/catalogue.js';
import { previousSlot } from '../src/schedules/cron.js';
import { manualRunSince } from '../src/schedules/run-history.js';
import { queueSlotRun, resolveSchedules } from '../src/schedules/runtime.js';
import { createApiKey } from '../src/store/api-keys.js';
import { inboundWebhookSubscriptions } from '../src/sync/inbound/subscriptions.js';
import { type ArrivedRequest, busiestWindows, checkInvariants, checkRollups, type Finding, type SimState, transientDeadLetters } from './chaos-check.js';
import { chaosDirectory, createCluster, type Instance, startChaosDatabase, startWebhookFrontDoor } from './chaos-cluster.js';
import { type Customer, type LoadContext, newLedger, overflowingEdit, runLoad, sim, winDeal } from './chaos-load.js';
import { flag, startSimulatorProcess } from './hubspot-support.js';

const BURST_LIMIT = 100;
const BURST_WINDOW_MS = 10_000;
/** HubSpot's CRM search limit: 5 a second per account (the gateway's default). */
const SEARCH_LIMIT = 5;
const SEARCH_WINDOW_MS = 1_000;
const SECRET = 'chaos-client-secret';
const OUTAGE_MS = 12_000;
const DRAIN_TIMEOUT_MS = 240_000;
/** Passing faults all through the run: HubSpot has bad seconds. */
const BACKGROUND_FAULTS = [
  { kind: 'status', status: 503, fraction: 0.03 },
  { kind: 'status', status: 502, fraction: 0.01 },
  { kind: 'status', status: 429, policy: 'TEN_SECONDLY_ROLLING', fraction: 0.01 },
  { kind: 'drop', fraction: 0.01 },
  { kind: 'timeout', latencyMs: 6_000, fraction: 0.005 },
];

const say = (t0: number, line: string) => process.stdout.write(`  [${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

async function count(pool: Pool, sql: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
}

/** What is still moving: outbox rows, unfinished inbox events and batches, onboardings, pending fetches. */
async function backlog(pool: Pool): Promise<Record<string, number>> {
  const hasPendingFetches = (await pool.query<{ t: string | null }>(`SELECT to_regclass('pending_fetches')::text AS t`)).rows[0]!.t !== null;
  return {
    outbox: await count(pool, 'SELECT count(*) AS n FROM outbox'),
    inbox: await count(pool, `SELECT count(*) AS n FROM webhook_inbox WHERE status IN ('pending', 'processing')`),
    batches: await count(pool, 'SELECT count(*) AS n FROM webhook_batches WHERE expanded_at IS NULL AND quarantined_at IS NULL'),
    onboardings: await count(pool, `SELECT count(*) AS n FROM onboardings WHERE status = 'pending'`),
    pendingFetches: hasPendingFetches ? await count(pool, 'SELECT count(*) AS n FROM pending_fetches') : 0,
  };
}

async function drain(pool: Pool, simUrl: string, t0: number): Promise<boolean> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let quietRounds = 0;
  let last: Record<string, number> = {};
  while (Date.now() < deadline) {
    await fetch(`${simUrl}/__sim/webhooks/flush`, { method: 'POST' }).catch(() => undefined);
    last = await backlog(pool).catch(() => ({ unreachable: 1 }));
    quietRounds = Object.values(last).every((n) => n === 0) ? quietRounds + 1 : 0;
    if (quietRounds >= 3) return true;
    await sleep(2_000);
  }
  say(t0, `not drained after ${DRAIN_TIMEOUT_MS / 1000} s: ${JSON.stringify(last)}`);
  return false;
}

/**
 * The schedules that send WARP-owned values (docs/usage-sync.md "What goes where", docs/revenue.md):
 * `warp_mtd_minutes` goes out with the daily usage run, `warp_active_calls` and `warp_mtd_spend`
 * every 5 minutes, trunk peaks hourly, `warp_mrr` daily. A value is owed to HubSpot only once its
 * schedule has run, so each one's latest slot is run (as `schedules run NAME` does) before the check.
 */
const SCHEDULED_SENDS = ['usage-live', 'usage-hourly', 'usage-daily', 'revenue-daily'] as const;
const SCHEDULE_RUN_TIMEOUT_MS = 120_000;

async function runScheduledSends(pool: Pool, t0: number): Promise<void> {
  const schedules = resolveSchedules(SCHEDULES, {});
  for (const name of SCHEDULED_SENDS) {
    const schedule = schedules.find((s) => s.name === name)!;
    const slotAt = previousSlot(schedule.cron, new Date())!;
    const queuedAt = await queueSlotRun(pool, schedule, slotAt);
    const deadline = Date.now() + SCHEDULE_RUN_TIMEOUT_MS;
    let run = await manualRunSince(pool, name, slotAt, queuedAt);
    while (Date.now() < deadline && (!run || run.outcome === 'running' || run.outcome === 'abandoned')) {
      await sleep(250);
      run = await manualRunSince(pool, name, slotAt, queuedAt);
    }
    say(t0, `schedule ${name}, slot ${slotAt.toISOString()}: ${run?.outcome ?? 'not run'} ${JSON.stringify(run?.counts ?? {})}`);
  }
}

async function onboardedCustomers(pool: Pool, dealIds: string[]): Promise<Customer[]> {
  const { rows } = await pool.query<{ ban: string; company: string; trunks: string[] }>(
    `SELECT c.ban, c.hubspot_company_id AS company, ARRAY(SELECT trunk_id FROM trunks t WHERE t.customer_id = c.id AND t.deleted_at IS NULL) AS trunks
     FROM onboardings o JOIN customers c ON c.id = o.customer_id WHERE o.hubspot_deal_id = ANY($1) AND o.status = 'done'`,
    [dealIds],
  );
  return rows.map((r) => ({ ban: r.ban, companyId: r.company, trunks: r.trunks, numbers: [], users: [] }));
}

export async function run(args: string[]): Promise<void> {
  const instanceCount = flag(args, 'instances', 3);
  const durationMs = flag(args, 'duration-s', 120) * 1000;
  const loops = flag(args, 'loops', 3);
  const pauseMs = flag(args, 'pause-ms', 150);
  const dir = await chaosDirectory();
  const database = await startChaosDatabase(dir);
  const simulator = await startSimulatorProcess(['--burst-limit', String(BURST_LIMIT), '--client-secret', SECRET]);
  const pool = createPool(database.url, 4);
  pool.on('error', () => undefined); // the PostgreSQL restart ends this pool's idle connections too
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '8',
    HUBSPOT_ACCESS_TOKEN: 'chaos-token',
    HUBSPOT_BASE_URL: simulator.url,
    HUBSPOT_CLIENT_SECRET: SECRET,
    HUBSPOT_APP_ID: '7654321',
    HUBSPOT_BURST_LIMIT: String(BURST_LIMIT),
    HUBSPOT_BURST_WINDOW_MS: String(BURST_WINDOW_MS),
    HUBSPOT_REQUEST_TIMEOUT_MS: '4000',
    LOG_LEVEL: 'warn',
  };
  const cluster = createCluster({ count: instanceCount, dir, env });
  const door = await startWebhookFrontDoor(cluster);
  // HubSpot signs (v3) the URL it calls: the front door's, not an instance's.
  env['WEBHOOK_PUBLIC_BASE_URL'] = door.url;
  const requests: ArrivedRequest[] = [];
  let lastSeq = 0;
  const collectRequests = async (): Promise<void> => {
    const body = (await (await fetch(`${simulator.url}/__sim/requests?since=${lastSeq}`)).json()) as { results: Array<ArrivedRequest & { seq: number }> };
    for (const r of body.results) requests.push({ atMs: r.atMs, method: r.method, path: r.path, status: r.status, limit: r.limit, ...(r.fault ? { fault: r.fault } : {}) });
    lastSeq = body.results.at(-1)?.seq ?? lastSeq;
  };
  const t0 = Date.now();
  const ctx: LoadContext = { cluster, apiKey: '', simUrl: simulator.url, runId: randomBytes(3).toString('hex'), customers: [], ledger: newLedger() };
  let drained = false;
  let findings: Finding[] = [];
  let deadLetters = { open: 0, transient: [] as string[] };
  try {
    process.stdout.write(`chaos: ${instanceCount} instances on one PostgreSQL (fsync on), simulator with faults, ${durationMs / 1000} s of load (${loops} writers)\n`);
    ctx.apiKey = (await createApiKey(pool, 'chaos', ['admin', 'usage:write'])).key;
    await sim(ctx, '/__sim/webhooks/subscriptions', inboundWebhookSubscriptions());
    await sim(ctx, '/__sim/webhooks/settings', { targetUrl: `${door.url}/api/v1/webhooks/hubspot` }, 'PUT');
    // Instances started together: they provision the portal at the same moment.
    await cluster.start();
    say(t0, `${instanceCount} instances started; winning 3 deals`);
    const first = (await Promise.all([1, 2, 3].map((i) => winDeal(ctx, `Chaos ${ctx.runId} ${i}`)))).filter((d): d is string => d !== undefined);
    for (let i = 0; i < 90 && ctx.customers.length < first.length; i++) {
      await sleep(1_000);
      ctx.customers = await onboardedCustomers(pool, first);
    }
    say(t0, `${ctx.customers.length} customers onboarded; chaos starts`);
    if (ctx.customers.length === 0) throw new Error('no deal was onboarded: nothing to load');

    await sim(ctx, '/__sim/faults', BACKGROUND_FAULTS);
    const stopLoad = new AbortController();
    const load = runLoad(ctx, { loops, pauseMs, signal: stopLoad.signal });
    const start = Date.now();
    const at = async (fraction: number) => sleep(Math.max(0, start + fraction * durationMs - Date.now()));
    const killAndRestart = async (): Promise<void> => {
      const victim: Instance | undefined = cluster.liveInstances()[Math.floor(Math.random() * cluster.liveInstances().length)];
      if (!victim) return;
      await cluster.kill(victim);
      say(t0, `instance ${victim.index} killed (kill -9)`);
      await sleep(3_000);
      await cluster.restart(victim);
      say(t0, `instance ${victim.index} restarted`);
    };
    const timeline = (async () => {
      await at(0.12);
      await killAndRestart();
      await at(0.2);
      if (await winDeal(ctx, `Chaos ${ctx.runId} during 1`)) say(t0, 'a deal won during the run');
      await at(0.3);
      await overflowingEdit(ctx, ctx.customers[0]!);
      say(t0, 'a credit limit that overflows the column, then a valid one');
      await killAndRestart();
      await at(0.45);
      await database.restart(2_000);
      say(t0, 'PostgreSQL restarted (fast shutdown, 2 s down)');
      await at(0.55);
      await killAndRestart();
      await at(0.65);
      await sim(ctx, '/__sim/faults', [{ kind: 'status', status: 503, fraction: 1 }]);
      say(t0, `HubSpot outage: every request 503 for ${OUTAGE_MS / 1000} s`);
      await sleep(OUTAGE_MS);
      await sim(ctx, '/__sim/faults', {}, 'DELETE');
      await sim(ctx, '/__sim/faults', BACKGROUND_FAULTS);
      say(t0, 'HubSpot back');
      await at(0.75);
      if (await winDeal(ctx, `Chaos ${ctx.runId} during 2`)) say(t0, 'a deal won during the run');
      await at(0.85);
      await killAndRestart();
    })();
    const collector = setInterval(() => void collectRequests().catch(() => undefined), 10_000);
    await at(1);
    await timeline;
    stopLoad.abort();
    await load;
    await sim(ctx, '/__sim/faults', {}, 'DELETE');
    say(t0, `load stopped (${ctx.ledger.acknowledged} acknowledged, ${ctx.ledger.uncertain} unanswered, ${ctx.ledger.refused} refused, ${ctx.ledger.rejectedRecords} usage records rejected); draining`);
    // Crashed instances come back, as a supervisor would bring them: the crash is still counted.
    for (const instance of cluster.instances) if (!instance.live && instance.crashes.length > 0) await cluster.restart(instance).catch(() => undefined);
    drained = await drain(pool, simulator.url, t0);
    if (drained) {
      await runScheduledSends(pool, t0);
      drained = await drain(pool, simulator.url, t0);
    }
    clearInterval(collector);
    await collectRequests();
    say(t0, drained ? 'drained; checking' : 'checking what there is');
    const state = (await (await fetch(`${simulator.url}/__sim/state`)).json()) as SimState;
    findings = [...(await checkInvariants(pool, state, ctx.ledger)), await checkRollups(pool)];
    deadLetters = await transientDeadLetters(pool);
  } finally {
    const alive = cluster.instances.filter((i) => i.live).length;
    await cluster.stopAll();
    await door.close();
    await pool.end().catch(() => undefined);
    await simulator.stop();
    await database.stop();
    const crashed = cluster.instances.reduce((n, i) => n + i.crashes.length, 0);
    const windows = busiestWindows(requests, BURST_WINDOW_MS, SEARCH_WINDOW_MS);
    const sum = (kind: Finding['kind']) => findings.filter((f) => f.kind === kind).reduce((n, f) => n + f.count, 0);
    const line = (label: string, n: number | string, goal: string, examples: string[] = []) =>
      `  ${label.padEnd(92)} ${String(n).padStart(5)}   goal ${goal}${examples.length ? `\n      e.g. ${examples.join('\n           ')}` : ''}\n`;
    process.stdout.write(line('acknowledged changes (API 2xx, UI edits, won deals)', ctx.ledger.acknowledged, '-'));
    process.stdout.write(line('drained (outbox, inbox, onboardings, fetches empty)', drained ? 'yes' : 'no', 'yes'));
    for (const f of findings) process.stdout.write(line(f.name, f.count, '0', f.examples));
    process.stdout.write(line('instances that crashed (exits we did not cause)', crashed, '0', cluster.instances.flatMap((i) => i.crashes.map((c) => `instance ${i.index}: ${c}`))));
    process.stdout.write(line(`instances alive at the end (of ${instanceCount})`, alive, String(instanceCount)));
    process.stdout.write(line(`open dead letters of transient causes (of ${deadLetters.open} open)`, deadLetters.transient.length, '0', deadLetters.transient.slice(0, 3)));
    const searches = requests.filter((r) => r.limit === 'search').length;
    process.stdout.write(line(`most burst-limited requests in any rolling ${BURST_WINDOW_MS / 1000} s window (${requests.length - searches} requests)`, windows.burst, `≤ ${BURST_LIMIT}`));
    process.stdout.write(line(`most search requests in any rolling ${SEARCH_WINDOW_MS / 1000} s window (${searches} requests)`, windows.search, `≤ ${SEARCH_LIMIT}`));
    process.stdout.write(line('429s HubSpot answered itself (requests over a limit; injected ones not counted)', windows.refused, '0'));
    process.stdout.write(
      `${JSON.stringify({
        bench: 'chaos',
        acknowledged: ctx.ledger.acknowledged,
        lost: sum('lost'),
        duplicated: sum('duplicated'),
        stale_associations: sum('stale_associations'),
        missing_associations: sum('missing_associations'),
        instances_crashed: crashed,
        dead_letters_transient: deadLetters.transient.length,
        max_requests_in_window: windows.burst,
        limit: BURST_LIMIT,
        max_searches_in_window: windows.search,
        search_limit: SEARCH_LIMIT,
        hubspot_429s: windows.refused,
        rollup_mismatches: sum('rollups'),
        instances_alive: alive,
        drained,
      })}\n`,
    );
    await writeFile(path.join(dir, 'requests.json'), JSON.stringify(requests)).catch(() => undefined);
    await rm(path.join(dir, 'pg'), { recursive: true, force: true }).catch(() => undefined);
    process.stdout.write(`  instance logs and requests.json (every request HubSpot saw): ${dir}\n`);
  }
}
