import { type Pool, type Queryable, withTransaction } from '../../db/pool.js';
import { AppError, notFound } from '../../lib/errors.js';
import { type DeadLetter, findDeadLetter, insertDeadLetter, resolveDeadLetter } from '../../store/dead-letters.js';
import { type AttemptError, enqueue, type OutboxEntry, remove } from '../../store/outbox.js';

/**
 * Moving records into and out of the dead-letter table. Each move is one transaction with the
 * outbox change, so a record is always in exactly one of the two places.
 */

/** `transient`: for a passing cause (its retry budget spent), so it is retried automatically later (dead-letter-retry.ts). */
export async function deadLetter(pool: Pool, entry: OutboxEntry, owner: string, payload: unknown, errors: readonly AttemptError[], transient: boolean): Promise<DeadLetter | null> {
  return withTransaction(pool, async (tx) => {
    // Only while we still hold the lease: otherwise another worker owns the record now.
    if (!(await remove(tx, entry, owner))) return null;
    return insertDeadLetter(tx, { objectType: entry.objectType, recordKey: entry.recordKey, payload, errors, transient });
  });
}

/** Company dead letters carry the properties that were to be written; a retry writes them again. */
const companyFields = (payload: unknown): string[] =>
  typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? Object.keys(payload) : [];

/** Puts closed letters' records back in the outbox: their current state is sent, not the stored payload (it may have changed since). */
export async function requeueDeadLetters(tx: Queryable, letters: readonly DeadLetter[]): Promise<void> {
  await enqueue(tx, letters.map((l) => ({ objectType: l.objectType, recordKey: l.recordKey, fields: l.objectType === 'company' ? companyFields(l.payload) : [] })));
}

export async function retryDeadLetter(pool: Pool, id: string): Promise<DeadLetter> {
  return withTransaction(pool, async (tx) => {
    const letter = await resolveDeadLetter(tx, id, 'retried');
    if (!letter) throw await notOpen(tx, id);
    await requeueDeadLetters(tx, [letter]);
    return letter;
  });
}

export async function discardDeadLetter(pool: Pool, id: string): Promise<DeadLetter> {
  return withTransaction(pool, async (tx) => {
    const letter = await resolveDeadLetter(tx, id, 'discarded');
    if (!letter) throw await notOpen(tx, id);
    return letter;
  });
}

async function notOpen(tx: Parameters<typeof findDeadLetter>[0], id: string): Promise<AppError> {
  const existing = await findDeadLetter(tx, id);
  return existing ? new AppError(409, 'dead_letter_closed', `Dead letter ${id} is already ${existing.status}`) : notFound(`No dead letter ${id}`);
}
