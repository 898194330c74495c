import type { PoolClient } from '../../db/pool.js';
import { AppError, notFound } from '../../lib/errors.js';
import { type AccountEventKind, type EventFields, insertAccountEvent } from '../../store/account-events.js';
import { type Account, type AccountPatch, findCustomerIdByBan, updateAccountRow } from '../../store/accounts.js';
import {
  insertNumber,
  markNumbersForRelease,
  type NewNumber,
  type NumberPatch,
  type PhoneNumber,
  updateNumberRow,
} from '../../store/numbers.js';
import { enqueue, type OutboxChange } from '../../store/outbox.js';
import {
  findTrunk,
  insertTrunk,
  listTrunksByStatus,
  type NewTrunk,
  setTrunkStatusRows,
  softDeleteTrunk,
  type Trunk,
  type TrunkPatch,
  updateTrunkRow,
} from '../../store/trunks.js';
import { findUserIdByRowId, insertWarpUser, type NewWarpUser, updateWarpUser, type WarpUser, type WarpUserPatch } from '../../store/warp-users.js';
import { isWarpCompanyProperty, ROLLUP_PROPERTIES, type WarpCompanyProperty } from '../../domain/crm-catalogue.js';
import type { TrunkStatus } from '../../domain/value-sets.js';

/**
 * Every WARP-side change that HubSpot must see goes through here: each function writes the WARP
 * rows AND their outbox entries in the caller's transaction (`tx`), so either both commit or
 * neither does. The HTTP routes and the inbound sync (onboarding, dependent updates) both call
 * these; there is no second copy of this logic. Nothing here talks to HubSpot: the outbox workers
 * (outbox-worker.ts) do, after commit.
 */

/** Why trunks were suspended by an account change, so reactivation restores only those. */
export const ACCOUNT_SUSPENDED_REASON = 'account_suspended';
export const ACCOUNT_CHURNED_REASON = 'account_churned';

const now = (): Date => new Date();

/**
 * How long a churned customer's numbers are kept before they may be released (docs/product-rules.md
 * "Dependent updates"): 30 days, a common porting-out window, so a customer can still take them along.
 */
export const NUMBER_RELEASE_GRACE_MS = 30 * 24 * 60 * 60 * 1000;

// --- account events and company properties --------------------------------------------------

export type AccountRef = { customerId: string } | { ban: string };

export interface AccountEventInput {
  kind: AccountEventKind;
  occurredAt?: Date | undefined;
  fields?: EventFields | undefined;
  /** Merge with the open (not yet sending) event of the same key; see account-events.ts. */
  coalesceKey?: string | undefined;
}

/** The customer id; a given id is trusted (the foreign key refuses an unknown one). */
async function resolveCustomerId(tx: PoolClient, ref: AccountRef): Promise<string> {
  if (!('ban' in ref)) return ref.customerId;
  const id = await findCustomerIdByBan(tx, ref.ban);
  if (!id) throw notFound(`No customer with BAN ${ref.ban}`);
  return id;
}

/** Inserts the event and returns its outbox change, for callers that enqueue several at once. */
async function addEvent(tx: PoolClient, customerId: string, event: AccountEventInput): Promise<OutboxChange> {
  const { id } = await insertAccountEvent(tx, {
    customerId,
    kind: event.kind,
    occurredAt: event.occurredAt ?? now(),
    fields: event.fields ?? {},
    coalesceKey: event.coalesceKey,
  });
  return { objectType: 'event', recordKey: id };
}

/** Records a timeline event (or note) for the account; sent once, whatever the retries. */
export async function recordAccountEvent(tx: PoolClient, ref: AccountRef, event: AccountEventInput): Promise<string> {
  const change = await addEvent(tx, await resolveCustomerId(tx, ref), event);
  await enqueue(tx, [change]);
  return change.recordKey;
}

/**
 * Queues a write of these WARP-owned company properties, with their values as they are when the
 * worker sends (so later changes win). The company is addressed by its HubSpot id when the cache
 * has one (the BAN write-back: the company has no `warp_ban` yet), otherwise upserted by
 * `warp_ban`. Refuses properties WARP does not own.
 */
export async function pushCompanyProperties(tx: PoolClient, customerId: string, properties: readonly string[]): Promise<void> {
  const refused = properties.filter((p) => !isWarpCompanyProperty(p));
  if (refused.length > 0) {
    throw new AppError(400, 'not_warp_owned', `WARP does not own company properties ${refused.join(', ')}; HubSpot does (docs/product-rules.md "Field ownership")`);
  }
  await enqueue(tx, [{ objectType: 'company', recordKey: customerId, fields: properties }]);
}

/** The exact trunk and number counts are computed when the company write is sent. */
const rollups = (customerId: string): OutboxChange => ({ objectType: 'company', recordKey: customerId, fields: ROLLUP_PROPERTIES });
const trunkChange = (trunk: Trunk): OutboxChange => ({ objectType: 'trunk', recordKey: trunk.trunkId });
const numberChange = (number: PhoneNumber): OutboxChange => ({ objectType: 'number', recordKey: number.number });

