import type { Queryable } from '../db/pool.js';
import { fetchLimit, type Page, type PageRequest, toPage } from '../lib/paging.js';

/**
 * WARP account and service events (docs/architecture.md "Glossary": account event), written to HubSpot as timeline
 * events or company notes by the outbound worker. One row is one timeline entry.
 */

export const ACCOUNT_EVENT_KINDS = [
  'account_created',
  'account_suspended',
  'account_reactivated',
  'account_churned',
  'credit_limit_changed',
  'payment_method_updated',
  'payment_status_changed',
  'trunk_created',
  'trunk_modified',
  'trunk_deleted',
  'numbers_purchased',
  'numbers_ported',
  'numbers_released',
  'e911_updated',
  'campaign_registered',
  // Usage (src/usage/push/, docs/usage-sync.md).
  'spend_threshold_reached',
  'spend_limit_reached',
  'spend_below_limit',
  'first_successful_call',
] as const;
export type AccountEventKind = (typeof ACCOUNT_EVENT_KINDS)[number];

/** Event field values are what a human reads in the note; keep them flat and small. */
export type EventFields = Record<string, string | number | boolean | null>;

export interface AccountEvent {
  id: string;
  customerId: string;
  kind: AccountEventKind;
  occurredAt: Date;
  fields: EventFields;
  changeCount: number;
  dispatchedAt: Date | null;
  hubspotObjectId: string | null;
  sentAt: Date | null;
}

interface AccountEventRow {
  id: string;
  customer_id: string;
  kind: AccountEventKind;
  occurred_at: Date;
  fields: EventFields;
  change_count: number;
  dispatched_at: Date | null;
  hubspot_object_id: string | null;
  sent_at: Date | null;
}

const COLUMNS = 'id, customer_id, kind, occurred_at, fields, change_count, dispatched_at, hubspot_object_id, sent_at';

const toEvent = (row: AccountEventRow): AccountEvent => ({
  id: String(row.id),
  customerId: String(row.customer_id),
  kind: row.kind,
  occurredAt: row.occurred_at,
  fields: row.fields,
  changeCount: row.change_count,
  dispatchedAt: row.dispatched_at,
  hubspotObjectId: row.hubspot_object_id,
  sentAt: row.sent_at,
});

export interface NewAccountEvent {
  customerId: string;
  kind: AccountEventKind;
  occurredAt: Date;
  fields: EventFields;
  /**
   * Events with the same key merge while not yet being sent (later fields win, the time is the
   * latest, `change_count` grows). Null: always a new event.
   */
  coalesceKey?: string | null | undefined;
}

/** Inserts (or merges into the open event with the same coalesce key); returns the event id. */
export async function insertAccountEvent(db: Queryable, event: NewAccountEvent): Promise<{ id: string; merged: boolean }> {
  const { rows } = await db.query<{ id: string; change_count: number }>(
    `INSERT INTO account_events (customer_id, kind, occurred_at, fields, coalesce_key) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (coalesce_key) WHERE dispatched_at IS NULL DO UPDATE SET
       fields = account_events.fields || excluded.fields,
       occurred_at = GREATEST(account_events.occurred_at, excluded.occurred_at),
       change_count = account_events.change_count + 1
     RETURNING id, change_count`,
    [event.customerId, event.kind, event.occurredAt, JSON.stringify(event.fields), event.coalesceKey ?? null],
  );
  return { id: String(rows[0]!.id), merged: rows[0]!.change_count > 1 };
}

export async function findAccountEvents(db: Queryable, ids: readonly string[]): Promise<AccountEvent[]> {
  const { rows } = await db.query<AccountEventRow>(`SELECT ${COLUMNS} FROM account_events WHERE id = ANY($1::bigint[])`, [[...ids]]);
  return rows.map(toEvent);
}

/**
 * A customer's events in the order they happened (`occurredAt`, which callers may backdate, then
 * id). The cursor is the last event's id; the page continues after that event's position.
 */
export async function listAccountEvents(db: Queryable, customerId: string, page: PageRequest): Promise<Page<AccountEvent>> {
  const { rows } = await db.query<AccountEventRow>(
    `SELECT ${COLUMNS} FROM account_events
     WHERE customer_id = $1 AND ($2::bigint IS NULL OR (occurred_at, id) > (SELECT occurred_at, id FROM account_events WHERE id = $2))
     ORDER BY occurred_at, id LIMIT $3`,
    [customerId, page.cursor ?? null, fetchLimit(page)],
  );
  return toPage(rows.map(toEvent), page, (e) => e.id);
}

/**
 * Marks events as being sent, before the HubSpot call: edits no longer merge into them, and a
 * later retry knows an earlier attempt may have reached HubSpot and must look before it writes.
 * Returns the ids marked now (the others had been dispatched before: look for those first).
 */
export async function markDispatched(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE account_events SET dispatched_at = now() WHERE id = ANY($1::bigint[]) AND dispatched_at IS NULL RETURNING id`,
    [[...ids]],
  );
  return new Set(rows.map((row) => String(row.id)));
}

export async function markSent(db: Queryable, pairs: ReadonlyArray<{ id: string; hubspotId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `UPDATE account_events e SET sent_at = now(), hubspot_object_id = p.hubspot_id
     FROM unnest($1::bigint[], $2::text[]) AS p(id, hubspot_id) WHERE e.id = p.id`,
    [pairs.map((p) => p.id), pairs.map((p) => p.hubspotId)],
  );
}
