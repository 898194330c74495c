import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config.js';

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
});
