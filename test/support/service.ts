import { Writable } from 'node:stream';

import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { createService, type Service } from '../../src/service.js';
import type { TestDatabase } from './db.js';

export interface TestService extends Service {
  /** Every log line the service wrote so far, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Raw text of the log, to assert that something never appears in it. */
  logText(): string;
}

/** The real service (same wiring as `npm start`) on a test database, with its log captured. */
export async function startTestService(db: TestDatabase, env: Record<string, string> = {}): Promise<TestService> {
  // Test files run in parallel processes: each bundled simulator takes any free port.
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'info', SIMULATOR_PORT: '0', ...env });
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  const service = await createService(config, logger);
  return {
    ...service,
    logLines: () => raw.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => raw.join(''),
  };
}