// --- trunks -----------------------------------------------------------------------------------

export async function createTrunk(tx: PoolClient, input: NewTrunk & { customerId: string }): Promise<Trunk> {
  const trunk = await insertTrunk(tx, input.customerId, input);
  const event = await addEvent(tx, trunk.customerId, {
    kind: 'trunk_created',
    fields: { trunk_id: trunk.trunkId, trunk_name: trunk.name, concurrent_calls: trunk.concurrentCalls },
  });
  await enqueue(tx, [trunkChange(trunk), rollups(trunk.customerId), event]);
  return trunk;
}

/** Why a trunk's status was set directly through the API (not by an account change). */
export const API_STATUS_REASON = 'api';

/**
 * Updates a live trunk's configuration and/or status; null when there is none. Edits in quick
 * succession make one timeline entry ("modified, N changes").
 */
export async function updateTrunk(tx: PoolClient, trunkId: string, patch: TrunkPatch & { status?: TrunkStatus | undefined }): Promise<Trunk | null> {
  const { status, ...config } = patch;
  let trunk = await updateTrunkRow(tx, trunkId, config);
  if (!trunk) return null;
  if (status !== undefined && status !== trunk.status) trunk = (await setTrunkStatusRows(tx, [trunkId], status, API_STATUS_REASON))[0] ?? trunk;
  const changed: EventFields = { trunk_id: trunk.trunkId, trunk_name: trunk.name };
  if (status !== undefined) changed.status = trunk.status;
  if (patch.concurrentCalls !== undefined) changed.concurrent_calls = trunk.concurrentCalls;
  if (patch.monthlyMinutes !== undefined) changed.monthly_minutes = trunk.monthlyMinutes;
  if (patch.ipAddresses !== undefined) changed.ip_addresses = trunk.ipAddresses.join(', ');
  if (patch.partitionId !== undefined) changed.partition_id = trunk.partitionId;
  const event = await addEvent(tx, trunk.customerId, { kind: 'trunk_modified', fields: changed, coalesceKey: `trunk_modified:${trunk.trunkId}` });
  await enqueue(tx, [trunkChange(trunk), event]);
  return trunk;
}

export async function deleteTrunk(tx: PoolClient, trunkId: string): Promise<Trunk | null> {
  const trunk = await softDeleteTrunk(tx, trunkId);
  if (!trunk) return null;
  const event = await addEvent(tx, trunk.customerId, { kind: 'trunk_deleted', fields: { trunk_id: trunk.trunkId, trunk_name: trunk.name } });
  await enqueue(tx, [trunkChange(trunk), rollups(trunk.customerId), event]);
  return trunk;
}

/**
 * Suspends, limits, reactivates (`active`) or disables trunks, e.g. as a dependent update of an
 * account status or credit-limit change. `reason` is kept so a later reactivation can restore only
 * what this reason changed. Returns the trunks that actually changed. Records no timeline event:
 * the caller records the account event that caused it.
 */
export async function setTrunkStatus(tx: PoolClient, trunkIds: readonly string[], status: TrunkStatus, reason: string | null): Promise<Trunk[]> {
  const changed = await setTrunkStatusRows(tx, trunkIds, status, reason);
  await enqueue(tx, changed.map(trunkChange));
  return changed;
}

// --- numbers ----------------------------------------------------------------------------------

/** Purchases (`active`) or starts porting in (`porting`) a number. */
export async function addNumber(tx: PoolClient, customerId: string, input: NewNumber): Promise<PhoneNumber> {
  if (input.trunkId && !(await findTrunk(tx, input.trunkId))) throw notFound(`No trunk ${input.trunkId}`);
  const number = await insertNumber(tx, customerId, input);
  const event = await addEvent(tx, customerId, {
    kind: input.status === 'porting' ? 'numbers_ported' : 'numbers_purchased',
    fields: { number: number.number, type: number.type, trunk_id: number.trunkId },
  });
  await enqueue(tx, [numberChange(number), rollups(customerId), event]);
  return number;
}

/** Updates routing, E911 address, CNAM or capabilities; an E911 change is a timeline event. */
export async function updateNumber(tx: PoolClient, number: string, patch: NumberPatch): Promise<PhoneNumber | null> {
  if (patch.trunkId && !(await findTrunk(tx, patch.trunkId))) throw notFound(`No trunk ${patch.trunkId}`);
  const updated = await updateNumberRow(tx, number, patch);
  if (!updated) return null;
  const changes = [numberChange(updated)];
  if (patch.e911Address !== undefined) {
    changes.push(
      await addEvent(tx, updated.customerId, {
        kind: 'e911_updated',
        fields: { number: updated.number, e911_address: updated.e911Address },
        coalesceKey: `e911_updated:${updated.number}`,
      }),
    );
  }
  await enqueue(tx, changes);
  return updated;
}

