import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findSensitiveText } from '../../src/domain/outgoing-guard.js';
import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody } from './support.js';

describe('WARP API → outbox → HubSpot (simulator)', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  const count = async (table: string): Promise<number> => Number((await f.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

  it('refuses invalid input before writing anything', async () => {
    const { ban } = await f.createCustomer();
    const writesBefore = f.sim.requestLog({ method: 'POST' }).length;
    const bad: Array<['POST', string, unknown, number, string]> = [
      ['POST', `/customers/${ban}/trunks`, trunkBody({ ipAddresses: ['300.1.1.1'] }), 400, 'invalid_request'],
      ['POST', `/customers/${ban}/trunks`, trunkBody({ concurrentCalls: 0 }), 400, 'invalid_request'],
      ['POST', `/customers/${ban}/trunks`, trunkBody({ monthlyMinutes: -5 }), 400, 'invalid_request'],
      ['POST', `/customers/${ban}/trunks`, trunkBody({ name: 'card 4111 1111 1111 1111' }), 400, 'sensitive_value'],
      ['POST', `/customers/${ban}/trunks`, trunkBody({ name: 'key whk_abcdefghijklmnopqrstuv' }), 400, 'sensitive_value'],
      ['POST', `/customers/${ban}/numbers`, { number: '3035551000', type: 'local', capabilities: ['voice'], monthlyCost: 1 }, 400, 'invalid_request'],
      ['POST', `/customers/${ban}/numbers`, { number: '+13035551000', type: 'satellite', capabilities: ['voice'], monthlyCost: 1 }, 400, 'invalid_request'],
      ['POST', `/customers/${ban}/users`, { email: 'jo@acme.test', role: 'admin', apiKeys: ['sk_live_123456789'] }, 400, 'sensitive_value'],
      ['POST', `/customers/${ban}/users`, { email: 'jo@acme.test', role: 'owner' }, 400, 'invalid_request'],
      ['POST', `/customers/${ban}/events`, { type: 'credit_limit_changed', creditLimit: 5000 }, 409, 'owned_by_hubspot'],
      ['POST', '/customers/999999/trunks', trunkBody(), 404, 'not_found'],
    ];
    for (const [method, url, body, status, code] of bad) {
      const response = await f.api.raw(method, url, body);
      expect({ url, body, status: response.status, code: response.error?.code }).toEqual({ url, body, status, code });
    }
    const refused = await f.api.refusal('recordAccountEvent', { params: { ban }, body: { type: 'credit_limit_changed' } });
    expect(refused.message).toContain('owned by hubspot');
    for (const table of ['trunks', 'numbers', 'users', 'outbox', 'account_events']) expect(await count(table)).toBe(0);
    expect(f.sim.requestLog({ method: 'POST' }).length).toBe(writesBefore);
  });

  it('writes trunks and numbers to HubSpot with associations, notes and exact roll-ups', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const { trunkId } = await f.api.call('createTrunk', { params, body: trunkBody({ partitionId: 'ABC123' }) });
    await f.api.call('addNumber', {
      params,
      body: { number: '+13035551000', type: 'local', capabilities: ['voice', 'sms'], monthlyCost: 1, trunkId, e911Address: '123 Main St', cnam: 'ACME CORP' },
    });
    await outboxDrained(f.db);

    const trunks = await f.records('trunks', ['name', 'trunk_id', 'company_id', 'status', 'ip_addresses', 'concurrent_calls', 'partition_id'], ['companies']);
    const trunk = trunks.find((t) => t.properties['trunk_id'] === trunkId)!;
    expect(trunk.properties).toMatchObject({ name: 'Production SIP Trunk', company_id: customer.ban, status: 'active', ip_addresses: '198.51.100.10', concurrent_calls: '100', partition_id: 'ABC123' });
    expect(Object.values(trunk.associations ?? {}).flatMap((a) => a.results.map((r) => r.id))).toContain(customer.companyId);

    const numbers = await f.records('numbers', ['number', 'trunk_id', 'type', 'capabilities', 'cnam', 'e911_address'], ['companies', 'trunks']);
    const n = numbers.find((r) => r.properties['number'] === '+13035551000')!;
    expect(n.properties).toMatchObject({ trunk_id: trunkId, type: 'local', capabilities: 'voice;sms', cnam: 'ACME CORP', e911_address: '123 Main St' });
    const linked = Object.values(n.associations ?? {}).flatMap((a) => a.results.map((r) => r.id));
    expect(linked).toContain(customer.companyId);
    expect(linked).toContain(trunk.id);

    const company = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_trunk_count', 'warp_number_count'], associations: ['notes'] });
    expect(company.properties).toMatchObject({ warp_trunk_count: '1', warp_number_count: '1' });
    const notes = await f.records('notes', ['hs_note_body'], ['companies']);
    const bodies = notes.filter((note) => Object.values(note.associations ?? {}).some((a) => a.results.some((r) => r.id === customer.companyId)));
    expect(bodies).toHaveLength(2);
    const full = await Promise.all(bodies.map((b) => f.service.hubspot.gateway.getObject('notes', b.id, { properties: ['hs_note_body', 'hs_timestamp'] })));
    expect(full.map((b) => b.properties['hs_note_body']).join('\n')).toMatch(/SIP trunk trunk_\w+ created\.[\s\S]*Number \+13035551000 purchased\./);

    // The local record learned its HubSpot id; the events are marked sent.
    const local = await f.api.call('getTrunk', { params: { ...params, trunkId } });
    expect(local.hubspotObjectId).toBe(trunk.id);
    const { events } = await f.api.call('listAccountEvents', { params });
    expect(events.every((e) => e.sentAt !== null)).toBe(true);

    // Delete: archived in HubSpot, roll-up back to 0 trunks.
    expect((await f.api.call('releaseNumber', { params: { ...params, number: '+13035551000' } })).status).toBe('released');
    expect((await f.api.call('deleteTrunk', { params: { ...params, trunkId } })).deletedAt).not.toBeNull();
    await outboxDrained(f.db);
    expect((await f.records('trunks', ['trunk_id'])).some((t) => t.properties['trunk_id'] === trunkId)).toBe(false);
    const after = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_trunk_count', 'warp_number_count'] });
    expect(after.properties).toMatchObject({ warp_trunk_count: '0', warp_number_count: '0' });
  });

  it('syncs users (role, 2FA, key count — never keys) and account events with dependent trunk updates', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const trunk = await f.api.call('createTrunk', { params, body: trunkBody() });
    const user = await f.api.call('createUser', { params, body: { email: 'ops@acme.test', firstname: 'Jo', role: 'admin', apiKeyCount: 2 } });
    expect((await f.api.call('updateUser', { params: { ...params, userId: user.userId }, body: { twofaEnabled: true, lastLogin: '2026-01-17T10:00:00Z' } })).twofaEnabled).toBe(true);
    const suspended = await f.api.call('recordAccountEvent', { params, body: { type: 'suspend' } });
    expect(suspended.status).toBe('suspended');
    expect((await f.api.call('getTrunk', { params: { ...params, trunkId: trunk.trunkId } })).status).toBe('suspended');
    await f.api.call('recordAccountEvent', { params, body: { type: 'payment_method_changed', paymentMethod: 'ach' } });
    await outboxDrained(f.db);

    const contacts = await f.records('contacts', ['email'], ['companies']);
    const contact = contacts.find((c) => c.properties['email'] === 'ops@acme.test')!;
    const full = await f.service.hubspot.gateway.getObject('contacts', contact.id, { properties: ['warp_user_id', 'warp_role', 'warp_2fa_enabled', 'warp_api_key_count', 'warp_last_login'] });
    expect(full.properties).toMatchObject({ warp_user_id: user.userId, warp_role: 'admin', warp_2fa_enabled: 'true', warp_api_key_count: '2' });
    const company = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_status', 'warp_payment_method'] });
    expect(company.properties).toMatchObject({ warp_status: 'suspended', warp_payment_method: 'ach' });
    const trunkInHubSpot = async () => (await f.records('trunks', ['trunk_id', 'status'])).find((t) => t.properties['trunk_id'] === trunk.trunkId)?.properties['status'];
    expect(await trunkInHubSpot()).toBe('suspended');

    await f.api.call('recordAccountEvent', { params, body: { type: 'reactivate' } });
    expect((await f.api.call('getTrunk', { params: { ...params, trunkId: trunk.trunkId } })).status).toBe('active');
    await outboxDrained(f.db);
    expect(await trunkInHubSpot()).toBe('active');
    const reactivated = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_status'] });
    expect(reactivated.properties['warp_status']).toBe('active');
  });

  it('churn disables the trunks and marks the numbers for release after the grace period', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const trunk = await f.api.call('createTrunk', { params, body: trunkBody() });
    await f.api.call('addNumber', { params, body: { number: '+13035557700', type: 'local', capabilities: ['voice'], monthlyCost: 1 } });
    const occurredAt = '2026-11-01T12:00:00.000Z';
    expect((await f.api.call('recordAccountEvent', { params, body: { type: 'churn', occurredAt } })).status).toBe('churned');
    expect((await f.api.call('getTrunk', { params: { ...params, trunkId: trunk.trunkId } })).status).toBe('disabled');
    const { rows } = await f.db.pool.query<{ status: string; release_after: Date }>(`SELECT status, release_after FROM numbers WHERE number = '+13035557700'`);
    expect(rows[0]?.status).toBe('pending_release');
    expect(rows[0]?.release_after.toISOString()).toBe('2026-12-01T12:00:00.000Z'); // 30 days of grace
    await outboxDrained(f.db);
    const company = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_status'] });
    expect(company.properties['warp_status']).toBe('churned');
    const trunks = await f.records('trunks', ['trunk_id', 'status']);
    expect(trunks.find((t) => t.properties['trunk_id'] === trunk.trunkId)?.properties['status']).toBe('disabled');
  });

  it('never sends an API key or a card number to HubSpot', async () => {
    // Self-contained: only what this test makes WARP send is checked, and it must send something.
    f.sim.clearRequestLog();
    const customer = await f.createCustomer();
    await f.api.call('createUser', { params: { ban: customer.ban }, body: { email: 'keys@acme.test', firstname: 'Kay', role: 'developer', apiKeyCount: 3 } });
    // Secrets in API input are refused at the door, so they are never stored, let alone sent.
    expect((await f.api.raw('POST', `/customers/${customer.ban}/trunks`, trunkBody({ name: 'whk_abcdefghijklmnop' }))).status).toBe(400);
    expect((await f.api.raw('POST', `/customers/${customer.ban}/trunks`, trunkBody({ name: 'card 4111 1111 1111 1111' }))).status).toBe(400);
    expect((await f.api.call('createTrunk', { params: { ban: customer.ban }, body: trunkBody({ name: 'Plain trunk' }) })).name).toBe('Plain trunk');
    await outboxDrained(f.db);
    const writes = f.sim.requestLog().filter((entry) => entry.method !== 'GET');
    expect(JSON.stringify(writes.map((entry) => entry.body ?? null))).toMatch(/"warp_api_key_count":"?3"?/);
    const log = JSON.stringify(writes.map((entry) => entry.body ?? null));
    expect(log).not.toContain('whk_');
    expect(log).not.toContain('sk_live');
    for (const entry of f.sim.requestLog()) expect(findSensitiveText(JSON.stringify(entry.body ?? ''))).toBeNull();
  });
});
