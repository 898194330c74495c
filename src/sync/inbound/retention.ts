import type { Pool } from '../../db/pool.js';
import { deleteFinishedInboxEvents, deleteOldWebhookBatches, pruneReplayGuard } from '../../store/inbox.js';
import type { ReplayGuardRetention } from './webhook-auth.js';

/**
 * The retention schedule's work for inbound sync: finished inbox events and stored webhook batches
 * older than the retention period are deleted (they hold personal data, and the tables must not
 * grow without bound), and the replay guard forgets what it no longer needs (webhook-auth.ts:
 * signatures after the accepted timestamp window, body hashes after theirs). Deletes run in
 * bounded chunks, so a large backlog never holds long locks; a shutdown stops between chunks.
 */

const CHUNK_ROWS = 5_000;

async function inChunks(signal: AbortSignal, deleteChunk: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    signal.throwIfAborted();
    const deleted = await deleteChunk();
    total += deleted;
    if (deleted < CHUNK_ROWS) return total;
  }
}

export async function cleanUpInbound(pool: Pool, keep: { retentionMs: number; replayGuard: ReplayGuardRetention }, signal: AbortSignal): Promise<Record<string, number>> {
  const { retentionMs } = keep;
  return {
    inboxEvents: await inChunks(signal, () => deleteFinishedInboxEvents(pool, retentionMs, CHUNK_ROWS)),
    webhookBatches: await inChunks(signal, () => deleteOldWebhookBatches(pool, retentionMs, CHUNK_ROWS)),
    replayGuards: await pruneReplayGuard(pool, keep.replayGuard),
  };
}
