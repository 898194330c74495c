import { afterAll, beforeAll, expect, it } from 'vitest';

import { createLogger } from '../../src/lib/logger.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { enqueue } from '../../src/store/outbox.js';
import { dayNoteKey } from '../../src/store/usage-day-notes.js';
import { usageWork } from '../../src/worker.js';
import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody, waitFor } from '../outbound/support.js';
import { callRecord } from './fixtures.js';

/**
 * The usage schedules against the simulator over HTTP: company and trunk properties, the daily
 * summary note and its correction, the 80 % alert and first call once, the credit limit from
 * real spend, and no HubSpot request at all when nothing changed. The schedules' work is called
 * the way the job system calls it (JOB_CONCURRENCY=0 keeps the real crontab out of the way).
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
let f: OutboundFixture;
let work: ReturnType<typeof usageWork>;
let switchKey: string;
let customer: { id: string; ban: string; companyId: string };
let trunkId: string;

const now = Date.now();
const todayStart = Math.floor(now / DAY_MS) * DAY_MS;
const yesterday = new Date(todayStart - DAY_MS).toISOString().slice(0, 10);
// A call today that has ended: in the first minutes of a day there is little "today" to use.
const todayCallStart = Math.max(todayStart + 1_000, now - 10 * 60_000);
const run = (name: keyof typeof work, slotAt = new Date()) => work[name]({ slotAt, signal: new AbortController().signal });

async function postCalls(records: Array<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const response = await f.service.app.inject({ method: 'POST', url: '/api/v1/usage/calls', headers: { authorization: `Bearer ${switchKey}` }, payload: { records } });
  expect(response.statusCode).toBe(200);
  return response.json();
}

const call = (callId: string, startMs: number, cost: string, version = 1) =>
  callRecord(trunkId, {
    callId,
    version,
    cost,
    startedAt: new Date(startMs).toISOString(),
    answeredAt: new Date(startMs + 5_000).toISOString(),
    endedAt: new Date(startMs + 65_000).toISOString(),
    billableSeconds: 60,
  });

async function company(): Promise<Record<string, string | null>> {
  const [record] = (await f.records('companies', ['warp_active_calls', 'warp_mtd_spend', 'warp_mtd_minutes'])).filter((c) => c.id === customer.companyId);
  return record!.properties;
}
const notes = async () => (await f.records('notes', ['hs_note_body'])).map((n) => n.properties['hs_note_body'] ?? '');
const cache = async () => (await f.db.pool.query<{ mtd_spend: string; mtd_minutes: string }>('SELECT mtd_spend, mtd_minutes FROM customers WHERE id = $1', [customer.id])).rows[0]!;
const writeRequests = () => f.sim.requestLog().filter((r) => r.method !== 'GET' && !r.path.includes('/search') && !r.path.startsWith('/__sim'));
async function drained(): Promise<void> {
  await outboxDrained(f.db);
}

beforeAll(async () => {
  f = await startOutboundFixture({ env: { JOB_CONCURRENCY: '0' } });
  work = usageWork(f.db.pool, createLogger({ level: 'warn' }), undefined, { webhookUrl: undefined, webhookTimeoutMs: 1_000 });
  switchKey = (await createApiKey(f.db.pool, 'switch', ['usage:write'])).key;
  customer = await f.createCustomer('Usage Sync Co');
  await f.db.pool.query('UPDATE customers SET credit_limit = 10 WHERE id = $1', [customer.id]);
  trunkId = (await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ concurrentCalls: 20 }) })).trunkId;
  await drained();
});
afterAll(async () => {
  await f?.close();
});

it('sends live usage once, fires the 80 % alert and the first call note once, and writes nothing when nothing changed', async () => {
  await postCalls([call('y-1', todayStart - DAY_MS + 10 * HOUR_MS, '0.50'), call('y-2', todayStart - DAY_MS + 11 * HOUR_MS, '0.50')]);
  await postCalls([call('t-1', todayCallStart, '8.00')]);
  const sample = await f.service.app.inject({
    method: 'POST', url: '/api/v1/usage/active-calls', headers: { authorization: `Bearer ${switchKey}` },
    payload: { samples: [{ trunkId, at: new Date(now - 60_000).toISOString(), activeCalls: 7 }] },
  });
  expect(sample.statusCode).toBe(200);

  expect(await run('usage-live')).toMatchObject({ companyWrites: 1, thresholdAlerts: 1, firstCalls: 1, creditLimitChecks: 0 });
  await drained();
  const mtd = await cache();
  expect(await company()).toMatchObject({ warp_active_calls: '7', warp_mtd_spend: String(Number(mtd.mtd_spend)) });
  const bodies = await notes();
  expect(bodies.filter((b) => b.startsWith('Threshold alert'))).toHaveLength(1);
  expect(bodies.filter((b) => b.startsWith('First successful call'))).toHaveLength(1);
  const alerts = await f.db.pool.query<{ message: string }>(`SELECT message FROM ops_alerts WHERE kind = 'usage_spend_threshold'`);
  expect(alerts.rows).toHaveLength(1);
  expect(alerts.rows[0]!.message).toContain(`BAN ${customer.ban}`);

  const before = writeRequests().length;
  expect(await run('usage-live')).toMatchObject({ companyWrites: 0, thresholdAlerts: 0, firstCalls: 0, notesCorrected: 0 });
  await drained();
  expect(writeRequests().length).toBe(before);
});

it('writes one daily summary note per customer-day and edits it when a late correction changes the day', async () => {
  const slot = new Date(todayStart + 15 * 60_000);
  expect(await run('usage-daily', slot)).toMatchObject({ summaryNotes: 1 });
  expect(await run('usage-daily', slot)).toMatchObject({ summaryNotes: 0, companyWrites: 0 });
  await drained();
  const summaries = async () => (await notes()).filter((b) => b.startsWith(`Daily usage summary for ${yesterday}`));
  const [note] = await summaries();
  expect(note).toContain('Calls completed: 2');
  expect(note).toContain('Minutes used: 2');
  expect(note).toContain('Daily spend: 1.00 USD');
  expect(note).toContain('ASR: 100.0 %');
  expect(note).toContain('ACD: 1 min');
  expect((await company())['warp_mtd_minutes']).toBe(String(Number((await cache()).mtd_minutes)));

  /** The switch re-rates yesterday's call y-1; the next live run corrects the day's note. Returns the summaries after. */
  const reRate = async (cost: string, version: number) => {
    expect(await postCalls([call('y-1', todayStart - DAY_MS + 10 * HOUR_MS, cost, version)])).toMatchObject({ corrected: 1 });
    expect(await run('usage-live')).toMatchObject({ notesCorrected: 1 });
    await drained();
    return summaries();
  };

  // The same note shows the new spend. (Spend stays under the credit limit of 10 whether
  // yesterday is in this month or not.)
  const edited = await reRate('1.00', 2);
  expect(edited).toHaveLength(1);
  expect(edited[0]).toContain('Daily spend: 1.50 USD');
  expect(edited[0]).toContain('Corrected');
  expect((await company())['warp_mtd_spend']).toBe(String(Number((await cache()).mtd_spend)));
  expect(await run('usage-live')).toMatchObject({ notesCorrected: 0 });

  // HubSpot created the note but the worker died before recording it: the retry adopts that note.
  const noteRow = async () => (await f.db.pool.query<{ hubspot_note_id: string | null }>('SELECT hubspot_note_id FROM usage_day_notes WHERE customer_id = $1 AND day = $2', [customer.id, yesterday])).rows[0]!;
  const { hubspot_note_id: noteId } = await noteRow();
  await f.db.pool.query('UPDATE usage_day_notes SET hubspot_note_id = NULL, sent_revision = 0 WHERE customer_id = $1 AND day = $2', [customer.id, yesterday]);
  await enqueue(f.db.pool, [{ objectType: 'usage_note', recordKey: dayNoteKey(customer.id, yesterday) }]);
  await drained();
  expect(await summaries()).toHaveLength(1);
  expect((await noteRow()).hubspot_note_id).toBe(noteId);

  // Somebody deletes the note in HubSpot; the next correction writes it again, no dead letter.
  await f.service.hubspot.gateway.batchArchive('notes', [noteId!]);
  const rewritten = await reRate('0.75', 3);
  expect(rewritten).toHaveLength(1);
  expect(rewritten[0]).toContain('Daily spend: 1.25 USD');
  expect((await noteRow()).hubspot_note_id).not.toBe(noteId);
  expect((await f.api.call('listDeadLetters', {})).deadLetters).toHaveLength(0);
});

