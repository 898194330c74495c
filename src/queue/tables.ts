/**
 * The two high-volume domain queues that stay tables of our own (no library orders webhook events
 * per object or coalesces outbox writes per record): where each keeps its lease, attempt and
 * schedule columns, which rows are ready, in what order they are claimed, and the channel whose
 * NOTIFY wakes its workers. Every name here is a code constant, never input.
 */
export interface QueueTable {
  table: string;
  /** NOTIFY channel: whoever adds work notifies it (outbox: at commit; inbox: notifier.ts), in any process. */
  channel: string;
  /** When a row may next be claimed (retry back-off, deferral). */
  availableAt: string;
  /** Until when the claiming worker owns the row; an expired lease makes it claimable again. */
  leaseUntil: string;
  /** Which worker owns it: every completion, retry and heartbeat is fenced by this column. */
  leaseOwner: string;
  /** Claims so far, counted at claim time, so a row whose worker dies every time still runs out. */
  attempts: string;
  /** Extra condition on ready rows (alias `c`), e.g. per-object ordering. */
  ready: string;
  orderBy: string;
  /** Assignments made on claim and on release for a retry (e.g. the inbox's status). */
  onClaim: string;
  onRetry: string;
  /** Records one attempt's error from text parameter `$n`, in the queue's own JSON shape. */
  recordError(param: string): string;
  /** Columns a claim returns. */
  returning: string;
}

export const OUTBOX_QUEUE: QueueTable = {
  table: 'outbox',
  channel: 'outbox',
  availableAt: 'available_at',
  leaseUntil: 'lease_until',
  leaseOwner: 'lease_owner',
  attempts: 'attempts',
  // Claimed one object type at a time ($4): a batch is one HubSpot batch call.
  ready: 'c.object_type = $4',
  orderBy: 'c.available_at, c.id',
  onClaim: '',
  onRetry: '',
  recordError: (param) => `errors = errors || ${param}::jsonb`,
  returning: 'id, object_type, record_key, fields, seq, changes, attempts, errors',
};

export const INBOX_QUEUE: QueueTable = {
  table: 'webhook_inbox',
  channel: 'inbox',
  availableAt: 'next_attempt_at',
  leaseUntil: 'locked_until',
  leaseOwner: 'lease_owner',
  attempts: 'attempts',
  // Only the earliest unfinished event of each object: a later event of the object waits until
  // the earlier one is applied (or has failed for good), so events are applied per object in
  // `occurredAt` order even with many workers. The per-object advisory lock and the per-field
  // versions remain the safety net.
  ready: `c.status IN ('pending', 'processing')
    AND NOT EXISTS (
      SELECT 1 FROM webhook_inbox earlier
      WHERE earlier.object_id = c.object_id
        AND split_part(earlier.subscription_type, '.', 1) = split_part(c.subscription_type, '.', 1)
        AND earlier.status IN ('pending', 'processing')
        AND (earlier.occurred_at, earlier.id) < (c.occurred_at, c.id))`,
  orderBy: 'c.occurred_at, c.id',
  onClaim: `, status = 'processing'`,
  onRetry: `, status = 'pending'`,
  // The error as API clients may see it: {"code", "message"} (lib/errors.ts, publicError).
  recordError: (param) => `last_error = left((${param})::jsonb ->> 'message', 1000), last_error_code = (${param})::jsonb ->> 'code'`,
  returning: 'id, subscription_type, object_id, occurred_at, event, attempts',
};
