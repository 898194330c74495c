import type { Registry } from 'prom-client';

import type { Pool } from '../db/pool.js';
import { toError } from '../lib/errors.js';
import { INSTANCE_ID } from '../lib/instance.js';
import type { Logger } from '../lib/logger.js';
import { type Listener, startListener } from './listener.js';

/**
 * The worker loops of a SQL-owned queue (inbox, outbox): each loop runs a round again at once
 * while rounds find work, otherwise sleeps until the poll interval passes or a NOTIFY on the
 * queue's channel (from any process), or an in-process `wake()`, ends the sleep. A round that
 * fails (the database is down, a bug) is logged and retried with a growing pause, so a PostgreSQL
 * restart costs neither the loop nor a flood of log lines. `stop()` aborts the signal and waits
 * for the rounds in flight to finish.
 */
export interface QueueRunner {
  /** Starts a round now instead of at the next interval (new work was committed in this process). */
  wake(): void;
  /** Runs rounds until one finds nothing to do (tests, CLI). */
  drain(): Promise<void>;
  stop(): Promise<void>;
  readonly signal: AbortSignal;
}

export interface QueueRunnerOptions {
  /** For logs: `inbox`, `outbox`. */
  name: string;
  /** Concurrent loops in this process; 0 starts none (drain still works). */
  workers: number;
  pollIntervalMs: number;
  logger: Logger;
  /** With `channel`, idle loops wake on its NOTIFY through a LISTEN connection that reconnects. */
  pool?: Pool | undefined;
  channel?: string | undefined;
  metrics?: Registry | undefined;
  /** One round for the loop whose lease owner id is `owner`; resolves true when it found work. */
  runOnce(owner: string, signal: AbortSignal): Promise<boolean>;
}

/** Longest pause after failed rounds in a row (e.g. while the database restarts). */
const MAX_ERROR_PAUSE_MS = 30_000;

export function startQueueRunner(options: QueueRunnerOptions): QueueRunner {
  const controller = new AbortController();
  const { signal } = controller;
  const sleepers = new Set<() => void>();
  const wake = (): void => {
    for (const resolve of sleepers) resolve();
    sleepers.clear();
  };
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      sleepers.add(done);
    });
  const listener: Listener | undefined =
    options.workers > 0 && options.pool && options.channel
      ? startListener({ pool: options.pool, channel: options.channel, logger: options.logger, metrics: options.metrics, onNotify: wake })
      : undefined;

  const loop = async (index: number): Promise<void> => {
    const owner = `${INSTANCE_ID}-${options.name}-${index}`;
    let failures = 0;
    while (!signal.aborted) {
      let worked = false;
      try {
        worked = await options.runOnce(owner, signal);
        if (failures > 0) options.logger.info({ worker: owner, failedRounds: failures }, `${options.name} worker recovered`);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        // The first failure of a streak at error level, the rest at debug: one restart, one line.
        const level = failures === 1 ? 'error' : 'debug';
        options.logger[level]({ err: toError(error), worker: owner, failedRounds: failures }, `${options.name} worker round failed; leased rows return when their lease expires`);
        await pause(Math.min(MAX_ERROR_PAUSE_MS, options.pollIntervalMs * 2 ** failures));
        continue;
      }
      if (!worked && !signal.aborted) await pause(options.pollIntervalMs);
    }
  };
  const running = Array.from({ length: options.workers }, (_, i) => loop(i));

  return {
    wake,
    signal,
    drain: async () => {
      const owner = `${INSTANCE_ID}-${options.name}-drain`;
      while (await options.runOnce(owner, signal));
    },
    stop: async () => {
      controller.abort();
      wake();
      await Promise.all(running);
      await listener?.stop();
    },
  };
}