export async function releaseNumber(tx: PoolClient, number: string): Promise<PhoneNumber | null> {
  const released = await updateNumberRow(tx, number, { status: 'released' });
  if (!released) return null;
  const event = await addEvent(tx, released.customerId, { kind: 'numbers_released', fields: { number: released.number } });
  await enqueue(tx, [numberChange(released), rollups(released.customerId), event]);
  return released;
}

// --- users ------------------------------------------------------------------------------------

export async function createUser(tx: PoolClient, customerId: string, input: NewWarpUser): Promise<WarpUser> {
  const user = await insertWarpUser(tx, customerId, input);
  await enqueue(tx, [{ objectType: 'contact', recordKey: user.userId }]);
  return user;
}

export async function updateUser(tx: PoolClient, customerId: string, userId: string, patch: WarpUserPatch): Promise<WarpUser | null> {
  const user = await updateWarpUser(tx, customerId, userId, patch);
  if (user) await enqueue(tx, [{ objectType: 'contact', recordKey: user.userId }]);
  return user;
}

/**
 * Queues a cached contact's WARP-owned values for HubSpot again (a HubSpot edit of a WARP-owned
 * contact field is undone this way). False when the contact is no WARP user: nothing to send.
 */
export async function pushUserByRowId(tx: PoolClient, userRowId: string): Promise<boolean> {
  const userId = await findUserIdByRowId(tx, userRowId);
  if (!userId) return false;
  await enqueue(tx, [{ objectType: 'contact', recordKey: userId }]);
  return true;
}

// --- account status and payment ----------------------------------------------------------------

const STATUS_EVENT: Record<Account['status'], AccountEventKind> = {
  active: 'account_reactivated',
  suspended: 'account_suspended',
  churned: 'account_churned',
};

/**
 * Applies WARP-owned account facts (status, payment method, payment status) with their dependent
 * updates (docs/product-rules.md "Dependent updates"): suspended → active trunks suspended; active again → trunks this suspended
 * are reactivated; churned → trunks disabled. Each change is a timeline event. Null: no customer.
 */
export async function changeAccount(tx: PoolClient, customerId: string, patch: AccountPatch, occurredAt: Date = now()): Promise<Account | null> {
  const result = await updateAccountRow(tx, customerId, patch);
  if (!result) return null;
  const { before, after } = result;
  const pushed: WarpCompanyProperty[] = [];
  if (before.status !== after.status) {
    pushed.push('warp_status');
    const dependent = await applyStatusToTrunks(tx, after, occurredAt);
    await recordAccountEvent(tx, { customerId }, { kind: STATUS_EVENT[after.status], occurredAt, fields: { status: after.status, previous_status: before.status, ...dependent } });
  }
  if (before.paymentMethod !== after.paymentMethod) {
    pushed.push('warp_payment_method');
    await recordAccountEvent(tx, { customerId }, { kind: 'payment_method_updated', occurredAt, fields: { payment_method: after.paymentMethod } });
  }
  if (before.paymentStatus !== after.paymentStatus) {
    pushed.push('warp_payment_status');
    await recordAccountEvent(tx, { customerId }, { kind: 'payment_status_changed', occurredAt, fields: { payment_status: after.paymentStatus, previous_payment_status: before.paymentStatus } });
  }
  if (pushed.length > 0) await pushCompanyProperties(tx, customerId, pushed);
  return after;
}

/** The status change's dependent updates; returns facts worth adding to its timeline event. */
async function applyStatusToTrunks(tx: PoolClient, account: Account, occurredAt: Date): Promise<EventFields> {
  switch (account.status) {
    case 'suspended': {
      const trunks = await listTrunksByStatus(tx, account.id, ['active', 'limited']);
      await setTrunkStatus(tx, trunks.map((t) => t.trunkId), 'suspended', ACCOUNT_SUSPENDED_REASON);
      return { trunks_suspended: trunks.length };
    }
    case 'active': {
      const trunks = (await listTrunksByStatus(tx, account.id, ['suspended'])).filter((t) => t.statusReason === ACCOUNT_SUSPENDED_REASON);
      await setTrunkStatus(tx, trunks.map((t) => t.trunkId), 'active', null);
      return { trunks_reactivated: trunks.length };
    }
    case 'churned': {
      const trunks = await listTrunksByStatus(tx, account.id, ['active', 'limited', 'suspended']);
      await setTrunkStatus(tx, trunks.map((t) => t.trunkId), 'disabled', ACCOUNT_CHURNED_REASON);
      const releaseAfter = new Date(occurredAt.getTime() + NUMBER_RELEASE_GRACE_MS);
      const numbers = await markNumbersForRelease(tx, account.id, releaseAfter);
      return { trunks_disabled: trunks.length, numbers_pending_release: numbers, release_after: releaseAfter.toISOString() };
    }
  }
}
