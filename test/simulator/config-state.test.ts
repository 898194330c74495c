import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSimulatorConfig } from '../../src/simulator/config.js';
import { startSimulator } from '../../src/simulator/server.js';
import { call, sdk } from './helpers.js';

describe('configuration', () => {
  it('flags override environment variables; defaults for the CLI', () => {
    const cfg = parseSimulatorConfig(['--port', '4011', '--burst-limit', '190', '--no-seed', '--webhook-url', 'http://127.0.0.1:9/h', '--webhook-subscriptions', 'contact.creation,contact.propertyChange:email'],
      { HUBSPOT_SIM_BURST_LIMIT: '150', HUBSPOT_SIM_TIME_SCALE: '0.5', HUBSPOT_SIM_TOKENS: '{"t1":{"kind":"oauth","scopes":["timeline"]}}' });
    if (cfg === 'help') throw new Error('unexpected help');
    expect(cfg.options).toMatchObject({ port: 4011, burstLimit: 190, timeScale: 0.5, seedDemo: false, enableControlApi: true, tokens: { t1: { kind: 'oauth', scopes: ['timeline'] } } });
    expect(cfg.webhookSubscriptions).toEqual([{ eventType: 'contact.creation' }, { eventType: 'contact.propertyChange', propertyName: 'email' }]);
    const d = parseSimulatorConfig([], {});
    expect(d !== 'help' && d.options).toMatchObject({ port: 4010, seedDemo: true, enableControlApi: true });
    expect(parseSimulatorConfig(['--help'], {})).toBe('help');
    expect(() => parseSimulatorConfig(['--burst-limit', 'lots'], {})).toThrow(/burstLimit/);
    expect(() => parseSimulatorConfig([], { HUBSPOT_SIM_TOKENS: 'nope' })).toThrow(/tokens/);
  });
});

describe('state', () => {
  it('persists to a JSON file and reloads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubspot-sim-'));
    const file = join(dir, 'state.json');
    try {
      const a = await startSimulator({ port: 0, stateFile: file });
      const created = await sdk(a).crm.companies.basicApi.create({ properties: { name: 'Persisted' }, associations: [] });
      await a.close();
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1 });
      const b = await startSimulator({ port: 0, stateFile: file });
      try {
        expect((await sdk(b).crm.companies.basicApi.getById(created.id, ['name'])).properties.name).toBe('Persisted');
        const s = await call(b, 'POST', '/crm/v3/objects/companies/search', {});
        expect((s.body as { total: number }).total).toBe(1);
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds the demo portal: companies, contacts, deals (one closed-won), tickets', async () => {
    const s = await startSimulator({ port: 0, seedDemo: true });
    try {
      const c = sdk(s);
      expect((await c.crm.companies.basicApi.getPage()).results.length).toBeGreaterThanOrEqual(3);
      expect((await c.crm.contacts.basicApi.getPage()).results.length).toBeGreaterThanOrEqual(5);
      const deals = await c.crm.deals.basicApi.getPage(10, undefined, ['dealstage', 'amount']);
      expect(deals.results.some((d) => d.properties.dealstage === 'closedwon')).toBe(true);
      expect((await c.crm.tickets.basicApi.getPage()).results.length).toBeGreaterThanOrEqual(2);
    } finally {
      await s.close();
    }
  });
});
