import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HubSpotGateway } from '../../src/hubspot/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, startGatewayFixture } from '../support/hubspot.js';

const RECORDS = 10_050;

let db: TestDatabase;
let fx: GatewayFixture;
let hubspot: HubSpotGateway;

beforeAll(async () => {
  db = await createTestDatabase();
  // Time scale 0.01: the search limit (5 per second) becomes 5 per 10 ms.
  fx = await startGatewayFixture(db, { timeScale: 0.01 });
  hubspot = fx.gateway();
  // The simulator's bulk insert (control API) seeds 10,050 records in milliseconds.
  for (const lifecyclestage of ['lead', 'customer']) {
    const response = await fetch(`${fx.sim.url}/__sim/objects/contacts/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: RECORDS / 2, properties: { email: `${lifecyclestage}-{i}@example.com`, lifecyclestage } }),
    });
    expect(response.status).toBe(200);
  }
});
afterAll(async () => {
  await fx?.close();
  await db?.drop();
});

describe('search past the 10,000-result cap', () => {
  it('a single query cannot page past 10,000 (HubSpot answers 400)', async () => {
    const error = await hubspot.search('contacts', { limit: 200, after: '9900' }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ kind: 'validation', status: 400 });
  });

  it('searchAll windows on hs_object_id and returns every record exactly once', async () => {
    fx.sim.clearRequestLog();
    const ids: string[] = [];
    for await (const record of hubspot.searchAll('contacts', { properties: ['email'] })) ids.push(record.id);
    expect(ids).toHaveLength(RECORDS);
    expect(new Set(ids).size).toBe(RECORDS);
    const searches = fx.sim.requestLog({ pathPrefix: '/crm/v3/objects/contacts/search' });
    expect(searches.every((r) => r.status === 200)).toBe(true);
    // 50 pages of 200 fill the first window; the next query starts after the last id seen.
    expect(searches).toHaveLength(51);
    expect(JSON.stringify(searches[50]!.body)).toContain('"operator":"GT"');
  }, 60_000);

  it('keeps the caller\'s filters in every window', async () => {
    let count = 0;
    for await (const record of hubspot.searchAll('contacts', {
      filterGroups: [{ filters: [{ propertyName: 'lifecyclestage', operator: 'EQ', value: 'lead' }] }],
      properties: ['lifecyclestage'],
    })) {
      expect(record.properties['lifecyclestage']).toBe('lead');
      count++;
    }
    expect(count).toBe(RECORDS / 2);
  }, 60_000);
});
