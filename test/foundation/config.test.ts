import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config.js';
import { startBundledSimulator } from '../../src/simulator/bundled.js';

describe('loadConfig', () => {
  it('gives working defaults for a bare environment: port 3000, embedded PostgreSQL, simulator', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.embeddedDir).toBe('.data/postgres');
    expect(config.hubspot.accessToken).toBeUndefined();
  });

  it('lists every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT');
    expect(problems).toContain('"eighty"');
    expect(problems).toContain('LOG_LEVEL');
    expect(problems).toContain('DATABASE_URL');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', HUBSPOT_ACCESS_TOKEN: ' ' }).database.url).toBeUndefined();
    expect(() => loadConfig({ HUBSPOT_BASE_URL: 'https://api.hubapi.com' })).toThrow(/HUBSPOT_ACCESS_TOKEN/);
  });

  it('names a bad secret but never echoes its value', () => {
    const error = (() => {
      try {
        loadConfig({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-sEcReT token', HUBSPOT_CLIENT_SECRET: 'cs-sEcReT\nsecond-line' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('HUBSPOT_ACCESS_TOKEN: must not contain spaces or line breaks (value hidden)');
    expect(message).toContain('HUBSPOT_CLIENT_SECRET: must not contain spaces or line breaks (value hidden)');
    expect(message).not.toContain('sEcReT');
  });

  it('defaults the HubSpot base URL to the real API when a token is given', () => {
    expect(loadConfig({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-x' }).hubspot.baseUrl).toBe('https://api.hubapi.com');
  });

  it('stops on a schedule setting that is not a cron expression, naming the setting', () => {
    let error: unknown;
    try {
      loadConfig({ SCHEDULE_RETENTION_CRON: '61 * * * *', SCHEDULE_CUSTOMER_RECONCILE_CRON: 'daily' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('SCHEDULE_RETENTION_CRON'))).toMatch(/: not a valid cron expression .*Too large value '61' in minutes range.*\(got "61 \* \* \* \*"\)$/);
    expect(problems.find((p) => p.startsWith('SCHEDULE_CUSTOMER_RECONCILE_CRON'))).toMatch(/: not a valid cron expression .*'daily'/);
  });

  it('times each schedule from its setting, with the catalogue default when unset or empty', () => {
    const config = loadConfig({ SCHEDULE_RETENTION_CRON: ' */5 * * * * ', SCHEDULE_CUSTOMER_RECONCILE_CRON: '' });
    // Other schedules keep their catalogue defaults (matched, not listed, so each new entry is one line elsewhere).
    expect(config.schedules.cron).toMatchObject({ 'customer-reconcile': '30 1 * * *', retention: '*/5 * * * *', 'usage-live': '*/5 * * * *', 'usage-daily': '15 0 * * *', 'support-sla': '*/5 * * * *', 'month-close': '0 3 1 * *', 'ops-sample': '* * * * *' });
    expect(config.schedules.retentionDays).toBe(30);
  });

  it('with NODE_ENV=production, refuses to start without a token, a client secret and DATABASE_URL (no simulator, no embedded database)', () => {
    const problems = problemsOf({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('HUBSPOT_ACCESS_TOKEN: required when NODE_ENV=production'),
      expect.stringContaining('HUBSPOT_CLIENT_SECRET: required when NODE_ENV=production'),
      expect.stringContaining('DATABASE_URL: required when NODE_ENV=production'),
    ]));
    const ok = loadConfig({ NODE_ENV: 'production', HOST: '0.0.0.0', HUBSPOT_ACCESS_TOKEN: 'pat-na1-x', HUBSPOT_CLIENT_SECRET: 's', DATABASE_URL: 'postgres://db/warp' });
    expect(ok.hubspot.accessToken).toBe('pat-na1-x');
  });

  it('runs the bundled simulator only on a loopback HOST', () => {
    expect(problemsOf({ HOST: '0.0.0.0' })).toEqual([expect.stringContaining('HOST: the bundled simulator')]);
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) expect(loadConfig({ HOST: host }).http.host).toBe(host);
    expect(loadConfig({ HOST: '0.0.0.0', HUBSPOT_ACCESS_TOKEN: 'pat-na1-x' }).http.host).toBe('0.0.0.0');
  });

  it('HUBSPOT_SIM_INVOICES=false starts the bundled simulator as a portal without invoices', async () => {
    expect(loadConfig({}).hubspot.simulatorInvoices).toBe(true);
    const { hubspot } = loadConfig({ HUBSPOT_SIM_INVOICES: 'false' });
    expect(hubspot.simulatorInvoices).toBe(false);
    const sim = await startBundledSimulator({ port: 0, clientSecret: 'config-test', limits: hubspot.limits, invoices: hubspot.simulatorInvoices, stateFile: undefined }, () => undefined);
    try {
      const answer = await fetch(`${sim.url}/crm/v3/properties/invoices`, { headers: { authorization: 'Bearer demo' } });
      expect(answer.status).toBe(403);
      expect((await fetch(`${sim.url}/crm/v3/properties/companies`, { headers: { authorization: 'Bearer demo' } })).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('keeps the bundled portal beside the embedded database, and in memory with DATABASE_URL unless a file is named', async () => {
    expect(loadConfig({}).hubspot.simulatorStateFile).toBe('.data/postgres.simulator.json');
    expect(loadConfig({ EMBEDDED_PG_DIR: '/srv/pg' }).hubspot.simulatorStateFile).toBe('/srv/pg.simulator.json');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/w' }).hubspot.simulatorStateFile).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://db/w', SIMULATOR_STATE_FILE: '/tmp/p.json' }).hubspot.simulatorStateFile).toBe('/tmp/p.json');
    expect(loadConfig({ SIMULATOR_STATE_FILE: '' }).hubspot.simulatorStateFile).toBeUndefined();

    // A restart finds the portal as it was left: the company created before it is still there.
    const stateFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sim-state-')), 'nested', 'portal.json');
    const { hubspot } = loadConfig({});
    const start = () => startBundledSimulator({ port: 0, clientSecret: 'config-test', limits: hubspot.limits, invoices: true, stateFile }, () => undefined);
    const headers = { authorization: 'Bearer demo', 'content-type': 'application/json' };
    const first = await start();
    let id: string;
    try {
      const created = await fetch(`${first.url}/crm/v3/objects/companies`, { method: 'POST', headers, body: JSON.stringify({ properties: { name: 'Kept Ltd' } }) });
      id = ((await created.json()) as { id: string }).id;
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      const read = await fetch(`${second.url}/crm/v3/objects/companies/${id}?properties=name`, { headers });
      expect(((await read.json()) as { properties: { name: string } }).properties.name).toBe('Kept Ltd');
    } finally {
      await second.close();
    }
  });

  it('sends the HubSpot token over https only (http to a loopback simulator outside production)', () => {
    expect(problemsOf({ HUBSPOT_ACCESS_TOKEN: 't', HUBSPOT_BASE_URL: 'http://api.hubapi.com' })).toEqual([expect.stringContaining('HUBSPOT_BASE_URL: must be https://')]);
    expect(loadConfig({ HUBSPOT_ACCESS_TOKEN: 't', HUBSPOT_BASE_URL: 'http://127.0.0.1:4010' }).hubspot.baseUrl).toBe('http://127.0.0.1:4010');
    expect(problemsOf({ NODE_ENV: 'production', HUBSPOT_ACCESS_TOKEN: 't', HUBSPOT_CLIENT_SECRET: 's', DATABASE_URL: 'postgres://db/w', HUBSPOT_BASE_URL: 'http://127.0.0.1:4010' }))
      .toEqual([expect.stringContaining('HUBSPOT_BASE_URL')]);
  });

  it('never prints the value of a *_URL variable (they carry passwords and webhook secrets)', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://u:hunter2@db:notaport/x y', SMTP_URL: 'ftp://u:hunter3@mail', OPS_ALERT_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/s3cr3t' }).join('\n');
    expect(problems).toContain('DATABASE_URL');
    expect(problems).toContain('SMTP_URL');
    expect(problems).toContain('OPS_ALERT_WEBHOOK_URL');
    for (const secret of ['hunter2', 'hunter3', 's3cr3t']) expect(problems).not.toContain(secret);
  });

  it('requires v3 webhook signatures by default and caps the future skew at 5 minutes', () => {
    expect(loadConfig({}).webhooks.allowV1).toBe(false);
    expect(problemsOf({ WEBHOOK_MAX_FUTURE_SKEW_MS: String(60 * 60_000) })).toEqual([expect.stringContaining('WEBHOOK_MAX_FUTURE_SKEW_MS')]);
  });

  it('serves TLS only with both a certificate and a key', () => {
    expect(problemsOf({ TLS_CERT_FILE: '/tmp/cert.pem' })).toEqual(['TLS_CERT_FILE, TLS_KEY_FILE: set both or neither']);
    expect(loadConfig({ TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' }).http.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
  });
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
