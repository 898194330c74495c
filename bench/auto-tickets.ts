// `npm run bench -- auto-tickets [--requests N] [--instances I] [--clients C] [--repeats R]`: a storm of
// auto-ticket requests from WARP's monitoring, spread over I service instances (API + outbox
// workers each) on one database, against a simulator process. Two triggers: low ASR from 40
// customers (more than the storm threshold of 20: a storm) and a SIP 5xx spike from 10 customers
// (no storm), every alert key repeated the same number of times in shuffled order. Prints the
// HubSpot tickets and ticket notes made against the ideal (one ticket per key, one note per
// recurrence, one platform ticket instead of tickets for customers above the threshold) and the
// API's requests per second. Last line: one JSON object.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';
import { createService, type Service } from '../src/service.js';
import { createApiKey } from '../src/store/api-keys.js';
import { insertTrunk } from '../src/store/trunks.js';
import { flag, startBenchDatabase, startSimulatorProcess } from './hubspot-support.js';
import { BURST_LIMIT, createCustomer, outboxEmpty, waitUntil } from './outbound-support.js';

const STORM_CUSTOMERS = 20;
const TRIGGERS = [
  { trigger: 'asr_below_threshold', customers: 40, data: (trunkId: string, i: number) => ({ trunk_id: trunkId, current_asr: (30 + (i % 10)) / 100, threshold: 0.5, period: 'last_hour' }) },
  { trigger: 'sip_5xx_spike', customers: 10, data: (trunkId: string, i: number) => ({ trunk_id: trunkId, rate_5xx: (20 + (i % 10)) / 100, threshold: 0.05, period: 'last_15_minutes' }) },
];

