import { afterAll, beforeAll, expect, it } from 'vitest';

import { createLogger } from '../../src/lib/logger.js';
import { escalateTickets } from '../../src/sync/support/escalation.js';
import { evaluateRules } from '../../src/sync/support/rules.js';
import { callRecord } from '../usage/fixtures.js';
import { outboxDrained, waitFor } from '../outbound/support.js';
import { asrAlert, startSupportFixture, type SupportFixture } from './support.js';

let f: SupportFixture;
beforeAll(async () => {
  f = await startSupportFixture();
});
afterAll(async () => {
  await f?.close();
});

const HOUR_MS = 3_600_000;
const rules = { asrThreshold: 0.5, asrMinAttempts: 50, storm: { customers: 20, windowMs: 15 * 60_000 } };
const sink = () => ({ db: f.db.pool, logger: createLogger({ level: 'silent' }), webhookUrl: undefined, webhookTimeoutMs: 1_000 });

const ticketProps = ['subject', 'hs_pipeline_stage', 'hs_ticket_priority', 'warp_alert_key'];
async function hubspotTicket(supportTicketId: string) {
  const id = await waitFor(async () => (await f.db.pool.query<{ hubspot_id: string | null }>('SELECT hubspot_id FROM support_tickets WHERE id = $1', [supportTicketId])).rows[0]?.hubspot_id ?? undefined);
  return f.sdk.crm.tickets.basicApi.getById(id, ticketProps, undefined, ['notes']);
}
async function noteBodies(noteIds: readonly string[]): Promise<string[]> {
  const notes = await f.sdk.crm.objects.notes.batchApi.read({ inputs: noteIds.map((id) => ({ id })), properties: ['hs_note_body'], propertiesWithHistory: [] });
  return notes.results.map((n) => n.properties['hs_note_body'] ?? '');
}

it('escalates a ticket still open at its SLA time once: priority one step up, notes on the ticket and the company, an ops alert', async () => {
  const c = await f.customerWithTrunk();
  const raised = await f.autoTicket(asrAlert(c.ban, c.trunkId));
  const ticketId = (raised.body['ticket'] as { id: string }).id;
  await outboxDrained(f.db);
  const signal = new AbortController().signal;
  expect(await escalateTickets(f.db.pool, sink(), new Date(Date.now() + HOUR_MS), signal)).toEqual({ escalated: 0 });
  const afterSla = new Date(Date.now() + 4 * HOUR_MS + 60_000); // high severity: 4 hours
  expect(await escalateTickets(f.db.pool, sink(), afterSla, signal)).toEqual({ escalated: 1 });
  expect(await escalateTickets(f.db.pool, sink(), afterSla, signal)).toEqual({ escalated: 0 });
  await outboxDrained(f.db);

  const ticket = await hubspotTicket(ticketId);
  expect(ticket.properties['hs_ticket_priority']).toBe('URGENT');
  const bodies = await noteBodies(ticket.associations!['notes']!.results.map((r) => r.id));
  expect(bodies).toEqual([expect.stringContaining('SLA breached')]);
  expect(bodies[0]).toContain('Priority raised from HIGH to URGENT');
  const companyNotes = (await f.records('notes', ['hs_note_body'], ['companies'])).filter((n) => n.associations?.['companies']?.results.some((r) => r.id === c.companyId));
  expect(companyNotes.map((n) => n.properties['hs_note_body'])).toEqual([expect.stringContaining('Escalation triggered')]);
  const alerts = await f.db.pool.query(`SELECT details FROM ops_alerts WHERE kind = 'support_sla_breach'`);
  expect(alerts.rows).toHaveLength(1);
});

