// The moving parts of `npm run chaos`: one PostgreSQL with fsync on (embedded, restartable on its
// port and data directory), N service instances as separate processes (kill -9 and restart), and
// a small front door that spreads webhook deliveries and API calls over the live instances, as a
// load balancer would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { ensureDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export interface ChaosDatabase {
  url: string;
  /** Fast shutdown (connections in flight get 57P01), down for `downMs`, then up on the same port and data. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosDatabase(dir: string): Promise<ChaosDatabase> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const options = { dataDir: path.join(dir, 'pg'), port, durable: true };
  let server: EmbeddedDatabase = await startEmbeddedDatabase(options);
  const url = await ensureDatabase(server.adminUrl, 'warp_chaos');
  const pool = createPool(url, 1);
  await migrate(pool);
  await pool.end();
  return {
    url,
    restart: async (downMs) => {
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await startEmbeddedDatabase(options);
    },
    stop: () => server.stop(),
  };
}

export async function chaosDirectory(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warp-hubspot-chaos-'));
  await chmod(dir, 0o755); // as root, the postgres OS user must traverse it
  return dir;
}

export interface Instance {
  index: number;
  port: number;
  child: ChildProcess | undefined;
  /** Accepting requests (started and not killed). */
  live: boolean;
  /** Exits we did not cause (a crash), with the last lines it wrote. */
  crashes: string[];
  /** We asked it to stop (kill -9 or SIGTERM): its exit is not a crash. */
  stopping: boolean;
}

export interface Cluster {
  instances: Instance[];
  /** Starts every instance; resolves when each listens. */
  start(): Promise<void>;
  kill(instance: Instance): Promise<void>;
  restart(instance: Instance): Promise<void>;
  stopAll(): Promise<void>;
  liveInstances(): Instance[];
}

export function createCluster(options: { count: number; dir: string; env: Record<string, string> }): Cluster {
  const instances: Instance[] = Array.from({ length: options.count }, (_, i) => ({ index: i + 1, port: 0, child: undefined, live: false, crashes: [], stopping: false }));
  const logs = new Map<number, WriteStream>();

  const launch = async (instance: Instance): Promise<void> => {
    if (instance.port === 0) instance.port = await freePort();
    instance.stopping = false;
    const log = logs.get(instance.index) ?? createWriteStream(path.join(options.dir, `instance-${instance.index}.log`), { flags: 'a' });
    logs.set(instance.index, log);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...options.env, PORT: String(instance.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    instance.child = child;
    let tail = '';
    const keep = (d: Buffer): void => {
      log.write(d);
      tail = (tail + d.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      instance.live = false;
      // Our kill -9 and our SIGTERM (a graceful exit with code 0) are not crashes; anything else is.
      if (!instance.stopping) instance.crashes.push(`exit ${code ?? signal}: ${tail.split('\n').slice(-6).join('\n')}`);
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`instance ${instance.index} did not start in 120 s: ${seen.slice(-2000)}`)), 120_000);
      child.stdout?.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('warp-hubspot listening on')) {
          clearTimeout(timer);
          instance.live = true;
          resolve();
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`instance ${instance.index} exited while starting: ${seen.slice(-2000)}`));
      });
    });
  };

  const stopChild = (instance: Instance, signal: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      const child = instance.child;
      instance.live = false;
      instance.stopping = true;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });

  return {
    instances,
    start: async () => {
      await Promise.all(instances.map((i) => launch(i)));
    },
    kill: (instance) => stopChild(instance, 'SIGKILL'),
    restart: (instance) => launch(instance),
    stopAll: async () => {
      await Promise.all(instances.map((i) => stopChild(i, 'SIGTERM')));
      for (const log of logs.values()) log.end();
    },
    liveInstances: () => instances.filter((i) => i.live),
  };
}

/** A random live instance's port (undefined while none is up). */
export function pickInstance(cluster: Cluster): Instance | undefined {
  const live = cluster.liveInstances();
  return live[Math.floor(Math.random() * live.length)];
}

/**
 * The public webhook URL HubSpot calls: forwards each delivery to a live instance (another one if
 * the first cannot be reached) and answers 502 when none can, so HubSpot retries it later.
 */
export async function startWebhookFrontDoor(cluster: Cluster): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      void (async () => {
        for (const instance of [...cluster.liveInstances()].sort(() => Math.random() - 0.5)) {
          try {
            const answer = await fetch(`http://127.0.0.1:${instance.port}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
            res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
            res.end(Buffer.from(await answer.arrayBuffer()));
            return;
          } catch {
            // that instance is down: try the next one
          }
        }
        res.writeHead(502).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
