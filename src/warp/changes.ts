import type { AccountEventKind, EventFields } from '../store/account-events.js';
import { insertAccountEvent } from '../store/account-events.js';
import type { PoolClient } from '../db/pool.js';
import type { OutboxChange } from '../store/outbox.js';
import { isWarpCompanyProperty, ROLLUP_PROPERTIES } from '../domain/crm-catalogue.js';

/**
 * The outbox entries WARP changes queue, in the transaction that makes the change: either both
 * commit or neither does. An entry names a record, not its values: the outbox worker reads the
 * record's current state when it sends, so later changes win and edits in a row coalesce.
 */

export const trunkChange = (trunkId: string): OutboxChange => ({ objectType: 'trunk', recordKey: trunkId });
export const numberChange = (number: string): OutboxChange => ({ objectType: 'number', recordKey: number });
export const userChange = (userId: string): OutboxChange => ({ objectType: 'contact', recordKey: userId });

/** The exact trunk and number counts of the company, computed when the write is sent. */
export const rollupChange = (customerId: string): OutboxChange => ({ objectType: 'company', recordKey: customerId, fields: ROLLUP_PROPERTIES });

/** A write of these company properties. Only WARP-owned ones may go out: anything else is a bug. */
export function companyChange(customerId: string, properties: readonly string[]): OutboxChange {
  const refused = properties.filter((p) => !isWarpCompanyProperty(p));
  if (refused.length > 0) throw new Error(`WARP does not own company properties ${refused.join(', ')}; HubSpot does`);
  return { objectType: 'company', recordKey: customerId, fields: properties };
}

export interface AccountEventInput {
  kind: AccountEventKind;
  occurredAt?: Date | undefined;
  fields?: EventFields | undefined;
  /** Merge with the open (not yet sending) event of the same key; see store/account-events.ts. */
  coalesceKey?: string | undefined;
}

/** Records an account event (one HubSpot timeline entry or note, whatever the retries); returns its outbox entry. */
export async function eventChange(tx: PoolClient, customerId: string, event: AccountEventInput): Promise<OutboxChange> {
  const { id } = await insertAccountEvent(tx, {
    customerId,
    kind: event.kind,
    occurredAt: event.occurredAt ?? new Date(),
    fields: event.fields ?? {},
    coalesceKey: event.coalesceKey,
  });
  return { objectType: 'event', recordKey: id };
}
