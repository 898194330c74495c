import type { Pool } from '../../db/pool.js';
import { deleteFinishedInboxEvents, deleteOldWebhookBatches, pruneReplayGuard } from '../../store/inbox.js';

/**
 * The retention schedule's work for inbound sync: finished inbox events and stored webhook batches
 * older than the retention period are deleted (they hold personal data, and the tables must not
 * grow without bound), and replay-guard signatures older than the webhook timestamp window are
 * forgotten (such requests are refused as stale anyway). Deletes run in bounded chunks, so a large
 * backlog never holds long locks; a shutdown stops between chunks.
 */

/** Longer than the accepted webhook timestamp window (5 minutes old, 1 minute ahead by default). */
const REPLAY_GUARD_KEEP_MS = 10 * 60_000;
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

export async function cleanUpInbound(pool: Pool, retentionMs: number, signal: AbortSignal): Promise<Record<string, number>> {
  return {
    inboxEvents: await inChunks(signal, () => deleteFinishedInboxEvents(pool, retentionMs, CHUNK_ROWS)),
    webhookBatches: await inChunks(signal, () => deleteOldWebhookBatches(pool, retentionMs, CHUNK_ROWS)),
    replayGuards: await pruneReplayGuard(pool, REPLAY_GUARD_KEEP_MS),
  };
}
