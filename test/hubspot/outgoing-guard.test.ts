import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { type HubSpotGateway, isHubSpotError } from '../../src/hubspot/gateway.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { type GatewayFixture, startGatewayFixture } from '../support/hubspot.js';

let db: TestDatabase;
let fx: GatewayFixture;
let hubspot: HubSpotGateway;

beforeAll(async () => {
  db = await createTestDatabase();
  fx = await startGatewayFixture(db, { burstLimit: 1_000 });
  hubspot = fx.gateway();
});
afterAll(async () => {
  await fx?.close();
  await db?.drop();
});
beforeEach(() => fx.sim.clearRequestLog());

const CARD = 'Card 4111 1111 1111 1111 123';
const sent = (): string => JSON.stringify(fx.sim.requestLog().map((r) => r.body));

describe('the outgoing guard in the gateway', () => {
  it('fails only the batch input that carries a card number, and never sends it', async () => {
    const { results, failures } = await hubspot.batchCreate('contacts', [
      { properties: { email: 'one@example.com' } },
      { properties: { email: 'two@example.com', firstname: CARD } },
      { properties: { email: 'three@example.com' } },
    ]);
    expect(results.map((r) => r.inputIndex).sort()).toEqual([0, 2]);
    expect(failures).toMatchObject([{ index: 1, category: 'OUTGOING_GUARD', retryable: false }]);
    expect(failures[0]!.message).toContain('properties.firstname');
    expect(failures[0]!.message).not.toContain('4111');
    expect(sent()).not.toContain('4111');
    expect(sent()).toContain('three@example.com');
  });

  it('scans ids too: an upsert keyed by a value that holds an API key is refused', async () => {
    const { results, failures } = await hubspot.batchUpsert('contacts', [
      { id: 'whk_AbCdEfGhIjKlMnOp@example.com', idProperty: 'email', properties: { firstname: 'Key' } },
      { id: 'fine@example.com', idProperty: 'email', properties: { firstname: 'Fine' } },
    ]);
    expect(failures.map((f) => [f.index, f.category])).toEqual([[0, 'OUTGOING_GUARD']]);
    expect(results).toHaveLength(1);
    expect(sent()).not.toContain('whk_');
  });

  it('refuses single calls outside any batch (a create, a timeline event) before anything is sent', async () => {
    const refused = async (call: () => Promise<unknown>) => {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(isHubSpotError(error, 'validation')).toBe(true);
      expect(error).toMatchObject({ category: 'OUTGOING_GUARD', status: 0 });
      return error as Error;
    };
    const create = await refused(() => hubspot.createObject('companies', { properties: { name: '4111.1111.1111.1111' } }));
    expect(create.message).toBe('Refused to send createObject companies: properties.name looks like a card number');
    await refused(() => hubspot.createTimelineEvent({ eventTemplateId: '1', objectId: '1', tokens: { minutes: 4111111111111111 } }));
    await refused(() => hubspot.updateObject('companies', '1', { description: '\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11' }));
    expect(fx.sim.requestLog()).toHaveLength(0);
  });
});

describe('HubSpot values read back', () => {
  it('come back storable: NUL and unpaired surrogates are replaced at response parsing', async () => {
    const created = fx.sim.uiEdit({ objectType: 'companies', action: 'create', properties: { name: 'Acme\u0000Corp', description: 'half \ud800 emoji' } });
    const read = await hubspot.getObject('companies', String(created['id']), { properties: ['name', 'description'] });
    expect(read.properties['name']).toBe('Acme\uFFFDCorp');
    expect(read.properties['description']).toBe('half \uFFFD emoji');
  });
});
