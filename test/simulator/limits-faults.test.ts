/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Tests assert on raw HubSpot JSON bodies (ApiException.body, webhook payloads), which are untyped by nature. */
import { describe, expect, it } from 'vitest';
import { Client } from '@hubspot/api-client';
import { apiError, call, sdk, startTestSim } from './helpers.js';

describe('burst and daily limits', () => {
  it('the 101st request in the default 10 s window → 429 TEN_SECONDLY_ROLLING with headers', async () => {
    const sim = await startTestSim({ timeScale: 1 });
    try {
      const rs = [];
      for (let i = 0; i < 101; i++) rs.push(await call(sim, 'GET', '/crm/v3/objects/contacts?limit=1'));
      expect(rs.slice(0, 100).every((r) => r.status === 200)).toBe(true);
      expect(rs[0]?.headers.get('x-hubspot-ratelimit-max')).toBe('100');
      expect(rs[0]?.headers.get('x-hubspot-ratelimit-remaining')).toBe('99');
      expect(rs[99]?.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      expect(rs[0]?.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
      expect(rs[0]?.headers.get('x-hubspot-ratelimit-daily')).toBe('250000');
      expect(rs[0]?.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('249999');
      const last = rs[100]!;
      expect(last.status).toBe(429);
      expect(last.body).toMatchObject({ status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
      expect(last.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    } finally {
      await sim.close();
    }
  });

  it('the window rolls: a time-scaled window frees capacity again', async () => {
    const sim = await startTestSim({ timeScale: 0.1, burstLimit: 5 }); // 10 s → 1 s
    try {
      const first = await Promise.all(Array.from({ length: 6 }, () => call(sim, 'GET', '/crm/v3/objects/contacts').then((r) => r.status)));
      expect(first.filter((st) => st === 429)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1_050));
      const again = await call(sim, 'GET', '/crm/v3/objects/contacts');
      expect(again.status).toBe(200);
      expect(again.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('1000');
    } finally {
      await sim.close();
    }
  });

  it('configurable burst (190) and per-token (per-app) windows; OAuth responses omit daily headers', async () => {
    const sim = await startTestSim({ timeScale: 1, burstLimit: 190 });
    try {
      const statuses = await Promise.all(Array.from({ length: 191 }, () => call(sim, 'GET', '/crm/v3/objects/deals?limit=1').then((r) => r.status)));
      expect(statuses.filter((s) => s === 429)).toHaveLength(1);
      const other = await call(sim, 'GET', '/crm/v3/objects/deals', undefined, 'oauth-other-app');
      expect(other.status).toBe(200);
      expect(other.headers.get('x-hubspot-ratelimit-max')).toBe('190');
      expect(other.headers.get('x-hubspot-ratelimit-daily')).toBeNull();
    } finally {
      await sim.close();
    }
  });

  it('daily limit → 429 DAILY, which the SDK does not retry', async () => {
    const sim = await startTestSim({ dailyLimit: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await call(sim, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
      const c = new Client({ accessToken: 't', basePath: sim.url, numberOfApiCallRetries: 3 });
      const e = await apiError(c.crm.contacts.basicApi.getPage());
      expect(e.code).toBe(429);
      expect(e.body).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
      expect(sim.requestLog().filter((r) => r.status === 429)).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});

describe('fault injection', () => {
  it('next-N status faults (429/423/477/502), recorded in the request log; the SDK retries 5xx', async () => {
    const sim = await startTestSim();
    try {
      await call(sim, 'POST', '/__sim/faults', [{ kind: 'status', status: 502, count: 2, pathPrefix: '/crm/v3/objects/contacts' }]);
      const c = new Client({ accessToken: 't', basePath: sim.url, numberOfApiCallRetries: 3 });
      const page = await c.crm.contacts.basicApi.getPage();
      expect(page.results).toEqual([]);
      expect(sim.requestLog().map((r) => r.status)).toEqual([502, 502, 200]);
      expect(sim.requestLog()[0]?.fault).toBe('status:502');

      sim.addFault({ kind: 'status', status: 423, count: 1 });
      const locked = await call(sim, 'GET', '/crm/v3/objects/contacts');
      expect(locked.status).toBe(423);
      expect(locked.body.category).toBe('LOCKED');
      sim.addFault({ kind: 'status', status: 477, count: 1, retryAfterSeconds: 30 });
      const mig = await call(sim, 'GET', '/crm/v3/objects/contacts');
      expect(mig.status).toBe(477);
      expect(mig.headers.get('retry-after')).toBe('30');
      sim.addFault({ kind: 'status', status: 429, count: 1 });
      const rl = await call(sim, 'GET', '/crm/v3/objects/contacts');
      expect(rl.body.policyName).toBe('TEN_SECONDLY_ROLLING');
      expect((await call(sim, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('fraction faults, latency, dropped connections and timeouts', async () => {
    const sim = await startTestSim();
    try {
      sim.addFault({ kind: 'status', status: 503, fraction: 1, count: 3 });
      const s = [];
      for (let i = 0; i < 4; i++) s.push((await call(sim, 'GET', '/crm/v3/objects/contacts')).status);
      expect(s).toEqual([503, 503, 503, 200]);

      sim.addFault({ kind: 'latency', latencyMs: 300, count: 1 });
      const t0 = Date.now();
      expect((await call(sim, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

      sim.addFault({ kind: 'drop', count: 1 });
      await expect(call(sim, 'GET', '/crm/v3/objects/contacts')).rejects.toThrow();

      sim.addFault({ kind: 'timeout', count: 1, latencyMs: 5_000 });
      await expect(fetch(`${sim.url}/crm/v3/objects/contacts`, { headers: { authorization: 'Bearer t' }, signal: AbortSignal.timeout(300) })).rejects.toThrow();
      expect(sim.requestLog().slice(-2).map((r) => r.fault)).toEqual(['drop', 'timeout']);
      expect((await call(sim, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('control API: request log has bodies and sizes; reset clears; control API is off by default in-process', async () => {
    const sim = await startTestSim();
    try {
      await call(sim, 'POST', '/crm/v3/objects/contacts', { properties: { email: 'log@x.com' } });
      const log = await call(sim, 'GET', '/__sim/requests', undefined, null);
      const e = log.body.results[0];
      expect(e).toMatchObject({ method: 'POST', path: '/crm/v3/objects/contacts', status: 201, body: { properties: { email: 'log@x.com' } } });
      expect(e.requestBytes).toBeGreaterThan(0);
      expect(e.responseBytes).toBeGreaterThan(0);
      expect(typeof e.at).toBe('string');
      expect((await call(sim, 'POST', '/__sim/reset', {}, null)).status).toBe(200);
      expect((await call(sim, 'GET', '/__sim/requests', undefined, null)).body.results).toEqual([]);
      expect((await call(sim, 'GET', '/crm/v3/objects/contacts')).body.results).toEqual([]);
    } finally {
      await sim.close();
    }
    const { startSimulator } = await import('../../src/simulator/server.js');
    const plain = await startSimulator({ port: 0 });
    try {
      expect((await call(plain, 'GET', '/__sim/requests', undefined, null)).status).toBe(404);
      expect((await sdk(plain).crm.contacts.basicApi.getPage()).results).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
