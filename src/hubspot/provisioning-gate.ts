import { setTimeout as sleep } from 'node:timers/promises';

import { toError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * Nothing that depends on provisioning starts before it has succeeded (issue 17 item 7): the
 * outbox workers and the background jobs write properties, custom objects and association types
 * that provisioning creates, so before it they would only fail (and dead-letter) records. A
 * process whose provisioning failed at start (HubSpot down, a 5xx) keeps serving the API and
 * taking webhooks, tries again with back-off, and opens the gate when an attempt succeeds.
 */
export interface ProvisioningGate {
  /** True once provisioning has succeeded (at once when this process does not provision). */
  readonly passed: boolean;
  /** Resolves when it has; rejects once the gate is stopped before that. */
  readonly ready: Promise<void>;
  /** Stops trying again (the process is shutting down). */
  stop(): void;
}

/** Back-off between attempts after a failed one: 1 s, doubling, at most a minute. */
export const PROVISION_RETRY_DELAYS = { baseMs: 1_000, maxMs: 60_000 } as const;

/** The gate of a process that does not provision (an operator does, or another role). */
export const openGate = (): ProvisioningGate => ({ passed: true, ready: Promise.resolve(), stop: () => undefined });

/**
 * Runs `attempt` (provisioning, true when the portal matches) once before returning; a failure of
 * that first attempt (the database unreachable) is thrown, as any start-up failure. When it
 * reports an incomplete portal, the gate stays shut and `attempt` runs again in the background
 * until it succeeds.
 */
export async function provisioningGate(attempt: () => Promise<boolean>, logger: Logger, delays: { baseMs: number; maxMs: number } = PROVISION_RETRY_DELAYS): Promise<ProvisioningGate> {
  if (await attempt()) return openGate();
  logger.warn('HubSpot provisioning did not succeed: the outbox workers and background jobs wait for it; trying again with back-off');
  const stopping = new AbortController();
  let passed = false;
  const ready = (async () => {
    for (let failures = 1; ; failures++) {
      await sleep(Math.min(delays.maxMs, delays.baseMs * 2 ** (failures - 1)), undefined, { signal: stopping.signal });
      const succeeded = await attempt().catch((error: unknown) => {
        logger.warn({ err: toError(error) }, 'HubSpot provisioning attempt failed');
        return false;
      });
      if (succeeded) {
        passed = true;
        logger.info({ attempts: failures + 1 }, 'HubSpot provisioning succeeded: starting the outbox workers and background jobs');
        return;
      }
    }
  })();
  // Stopped before it passed: whoever waits hears of it; nobody waiting is no unhandled rejection.
  ready.catch(() => undefined);
  return {
    get passed() {
      return passed;
    },
    ready,
    stop: () => stopping.abort(),
  };
}
