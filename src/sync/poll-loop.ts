import { setTimeout as sleep } from 'node:timers/promises';

import { toError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * The loop shared by the inbound background workers (inbox, sync jobs, onboarding): run `runOnce`
 * again at once while it finds work, otherwise sleep `pollIntervalMs` or until woken; `stop`
 * aborts the signal and waits for the loops to finish their current round.
 */
export interface PollLoops {
  /** Starts a round now instead of at the next interval (e.g. after new work was committed). */
  wake(): void;
  stop(): Promise<void>;
  readonly signal: AbortSignal;
}

export interface PollLoopOptions {
  /** Concurrent loops (e.g. inbox workers in this process). */
  count: number;
  pollIntervalMs: number;
  logger: Logger;
  /** For the log line when a round fails unexpectedly. */
  name: string;
  /** One round; resolves true when it did work (then the next round starts at once). */
  runOnce(signal: AbortSignal): Promise<boolean>;
}

export function startPollLoops(options: PollLoopOptions): PollLoops {
  const controller = new AbortController();
  const { signal } = controller;
  const sleepers = new Set<() => void>();
  const wake = (): void => {
    for (const resolve of sleepers) resolve();
    sleepers.clear();
  };

  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      let worked = false;
      try {
        worked = await options.runOnce(signal);
      } catch (error) {
        if (!signal.aborted) options.logger.error({ err: toError(error) }, `${options.name} round failed`);
      }
      if (worked || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        sleepers.add(resolve);
        sleep(options.pollIntervalMs, undefined, { signal }).then(resolve, resolve);
      });
    }
  };
  const running = Array.from({ length: options.count }, () => loop());

  return {
    wake,
    signal,
    stop: async () => {
      controller.abort();
      wake();
      await Promise.all(running);
    },
  };
}

/** A single background loop over a job queue, plus `drain` to run it to empty (tests, CLI). */
export interface JobRunner {
  wake(): void;
  /** Runs queued work until none is left. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** `runNext` gets the runner's signal, aborted by `stop()`, so a long job can stop between steps. */
export function startJobRunner(options: Omit<PollLoopOptions, 'count'>): JobRunner {
  const loops = startPollLoops({ ...options, count: 1 });
  return {
    wake: () => loops.wake(),
    drain: async () => {
      while (await options.runOnce(loops.signal));
    },
    stop: () => loops.stop(),
  };
}
