import { afterAll, beforeAll, expect, it } from 'vitest';

import { recordPortalCheck } from '../../src/store/support-tickets.js';
import { outboxDrained, waitFor } from '../outbound/support.js';
import { asrAlert, startSupportFixture, type SupportFixture } from './support.js';

let f: SupportFixture;
beforeAll(async () => {
  f = await startSupportFixture();
});
afterAll(async () => {
  await f?.close();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> => Number((await f.db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

it('five concurrent identical alerts make one HubSpot ticket and four notes; the ticket carries every property', async () => {
  const c = await f.customerWithTrunk();
  const answers = await Promise.all([1, 2, 3, 4, 5].map(() => f.autoTicket(asrAlert(c.ban, c.trunkId))));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
  expect(answers.map((a) => a.body['outcome']).sort()).toEqual(['created', 'recurrence', 'recurrence', 'recurrence', 'recurrence']);
  const alertKey = `asr_below_threshold:${c.ban}:${c.trunkId}`;
  expect(new Set(answers.map((a) => (a.body['ticket'] as { alertKey: string }).alertKey))).toEqual(new Set([alertKey]));
  await outboxDrained(f.db);

  const tickets = (await f.records('tickets', ['warp_alert_key'])).filter((t) => t.properties['warp_alert_key'] === alertKey);
  expect(tickets).toHaveLength(1);
  const read = await f.sdk.crm.tickets.basicApi.getById(
    tickets[0]!.id,
    ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'warp_alert_key', 'warp_issue_type', 'warp_issue_category', 'warp_trunk_id', 'warp_severity', 'warp_sla_breach', 'warp_technical_details'],
    undefined,
    ['companies', 'notes'],
  );
  expect(read.properties).toMatchObject({
    subject: `Low ASR alert - Trunk ${c.trunkId}`,
    hs_pipeline: '0',
    hs_pipeline_stage: '1',
    hs_ticket_priority: 'HIGH',
    warp_alert_key: alertKey,
    warp_issue_type: 'voice',
    warp_issue_category: 'call_failures',
    warp_trunk_id: c.trunkId,
    warp_severity: 'high',
  });
  expect(read.properties['content']).toContain('35%');
  expect(read.properties['content']).toContain('50% threshold');
  expect(Date.parse(read.properties['warp_sla_breach']!) - Date.now()).toBeGreaterThan(3.9 * 3_600_000);
  expect(JSON.parse(read.properties['warp_technical_details']!)).toMatchObject({ trigger: 'asr_below_threshold', current_asr: 0.35, threshold: 0.5 });
  // v3 lists one entry per association type (primary and unlabelled): one company.
  expect(new Set(read.associations?.['companies']?.results.map((r) => r.id))).toEqual(new Set([c.companyId]));
  expect(read.associations?.['notes']?.results).toHaveLength(4);

  // The ticket webhooks fill the cache: the customer's open tickets.
  await waitFor(async () => {
    const list = await f.api.call('listCustomerTickets', { params: { ban: c.ban } });
    return list.tickets.some((t) => t.hubspotId === read.id && t.state === 'OPEN') ? true : undefined;
  });
  const list = await f.api.call('listCustomerTickets', { params: { ban: c.ban } });
  expect(list.autoTickets).toMatchObject([{ alertKey, hubspotId: read.id, recurrences: 4, status: 'open' }]);
});

it('refuses bad input with the stable error format and writes nothing', async () => {
  const c = await f.customerWithTrunk();
  const before = await count('SELECT count(*) AS n FROM support_alerts');
  const unknownTrigger = await f.autoTicket({ ...asrAlert(c.ban, c.trunkId), trigger: 'disk_full' });
  expect(unknownTrigger).toMatchObject({ status: 400, body: { error: { code: 'unknown_trigger' } } });
  const missing = await f.autoTicket({ trigger: 'asr_below_threshold', customer_id: c.ban, data: { trunk_id: c.trunkId, threshold: 0.5, period: 'last_hour' } });
  expect(missing).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
  expect(JSON.stringify(missing.body)).toContain('body.data.current_asr');
  expect(await f.autoTicket(asrAlert('99999999', c.trunkId))).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  expect(await f.autoTicket(asrAlert(c.ban, 'trunk_nope'))).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  const { key: readOnly } = await import('../../src/store/api-keys.js').then((m) => m.createApiKey(f.db.pool, 'reader', ['read']));
  expect((await f.autoTicket(asrAlert(c.ban, c.trunkId), readOnly)).status).toBe(403);
  expect(await count('SELECT count(*) AS n FROM support_alerts')).toBe(before);

  // A portal without the ticket properties: refused, with an ops alert, nothing written.
  await recordPortalCheck(f.db.pool, ['warp_alert_key']);
  const refused = await f.autoTicket(asrAlert(c.ban, c.trunkId));
  expect(refused).toMatchObject({ status: 503, body: { error: { code: 'not_provisioned' } } });
  expect(await count(`SELECT count(*) AS n FROM ops_alerts WHERE kind = 'support_not_provisioned'`)).toBe(1);
  expect(await count('SELECT count(*) AS n FROM support_alerts')).toBe(before);
  await recordPortalCheck(f.db.pool, []);
});

it('an agent\'s change in HubSpot reaches the cache through the ticket webhook', async () => {
  const c = await f.customerWithTrunk();
  const raised = await f.autoTicket(asrAlert(c.ban, c.trunkId, 0.2));
  await outboxDrained(f.db);
  const id = await waitFor(async () => (await f.db.pool.query<{ hubspot_id: string | null }>('SELECT hubspot_id FROM support_tickets WHERE id = $1', [(raised.body['ticket'] as { id: string }).id])).rows[0]?.hubspot_id ?? undefined);
  await fetch(`${f.sim.url}/__sim/ui-edit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ objectType: 'tickets', objectId: id, properties: { hs_ticket_priority: 'LOW', hs_pipeline_stage: '3' } }),
  });
  await waitFor(async () => {
    const list = await f.api.call('listCustomerTickets', { params: { ban: c.ban } });
    const t = list.tickets.find((x) => x.hubspotId === id);
    return t?.priority === 'LOW' && t.stage === '3' ? true : undefined;
  });
});
