import { randomUUID } from 'node:crypto';

import { Registry } from 'prom-client';

import type { Clock } from '../../src/hubspot/clock.js';
import { createHubSpotGateway, type HubSpotGateway, type HubSpotGatewayOptions } from '../../src/hubspot/gateway.js';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.js';
import type { TestDatabase } from './db.js';
import { createRateBudgetStore } from '../../src/store/rate-budget.js';

export { maxInWindow as maxRequestsInWindow } from '../../bench/hubspot-support.js';

/** A clock whose back-off sleeps are recorded and take 1 % of the asked time, so tests stay fast. */
export interface RecordingClock extends Clock {
  sleeps: number[];
}
export function recordingClock(scale = 0.01): RecordingClock {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    random: () => Math.random(),
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, Math.round(ms * scale)));
    },
  };
}

/**
 * The real simulator in-process (over HTTP on a free port) with its control functions, and a
 * factory of gateways for it. The simulator's windows are time-scaled; gateways get the same
 * limits, so tests wait milliseconds instead of seconds.
 */
export interface GatewayFixture {
  sim: RunningSimulator;
  /** Burst window the simulator enforces, in ms (10 s × time scale). */
  burstWindowMs: number;
  accountKey: string;
  gateway(overrides?: Partial<HubSpotGatewayOptions>): HubSpotGateway;
  close(): Promise<void>;
}

export async function startGatewayFixture(db: TestDatabase, sim: SimulatorOptions = {}): Promise<GatewayFixture> {
  const timeScale = sim.timeScale ?? 0.05;
  const running = await startSimulator({ timeScale, enableControlApi: true, ...sim });
  const burstWindowMs = (sim.burstWindowMs ?? 10_000) * timeScale;
  const accountKey = `test-${randomUUID()}`;
  return {
    sim: running,
    burstWindowMs,
    accountKey,
    gateway: (overrides = {}) =>
      createHubSpotGateway({
        baseUrl: running.url,
        accessToken: 'test-token',
        budgetStore: createRateBudgetStore(db.pool),
        accountKey,
        metrics: new Registry(),
        ...overrides,
        limits: {
          burstLimit: sim.burstLimit ?? 100,
          burstWindowMs,
          dailyLimit: sim.dailyLimit ?? 250_000,
          searchPerSecond: sim.searchPerSecond ?? 5,
          searchWindowMs: 1_000 * timeScale,
          safetyMarginMs: 20,
          ...overrides.limits,
        },
      }),
    close: () => running.close(),
  };
}