it('the hourly ASR rule raises a ticket from the roll-ups and closes it after two healthy hours (closed stage from ticketState)', async () => {
  const c = await f.customerWithTrunk();
  const h0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS;
  const hourOfCalls = (start: number, answered: number) =>
    Array.from({ length: 60 }, (_, i) => {
      const at = start + i * 30_000;
      const ok = i < answered;
      return callRecord(c.trunkId, { startedAt: new Date(at).toISOString(), answeredAt: ok ? new Date(at + 5_000).toISOString() : null, endedAt: new Date(at + 20_000).toISOString(), billableSeconds: ok ? 15 : 0, sipCode: ok ? 200 : 503 });
    });
  const ingested = await f.api.call('ingestCalls', { body: { records: [...hourOfCalls(h0, 12), ...hourOfCalls(h0 + HOUR_MS, 45), ...hourOfCalls(h0 + 2 * HOUR_MS, 50)] } });
  expect(ingested.rejected).toEqual([]);
  expect(ingested.accepted).toBe(180);

  expect(await evaluateRules(f.db.pool, rules, new Date(h0 + HOUR_MS + 5 * 60_000))).toMatchObject({ raised: 1, closed: 0 });
  expect(await evaluateRules(f.db.pool, rules, new Date(h0 + HOUR_MS + 5 * 60_000))).toMatchObject({ raised: 0 }); // the same slot again: nothing twice
  const { rows } = await f.db.pool.query<{ id: string; details: Record<string, unknown> }>('SELECT id, details FROM support_tickets WHERE customer_id = $1', [c.id]);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.details).toMatchObject({ current_asr: 0.2, attempts: 60, threshold: 0.5 });
  expect(await evaluateRules(f.db.pool, rules, new Date(h0 + 2 * HOUR_MS + 5 * 60_000))).toMatchObject({ healthy: 1, closed: 0 });
  expect(await evaluateRules(f.db.pool, rules, new Date(h0 + 3 * HOUR_MS + 5 * 60_000))).toMatchObject({ healthy: 1, closed: 1 });
  await outboxDrained(f.db);

  const ticket = await hubspotTicket(rows[0]!.id);
  expect(ticket.properties['hs_pipeline_stage']).toBe('4'); // the default pipeline's CLOSED stage
  expect(ticket.properties['warp_alert_key']).toBe(`asr_below_threshold:${c.ban}:${c.trunkId}#closed-${rows[0]!.id}`);
  expect(await noteBodies(ticket.associations!['notes']!.results.map((r) => r.id))).toEqual([expect.stringContaining('Cleared')]);
  await waitFor(async () => ((await f.api.call('listCustomerTickets', { params: { ban: c.ban } })).tickets.length === 0 ? true : undefined));
  const all = await f.api.call('listCustomerTickets', { params: { ban: c.ban }, query: { status: 'all' } });
  expect(all.tickets.map((t) => t.state)).toEqual(['CLOSED']);

  // The key is free again: the next incident opens a new ticket.
  expect((await f.autoTicket(asrAlert(c.ban, c.trunkId))).body['outcome']).toBe('created');
});

it('a storm of 25 customers: 20 customer tickets, then one platform ticket, one ops alert and a note on each later customer', async () => {
  const customers = [];
  for (let i = 0; i < 25; i++) customers.push(await f.customerWithTrunk());
  const outcomes: string[] = [];
  for (const c of customers) {
    const answer = await f.autoTicket({ trigger: 'sip_5xx_spike', customer_id: c.ban, data: { trunk_id: c.trunkId, rate_5xx: 0.3, threshold: 0.05, period: 'last_15_minutes' } });
    outcomes.push(String(answer.body['outcome']));
  }
  expect(outcomes).toEqual([...Array<string>(20).fill('created'), ...Array<string>(5).fill('suppressed')]);
  // A suppressed customer repeating itself changes nothing more.
  await f.autoTicket({ trigger: 'sip_5xx_spike', customer_id: customers[24]!.ban, data: { trunk_id: customers[24]!.trunkId, rate_5xx: 0.4, threshold: 0.05, period: 'last_15_minutes' } });
  await outboxDrained(f.db, 60_000);

  const tickets = (await f.records('tickets', ['warp_alert_key', 'subject', 'hs_ticket_priority'])).filter((t) => (t.properties['warp_alert_key'] ?? '').includes('sip_5xx_spike'));
  expect(tickets).toHaveLength(21);
  const platform = tickets.filter((t) => t.properties['warp_alert_key'] === 'storm:sip_5xx_spike');
  expect(platform).toHaveLength(1);
  expect(platform[0]!.properties).toMatchObject({ subject: 'Platform incident: SIP 5xx spike across many customers', hs_ticket_priority: 'URGENT' });
  expect((await f.db.pool.query(`SELECT 1 FROM ops_alerts WHERE kind = 'support_storm'`)).rows).toHaveLength(1);
  const incidentNotes = (await f.records('notes', ['hs_note_body'])).filter((n) => (n.properties['hs_note_body'] ?? '').includes('platform incident'));
  expect(incidentNotes).toHaveLength(5);
});