it('limits the trunks at 100 % of the credit limit from real spend, and restores them below it', async () => {
  expect(await postCalls([call('t-2', todayCallStart + 1_000, '5.00')])).toMatchObject({ accepted: 1 });
  expect(await run('usage-live')).toMatchObject({ creditLimitChecks: 1, thresholdAlerts: 0 });
  await drained();
  const status = async () => (await f.db.pool.query<{ status: string }>('SELECT status FROM trunks WHERE trunk_id = $1', [trunkId])).rows[0]!.status;
  expect(await status()).toBe('limited');
  const hubspotTrunk = async () => (await f.records('trunks', ['trunk_id', 'status'])).find((t) => t.properties['trunk_id'] === trunkId)!.properties['status'];
  expect(await hubspotTrunk()).toBe('limited');
  expect(await run('usage-live')).toMatchObject({ creditLimitChecks: 0 });

  await f.db.pool.query('UPDATE customers SET credit_limit = 100 WHERE id = $1', [customer.id]);
  expect(await run('usage-live')).toMatchObject({ creditLimitChecks: 1, thresholdAlerts: 0 });
  await drained();
  expect(await status()).toBe('active');
  await waitFor(async () => (await hubspotTrunk()) === 'active', 5_000, 'the trunk active again in HubSpot');
  const bodies = await notes();
  const reached = bodies.filter((b) => b.startsWith('Spend reached the credit limit'));
  expect(reached).toHaveLength(1);
  expect(reached[0]).toContain('credit_limit: 10.00'); // money with two decimals, like the threshold alert
  expect(bodies.filter((b) => b.startsWith('Spend is below the credit limit again'))).toHaveLength(1);
  expect(bodies.filter((b) => b.startsWith('Threshold alert'))).toHaveLength(1);
});

it('sends the trunk peak and utilization of the last full hour, and nothing when they did not change', async () => {
  const lastHour = Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS;
  const samples = [5, 15, 9].map((activeCalls, i) => ({ trunkId, at: new Date(lastHour + (i + 1) * 60_000).toISOString(), activeCalls }));
  const posted = await f.service.app.inject({ method: 'POST', url: '/api/v1/usage/active-calls', headers: { authorization: `Bearer ${switchKey}` }, payload: { samples } });
  expect(posted.statusCode).toBe(200);
  const slot = new Date(lastHour + HOUR_MS + 5 * 60_000);
  expect(await run('usage-hourly', slot)).toEqual({ trunkWrites: 1 });
  await drained();
  const trunk = (await f.records('trunks', ['trunk_id', 'peak_concurrent_calls', 'utilization_pct'])).find((t) => t.properties['trunk_id'] === trunkId)!;
  expect(trunk.properties).toMatchObject({ peak_concurrent_calls: '15', utilization_pct: '75' });
  expect(await run('usage-hourly', slot)).toEqual({ trunkWrites: 0 });
});
