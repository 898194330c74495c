import { setTimeout as sleep } from 'node:timers/promises';

import { Counter, Gauge, type Registry } from 'prom-client';

import type { Pool, PoolClient } from '../db/pool.js';
import { toError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * A LISTEN connection that comes back. PostgreSQL restarts (or a proxy drops the socket): the
 * connection ends, and without a new LISTEN idle workers would only find work at their next poll,
 * for good. This one reconnects with exponential back-off and jitter, says so in the log and in
 * metrics, and calls `onNotify` once it is back, since notifications sent meanwhile are lost.
 */
export interface Listener {
  /** Resolves once the connection is released (UNLISTEN, then back to the pool). */
  stop(): Promise<void>;
  readonly connected: boolean;
}

export interface ListenerOptions {
  pool: Pool;
  channel: string;
  logger: Logger;
  metrics?: Registry | undefined;
  /** A notification arrived, or the connection came back (work may have arrived meanwhile). */
  onNotify: () => void;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 30_000;

function listenerMetrics(registry: Registry | undefined) {
  if (!registry) return undefined;
  const reconnects =
    (registry.getSingleMetric('warp_hubspot_queue_listen_reconnects_total') as Counter | undefined) ??
    new Counter({ name: 'warp_hubspot_queue_listen_reconnects_total', help: 'LISTEN connections re-established after they were lost, by channel', labelNames: ['channel'], registers: [registry] });
  const connected =
    (registry.getSingleMetric('warp_hubspot_queue_listen_connected') as Gauge | undefined) ??
    new Gauge({ name: 'warp_hubspot_queue_listen_connected', help: '1 while the LISTEN connection of a queue channel is up, 0 while it reconnects', labelNames: ['channel'], registers: [registry] });
  return { reconnects, connected };
}

export function startListener(options: ListenerOptions): Listener {
  const { pool, channel, logger } = options;
  const metrics = listenerMetrics(options.metrics);
  const stopping = new AbortController();
  let connected = false;

  const connectAndListen = async (): Promise<PoolClient> => {
    const client = await pool.connect();
    try {
      await client.query(`LISTEN ${channel}`);
      return client;
    } catch (error) {
      client.release(toError(error));
      throw error;
    }
  };

  /** Holds the connection until it fails (`lost`) or `stop()` is called. */
  const hold = async (client: PoolClient): Promise<'lost' | 'stopped'> => {
    client.on('notification', options.onNotify);
    let settle: (reason: 'lost' | 'stopped') => void = () => undefined;
    const onLost = (): void => settle('lost');
    const onStop = (): void => settle('stopped');
    const reason = await new Promise<'lost' | 'stopped'>((resolve) => {
      settle = resolve;
      client.on('error', onLost);
      client.on('end', onLost);
      stopping.signal.addEventListener('abort', onStop);
      if (stopping.signal.aborted) resolve('stopped');
    });
    client.removeListener('error', onLost);
    client.removeListener('end', onLost);
    stopping.signal.removeEventListener('abort', onStop);
    client.removeListener('notification', options.onNotify);
    if (reason === 'stopped') {
      await client.query(`UNLISTEN ${channel}`).catch(() => undefined);
      client.release();
    } else {
      client.release(new Error('LISTEN connection lost')); // destroyed, never reused
    }
    return reason;
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    let wasLost = false;
    while (!stopping.signal.aborted) {
      let client: PoolClient;
      try {
        client = await connectAndListen();
      } catch (error) {
        failures++;
        if (failures === 1) logger.warn({ channel, err: toError(error) }, 'LISTEN connection unavailable; retrying with back-off (workers poll meanwhile)');
        const delayMs = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (failures - 1)) * (0.5 + Math.random());
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (stopping.signal.aborted) {
        await client.query(`UNLISTEN ${channel}`).catch(() => undefined);
        client.release();
        return;
      }
      connected = true;
      metrics?.connected.set({ channel }, 1);
      if (wasLost) {
        logger.info({ channel, failedAttempts: failures }, 'LISTEN connection re-established');
        metrics?.reconnects.inc({ channel });
        options.onNotify();
      }
      failures = 0;
      const reason = await hold(client);
      connected = false;
      metrics?.connected.set({ channel }, 0);
      if (reason === 'stopped') return;
      wasLost = true;
      logger.warn({ channel }, 'LISTEN connection lost; reconnecting');
    }
  };
  const running = run();

  return {
    get connected() {
      return connected;
    },
    stop: async () => {
      stopping.abort();
      await running;
    },
  };
}
