import { type Pool, withTransaction } from '../../db/pool.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { countOpenTransientDeadLetters, takeTransientDeadLetters } from '../../store/dead-letters.js';
import { requeueDeadLetters } from './dead-letters.js';

/**
 * The automatic retry of dead letters of passing causes (issue 17 item 6; docs/product-rules.md
 * "Retries and alerts"), run by the `dead-letter-retry` schedule: a record dead-lettered because a
 * HubSpot outage outlasted its retry budget goes back into the outbox once HubSpot answers again,
 * as Hightouch retries failed rows on the next sync. Refusals HubSpot would repeat (400, 404, 409,
 * the outgoing guard) are never retried this way, and a record is retried automatically at most
 * `MAX_AUTOMATIC_RETRIES` times a day: one that keeps failing is left open for a person, who can
 * still retry it (or every one that matches) from the ops dashboard.
 */

export const MAX_AUTOMATIC_RETRIES = 3;
const PER_RECORD_WINDOW_MS = 24 * 60 * 60_000;
/** Letters queued again per run (per minute): a long outage's backlog returns in steps, not all at once. */
const LETTERS_PER_RUN = 500;

export interface DeadLetterRetryDeps {
  pool: Pool;
  logger: Logger;
  /** One cheap HubSpot read: it answering is what "HubSpot is healthy again" means. */
  probe: (signal: AbortSignal) => Promise<unknown>;
}

export async function retryTransientDeadLetters(deps: DeadLetterRetryDeps, signal: AbortSignal): Promise<Record<string, number>> {
  const open = await countOpenTransientDeadLetters(deps.pool);
  // Nothing to retry costs no HubSpot request.
  if (open === 0) return { open: 0, retried: 0 };
  try {
    await deps.probe(signal);
  } catch (error) {
    deps.logger.info({ open, err: toError(error) }, 'HubSpot is not answering yet: dead letters of passing causes wait for the next run');
    return { open, retried: 0, hubspotDown: 1 };
  }
  const retried = await withTransaction(deps.pool, async (tx) => {
    const letters = await takeTransientDeadLetters(tx, { maxPerRecord: MAX_AUTOMATIC_RETRIES, perRecordWindowMs: PER_RECORD_WINDOW_MS, limit: LETTERS_PER_RUN });
    await requeueDeadLetters(tx, letters);
    return letters.length;
  });
  if (retried > 0) deps.logger.info({ retried, open }, 'HubSpot answers again: dead letters of passing causes are back in the outbox');
  return { open, retried };
}
