import { Writable } from 'node:stream';

import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A real logger whose JSON lines are kept, to assert on what was logged. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    logger: createLogger({ level, destination }),
    lines: () => raw.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
