import { type Pool, withTransaction } from '../../db/pool.js';
import { AppError, notFound } from '../../lib/errors.js';
import { type DeadLetter, findDeadLetter, insertDeadLetter, resolveDeadLetter } from '../../store/dead-letters.js';
import { type AttemptError, enqueue, type OutboxEntry, remove } from '../../store/outbox.js';

/**
 * Moving records into and out of the dead-letter table. Each move is one transaction with the
 * outbox change, so a record is always in exactly one of the two places.
 */

export async function deadLetter(pool: Pool, entry: OutboxEntry, owner: string, payload: unknown, errors: readonly AttemptError[]): Promise<DeadLetter | null> {
  return withTransaction(pool, async (tx) => {
    // Only while we still hold the lease: otherwise another worker owns the record now.
    if (!(await remove(tx, entry, owner))) return null;
    return insertDeadLetter(tx, { objectType: entry.objectType, recordKey: entry.recordKey, payload, errors });
  });
}

/** Company dead letters carry the properties that were to be written; a retry writes them again. */
const companyFields = (payload: unknown): string[] =>
  typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? Object.keys(payload) : [];

export async function retryDeadLetter(pool: Pool, id: string): Promise<DeadLetter> {
  return withTransaction(pool, async (tx) => {
    const letter = await resolveDeadLetter(tx, id, 'retried');
    if (!letter) throw await notOpen(tx, id);
    // The record's current state is sent, not the stored payload: it may have changed since.
    await enqueue(tx, [{ objectType: letter.objectType, recordKey: letter.recordKey, fields: letter.objectType === 'company' ? companyFields(letter.payload) : [] }]);
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
