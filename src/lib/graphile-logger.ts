import { Logger as GraphileLogger } from 'graphile-worker';

import type { Logger } from './logger.js';

/**
 * graphile-worker (the job runtime, src/jobs/) logs through this adapter into our pino logger, so
 * its lines are JSON, scrubbed and filtered by LOG_LEVEL like ours. Its `info` lines (a line per
 * job started and finished) are debug detail for us; warnings and errors keep their level. Job
 * payloads and full job rows in its metadata are left out: only the scope (worker, task, job id).
 */
export function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields: Record<string, unknown> = { component: 'jobs', ...scope };
    const error = meta?.['error'] ?? meta?.['fatalError'];
    if (error instanceof Error) fields['err'] = error;
    switch (String(level)) {
      case 'error':
        logger.error(fields, message);
        break;
      case 'warning':
        logger.warn(fields, message);
        break;
      default:
        logger.debug(fields, message);
    }
  });
}
