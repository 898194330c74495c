import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type OutboundFixture, outboxDrained, startOutboundFixture, trunkBody } from '../outbound/support.js';

/** The routes users missed (find a customer, change its WARP-owned facts, 10DLC campaigns) and list pagination. */
describe('customer accounts over the API', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('finds customers by part of the name or domain, or by BAN, one page at a time', async () => {
    const acme = await f.createCustomer('Acme Search GmbH');
    await f.db.pool.query(`UPDATE customers SET domain = 'acme-search.example' WHERE ban = $1`, [acme.ban]);
    const others = [await f.createCustomer('Globex Search'), await f.createCustomer('Initech Search')];

    const byName = await f.api.call('searchCustomers', { query: { name: 'acme SEARCH' } });
    expect(byName.customers.map((c) => c.ban)).toEqual([acme.ban]);
    expect(byName.customers[0]).toMatchObject({ name: 'Acme Search GmbH', domain: 'acme-search.example', status: 'active', trunkCount: 0 });
    expect((await f.api.call('searchCustomers', { query: { domain: 'ACME-search' } })).customers.map((c) => c.ban)).toEqual([acme.ban]);
    expect((await f.api.call('searchCustomers', { query: { ban: others[1]!.ban } })).customers.map((c) => c.name)).toEqual(['Initech Search']);
    expect((await f.api.call('searchCustomers', { query: { q: 'search', name: 'globex' } })).customers.map((c) => c.ban)).toEqual([others[0]!.ban]);
    // LIKE wildcards in the input are plain characters.
    expect((await f.api.call('searchCustomers', { query: { name: '%' } })).customers).toEqual([]);

    const first = await f.api.call('searchCustomers', { query: { q: 'Search', limit: '2' } });
    expect(first.customers).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await f.api.call('searchCustomers', { query: { q: 'Search', limit: '2', cursor: first.nextCursor! } });
    expect([...first.customers, ...second.customers].map((c) => c.ban)).toEqual([acme.ban, others[0]!.ban, others[1]!.ban]);
    expect(second.nextCursor).toBeNull();
  });

  it('bounds every list: limit 1–500, digits only, and a cursor from nextCursor', async () => {
    const { ban } = await f.createCustomer();
    for (const query of ['limit=501', 'limit=0', 'limit=0x10', 'limit=%2010', 'cursor=abc', 'cursor=99999999999999999999', 'offset=3']) {
      const response = await f.api.raw('GET', `/customers/${ban}/trunks?${query}`);
      expect({ query, status: response.status, code: response.error?.code }).toEqual({ query, status: 400, code: 'invalid_request' });
    }
    for (let i = 0; i < 3; i++) await f.api.call('createTrunk', { params: { ban }, body: trunkBody({ name: `page ${i}` }) });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page: { trunks: Array<{ name: string }>; nextCursor: string | null } = await f.api.call('listTrunks', { params: { ban }, query: { limit: '1', cursor } });
      seen.push(...page.trunks.map((t) => t.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['page 0', 'page 1', 'page 2']);
    const events = await f.api.call('listAccountEvents', { params: { ban }, query: { limit: '2' } });
    expect(events.events.map((e) => e.kind)).toEqual(['trunk_created', 'trunk_created']);
    expect((await f.api.call('listAccountEvents', { params: { ban }, query: { cursor: events.nextCursor! } })).events).toHaveLength(1);
  });

  it('PATCH /customers/{ban} changes the WARP-owned facts and writes them to the HubSpot company', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    const patched = await f.api.call('updateCustomer', { params, body: { apiEnabled: true, smsEnabled: true, tcrBrandId: 'BWARP01', resporgStatus: 'pending' } });
    expect(patched).toMatchObject({ apiEnabled: true, smsEnabled: true, tcrBrandId: 'BWARP01', resporgStatus: 'pending' });
    await outboxDrained(f.db);
    const company = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_api_enabled', 'warp_sms_enabled', 'warp_tcr_brand_id', 'warp_resporg_status'] });
    expect(company.properties).toMatchObject({ warp_api_enabled: 'true', warp_sms_enabled: 'true', warp_tcr_brand_id: 'BWARP01', warp_resporg_status: 'pending' });

    for (const body of [{}, { resporgStatus: 'done' }, { tcrBrandId: 'brand-1' }, { warp_api_enabled: true }, { creditLimit: 5 }]) {
      expect(await f.api.raw('PATCH', `/customers/${customer.ban}`, body)).toMatchObject({ status: 400 });
    }
    expect(await f.api.refusal('updateCustomer', { params: { ban: '990099' }, body: { apiEnabled: false } })).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('a 10DLC campaign is stored, counted on the company, and one "Campaign registered" note, whatever the retries', async () => {
    const customer = await f.createCustomer();
    const params = { ban: customer.ban };
    expect(await f.api.refusal('registerCampaign', { params, body: { campaignId: 'CSUPP01', useCase: 'CUSTOMER_CARE' } })).toMatchObject({ status: 409, code: 'brand_missing' });
    await f.api.call('updateCustomer', { params, body: { tcrBrandId: 'BWARP02' } });
    const body = { campaignId: 'CSUPP01', useCase: 'CUSTOMER_CARE' as const, description: 'Ticket updates for customers', registeredAt: '2026-11-20T09:00:00Z' };
    const first = await f.api.call('registerCampaign', { params, body });
    expect(first).toMatchObject({ campaignId: 'CSUPP01', brandId: 'BWARP02', useCase: 'CUSTOMER_CARE', registeredAt: '2026-11-20T09:00:00.000Z', alreadyRegistered: false });
    expect((await f.api.call('registerCampaign', { params, body })).alreadyRegistered).toBe(true);
    expect(await f.api.refusal('registerCampaign', { params, body: { ...body, useCase: 'MARKETING' } })).toMatchObject({ status: 409, code: 'campaign_exists' });
    expect((await f.api.raw('POST', `/customers/${customer.ban}/messaging/campaigns`, { ...body, campaignId: 'c-1' })).status).toBe(400);
    expect((await f.api.call('listCampaigns', { params })).campaigns.map((c) => c.campaignId)).toEqual(['CSUPP01']);
    await outboxDrained(f.db);

    const company = await f.service.hubspot.gateway.getObject('companies', customer.companyId, { properties: ['warp_10dlc_campaign_count'] });
    expect(company.properties['warp_10dlc_campaign_count']).toBe('1');
    const notes = await f.records('notes', ['hs_note_body', 'hs_timestamp'], ['companies']);
    const mine = notes.filter((n) => Object.values(n.associations ?? {}).some((a) => a.results.some((r) => r.id === customer.companyId)));
    expect(mine).toHaveLength(1);
    const note = await f.service.hubspot.gateway.getObject('notes', mine[0]!.id, { properties: ['hs_note_body', 'hs_timestamp'] });
    expect(note.properties['hs_note_body']).toMatch(/^10DLC campaign CSUPP01 registered \(CUSTOMER_CARE\)\.\n[\s\S]*brand_id: BWARP02/);
    expect(new Date(note.properties['hs_timestamp']!).toISOString()).toBe('2026-11-20T09:00:00.000Z');
  });

  it('answers 409 email_taken for a second user with the same email, and 404 for a number routed to another customer’s trunk', async () => {
    const mine = await f.createCustomer();
    const theirs = await f.createCustomer();
    await f.api.call('createUser', { params: { ban: mine.ban }, body: { email: 'one.person@example.com', role: 'admin' } });
    expect(await f.api.refusal('createUser', { params: { ban: theirs.ban }, body: { email: 'One.Person@example.com', role: 'readonly' } })).toMatchObject({ status: 409, code: 'email_taken' });

    const theirTrunk = await f.api.call('createTrunk', { params: { ban: theirs.ban }, body: trunkBody() });
    const refused = await f.api.refusal('addNumber', { params: { ban: mine.ban }, body: { number: '+13035554242', type: 'local', capabilities: ['voice'], monthlyCost: 1, trunkId: theirTrunk.trunkId } });
    expect(refused).toMatchObject({ status: 404, code: 'not_found', message: `No trunk ${theirTrunk.trunkId} for BAN ${mine.ban}` });
    expect((await f.api.call('listNumbers', { params: { ban: mine.ban } })).numbers).toEqual([]);
  });
});
