// The gateway of the reconcile-scale benchmark: the bench process (provisioning) and the forked
// reconcile process (bench/reconcile-service.ts) share one account key, so they share one budget.
import type { Logger } from 'pino';
import { Registry } from 'prom-client';

import type { Pool } from '../src/db/pool.js';
import { createHubSpotGateway, type HubSpotGateway } from '../src/hubspot/gateway.js';
import { createRateBudgetStore } from '../src/store/rate-budget.js';

export function reconcileBenchGateway(pool: Pool, baseUrl: string, burst: { burstLimit: number; burstWindowMs: number }, logger: Logger): HubSpotGateway {
  return createHubSpotGateway({
    baseUrl,
    accessToken: 'bench',
    budgetStore: createRateBudgetStore(pool),
    accountKey: 'bench-reconcile',
    metrics: new Registry(),
    logger,
    limits: { ...burst, searchWindowMs: 1_000, safetyMarginMs: 250, dailyLimit: 100_000_000 },
  });
}
