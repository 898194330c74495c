import type { Pool } from '../db/pool.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * Wakes a queue's workers in every process (their LISTEN) after work was committed, at most once
 * per `minIntervalMs`, outside the transaction that added the work. A NOTIFY inside every ingest
 * transaction would serialize their commits (PostgreSQL takes one global lock for notifying
 * commits): a webhook receiver committing hundreds of batches a second notifies a few times.
 * Workers also poll, so a lost notification costs at most a poll interval.
 */
export interface Notifier {
  notify(): void;
  stop(): Promise<void>;
}

/** Often enough that a worker elsewhere starts within a blink, rarely enough to cost nothing. */
const DEFAULT_MIN_INTERVAL_MS = 50;

export function createNotifier(options: { pool: Pool; channel: string; logger: Logger; minIntervalMs?: number }): Notifier {
  const minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  let lastMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;
  const send = (): void => {
    timer = undefined;
    lastMs = Date.now();
    inFlight = options.pool.query('SELECT pg_notify($1, $2)', [options.channel, '']).then(
      () => undefined,
      (error: unknown) => options.logger.debug({ channel: options.channel, err: toError(error) }, 'queue NOTIFY failed; workers find the work at their next poll'),
    );
  };
  return {
    notify: () => {
      if (stopped || timer) return;
      timer = setTimeout(send, Math.max(0, lastMs + minIntervalMs - Date.now()));
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
