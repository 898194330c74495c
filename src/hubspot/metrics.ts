import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's Prometheus metrics, registered in the registry the composition root passes in. */
export interface GatewayMetrics {
  requests: Counter<'method' | 'status' | 'bucket'>;
  rateLimited: Counter<'policy'>;
  retries: Counter<'reason'>;
  budgetWait: Histogram<'bucket' | 'priority'>;
  budgetRemaining: Gauge<'bucket'>;
  paused: Gauge<'priority'>;
}

/**
 * Two gateways may share one registry (tests, or two HubSpot accounts in one process): the second
 * reuses the metrics the first registered instead of failing on a duplicate name.
 */
function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    requests: reuse(registry, 'warp_hubspot_gateway_requests_total', () => new Counter({
      name: 'warp_hubspot_gateway_requests_total',
      help: 'HTTP requests sent to HubSpot, by method, status (0: no response) and budget bucket',
      labelNames: ['method', 'status', 'bucket'] as const,
      registers,
    })),
    rateLimited: reuse(registry, 'warp_hubspot_gateway_rate_limited_total', () => new Counter({
      name: 'warp_hubspot_gateway_rate_limited_total',
      help: '429 responses received from HubSpot, by policy (TEN_SECONDLY_ROLLING, DAILY, SECONDLY)',
      labelNames: ['policy'] as const,
      registers,
    })),
    retries: reuse(registry, 'warp_hubspot_gateway_retries_total', () => new Counter({
      name: 'warp_hubspot_gateway_retries_total',
      help: 'Requests retried by the gateway, by reason',
      labelNames: ['reason'] as const,
      registers,
    })),
    budgetWait: reuse(registry, 'warp_hubspot_gateway_budget_wait_seconds', () => new Histogram({
      name: 'warp_hubspot_gateway_budget_wait_seconds',
      help: 'Time a call waited for the shared rate budget, by bucket and priority',
      labelNames: ['bucket', 'priority'] as const,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    })),
    budgetRemaining: reuse(registry, 'warp_hubspot_gateway_budget_remaining', () => new Gauge({
      name: 'warp_hubspot_gateway_budget_remaining',
      help: 'Tokens left in the shared budget at the last grant: burst window, search window, daily quota',
      labelNames: ['bucket'] as const,
      registers,
    })),
    paused: reuse(registry, 'warp_hubspot_gateway_paused', () => new Gauge({
      name: 'warp_hubspot_gateway_paused',
      help: '1 while a priority class is paused because the daily quota is reserved for higher ones',
      labelNames: ['priority'] as const,
      registers,
    })),
  };
}
