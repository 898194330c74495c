import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the gateway sees it. Tests inject a clock whose `sleep` resolves at once (and records
 * what it was asked), so back-off and window waits are checked without waiting for them.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1): jitter for back-off. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
  random: () => Math.random(),
};
