import { Client } from '@hubspot/api-client';

import { insertTrunk } from '../../src/store/trunks.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { ticketWebhookSubscriptions } from '../../src/sync/inbound/subscriptions.js';
import { type OutboundFixture, startOutboundFixture } from '../outbound/support.js';

/**
 * The support flow's fixture: the real service (API, outbox workers, inbox) on a fresh database,
 * listening on a real port, against the simulator over HTTP, with the simulator's ticket webhooks
 * pointed at the service. `support` is an API client with only the `support:write` scope.
 */
export interface SupportFixture extends OutboundFixture {
  base: string;
  supportKey: string;
  sdk: Client;
  /** A customer whose company is in the simulator, with one trunk in WARP. */
  customerWithTrunk(): Promise<{ id: string; ban: string; companyId: string; trunkId: string }>;
  autoTicket(body: unknown, key?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

export const SECRET = 'support-test-secret';
const TOKEN = 'pat-support-test';

export async function startSupportFixture(env: Record<string, string> = {}): Promise<SupportFixture> {
  const f = await startOutboundFixture({
    env: { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_CLIENT_SECRET: SECRET, INBOX_POLL_INTERVAL_MS: '50', ...env },
    sim: { clientSecret: SECRET, burstLimit: 100_000 },
  });
  const base = await f.service.app.listen({ port: 0, host: '127.0.0.1' });
  f.sim.configureWebhooks(`${base}/api/v1/webhooks/hubspot`, ticketWebhookSubscriptions());
  const { key: supportKey } = await createApiKey(f.db.pool, 'monitoring', ['support:write']);
  return {
    ...f,
    base,
    supportKey,
    sdk: new Client({ accessToken: TOKEN, basePath: f.sim.url, numberOfApiCallRetries: 0 }),
    customerWithTrunk: async () => {
      const customer = await f.createCustomer();
      const trunk = await insertTrunk(f.db.pool, customer.id, { name: 'Primary', ipAddresses: ['198.51.100.7'], concurrentCalls: 50, monthlyMinutes: 100_000 });
      return { ...customer, trunkId: trunk.trunkId };
    },
    autoTicket: async (body, key = supportKey) => {
      const response = await fetch(`${base}/api/v1/support/auto-ticket`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

export const asrAlert = (ban: string, trunkId: string, asr = 0.35) => ({
  trigger: 'asr_below_threshold',
  customer_id: ban,
  data: { trunk_id: trunkId, current_asr: asr, threshold: 0.5, period: 'last_hour' },
});