/** A deterministic shuffle (mulberry32), so runs are comparable. */
function shuffle<T>(items: T[], seed: number): T[] {
  let a = seed;
  const random = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export async function run(args: string[]): Promise<void> {
  const totalCustomers = TRIGGERS.reduce((n, t) => n + t.customers, 0);
  const repeats = flag(args, 'repeats', Math.round(flag(args, 'requests', 10_000) / totalCustomers));
  const instances = flag(args, 'instances', 2);
  const clients = flag(args, 'clients', 16);
  const database = await startBenchDatabase();
  const sim = await startSimulatorProcess(['--time-scale', '1', '--burst-limit', String(BURST_LIMIT)]);
  const env = () => ({
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '20',
    PORT: '1',
    LOG_LEVEL: 'warn',
    HUBSPOT_ACCESS_TOKEN: 'bench-token',
    HUBSPOT_BASE_URL: sim.url,
    HUBSPOT_ACCOUNT_KEY: 'bench-auto-tickets',
    HUBSPOT_BURST_LIMIT: String(BURST_LIMIT),
    OUTBOX_WORKERS: '2',
    OUTBOX_POLL_INTERVAL_MS: '200',
  });
  const services: Service[] = [];
  try {
    for (let i = 0; i < instances; i++) services.push(await createService(loadConfig(env()), createLogger({ level: 'warn' })));
    const addresses = await Promise.all(services.map((s) => s.app.listen({ port: 0, host: '127.0.0.1' })));
    const { pool } = services[0]!.db;
    const { key } = await createApiKey(pool, 'monitoring', ['support:write']);

    const requests: Array<{ trigger: string; customer_id: string; data: Record<string, unknown> }> = [];
    for (const [t, definition] of TRIGGERS.entries()) {
      for (let c = 0; c < definition.customers; c++) {
        const customer = await createCustomer(pool, services[0]!.hubspot.gateway, `Bench ${t}-${c}`);
        const trunk = await insertTrunk(pool, customer.id, { name: 'Primary', ipAddresses: ['198.51.100.9'], concurrentCalls: 30, monthlyMinutes: 100_000 });
        for (let r = 0; r < repeats; r++) requests.push({ trigger: definition.trigger, customer_id: customer.ban, data: definition.data(trunk.trunkId, r) });
      }
    }
    shuffle(requests, 12);
    await waitUntil(() => outboxEmpty(pool), 60_000, 'setup to settle');
    const before = (await sim.requests()).length;

    const startedAt = performance.now();
    let next = 0;
    const outcomes: Record<string, number> = {};
    const client = async (index: number): Promise<void> => {
      const address = addresses[index % addresses.length]!;
      while (next < requests.length) {
        const body = requests[next++]!;
        const response = await fetch(`${address}/api/v1/support/auto-ticket`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const answer = (await response.json()) as { outcome?: string };
        const outcome = response.status === 200 ? (answer.outcome ?? '?') : `http_${response.status}`;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
    const apiSeconds = (performance.now() - startedAt) / 1000;
    await waitUntil(() => outboxEmpty(pool), 30 * 60_000, 'every ticket and note in the simulator');
    const seconds = (performance.now() - startedAt) / 1000;

    const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as { objects: Record<string, Record<string, { properties: Record<string, string | null> }>> };
    const tickets = Object.values(state.objects['0-5'] ?? {}).filter((t) => t.properties['warp_alert_key']);
    const platformTickets = tickets.filter((t) => (t.properties['warp_alert_key'] ?? '').startsWith('storm:')).length;
    const notes = Object.values(state.objects['0-46'] ?? {}).map((n) => n.properties['hs_note_body'] ?? '');
    const ticketNotes = notes.filter((b) => b.includes('[warp-ticket-note-')).length;
    const stormNotes = notes.filter((b) => b.includes('platform incident')).length;
    const sent = (await sim.requests()).slice(before);
    const ticketWrites = sent.filter((r) => r.method !== 'GET' && r.path.startsWith('/crm/v3/objects/tickets')).length;
    const noteWrites = sent.filter((r) => r.method !== 'GET' && r.path.startsWith('/crm/v3/objects/notes/batch/create')).length;

    const stormTriggers = TRIGGERS.filter((t) => t.customers > STORM_CUSTOMERS);
    const ticketedCustomers = TRIGGERS.reduce((n, t) => n + Math.min(t.customers, STORM_CUSTOMERS), 0);
    const idealTickets = ticketedCustomers + stormTriggers.length;
    const idealNotes = ticketedCustomers * (repeats - 1);
    const idealStormNotes = stormTriggers.reduce((n, t) => n + t.customers - STORM_CUSTOMERS, 0);
    const perSecond = requests.length / apiSeconds;

    process.stdout.write(
      [
        `auto-tickets: ${requests.length} requests (${TRIGGERS.map((t) => `${t.trigger}: ${t.customers} customers`).join(', ')}; each alert key ${repeats} times, shuffled),`,
        `  ${instances} service instances on one database, ${clients} concurrent clients; storm threshold ${STORM_CUSTOMERS} customers`,
        `  outcomes:                       ${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `  HubSpot tickets:                ${tickets.length} (${platformTickets} platform)   ideal ${idealTickets} (one per key, one platform ticket per storm)`,
        `  notes on tickets:               ${ticketNotes}   ideal ${idealNotes} (one per recurrence)`,
        `  storm notes on companies:       ${stormNotes}   ideal ${idealStormNotes} (one per customer above the threshold)`,
        `  HubSpot requests:               ${sent.length} (${ticketWrites} ticket writes, ${noteWrites} note batch creates)`,
        `  API:                            ${perSecond.toFixed(0)} requests/s (${apiSeconds.toFixed(1)} s); everything in HubSpot after ${seconds.toFixed(1)} s`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'auto-tickets', requests: requests.length, tickets: tickets.length, ideal_tickets: idealTickets, notes: ticketNotes, ideal_notes: idealNotes, per_s: Number(perSecond.toFixed(1)) })}\n`,
    );
  } finally {
    for (const service of services) await service.close();
    await sim.stop();
    await database.stop();
  }
}
