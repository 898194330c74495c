import type { PoolClient } from '../db/pool.js';
import type { TrunkStatus } from '../domain/value-sets.js';
import type { Page, PageRequest } from '../lib/paging.js';
import type { EventFields } from '../store/account-events.js';
import { enqueue } from '../store/outbox.js';
import {
  findCustomerTrunk,
  insertTrunk,
  listTrunks as listTrunkRows,
  type NewTrunk,
  setTrunkStatusRows,
  softDeleteTrunk,
  type Trunk,
  type TrunkPatch,
  updateTrunkRow,
} from '../store/trunks.js';
import { eventChange, rollupChange, trunkChange } from './changes.js';
import { customerCommand, customerQuery, type WarpDeps } from './command.js';
import { fail, ok, type Result } from './result.js';

/** SIP trunks of a customer. Each change is queued for HubSpot with a timeline entry. */

/** Why a trunk's status was set directly through the API (not by an account change). */
export const API_STATUS_REASON = 'api';

const trunkNotFound = (ban: string, trunkId: string) => fail('not_found', `No trunk ${trunkId} for BAN ${ban}`);

export function createTrunk(deps: WarpDeps, ban: string, input: NewTrunk): Promise<Result<Trunk>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const trunk = await insertTrunk(tx, customerId, input);
    const event = await eventChange(tx, customerId, {
      kind: 'trunk_created',
      fields: { trunk_id: trunk.trunkId, trunk_name: trunk.name, concurrent_calls: trunk.concurrentCalls },
    });
    await enqueue(tx, [trunkChange(trunk.trunkId), rollupChange(customerId), event]);
    return ok(trunk);
  });
}

/** One trunk of the customer; a deleted one only when asked (its usage history stays readable). */
export function getTrunk(deps: WarpDeps, ban: string, trunkId: string, options: { includeDeleted?: boolean } = {}): Promise<Result<Trunk>> {
  return customerQuery(deps, ban, async (db, customerId) => {
    const trunk = await findCustomerTrunk(db, customerId, trunkId, options);
    return trunk ? ok(trunk) : trunkNotFound(ban, trunkId);
  });
}

export function listTrunks(deps: WarpDeps, ban: string, page: PageRequest): Promise<Result<Page<Trunk>>> {
  return customerQuery(deps, ban, async (db, customerId) => ok(await listTrunkRows(db, customerId, page)));
}

export type TrunkUpdate = TrunkPatch & { trunkId: string; status?: TrunkStatus | undefined };

/**
 * Changes a live trunk's configuration and/or status. Edits in quick succession make one timeline
 * entry ("modified, N changes") and one HubSpot write.
 */
export function updateTrunk(deps: WarpDeps, ban: string, input: TrunkUpdate): Promise<Result<Trunk>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const { trunkId, status, ...config } = input;
    let trunk = await updateTrunkRow(tx, customerId, trunkId, config);
    if (!trunk) return trunkNotFound(ban, trunkId);
    if (status !== undefined && status !== trunk.status) trunk = (await setTrunkStatusRows(tx, [trunkId], status, API_STATUS_REASON))[0] ?? trunk;
    const changed: EventFields = { trunk_id: trunk.trunkId, trunk_name: trunk.name };
    if (status !== undefined) changed.status = trunk.status;
    if (config.concurrentCalls !== undefined) changed.concurrent_calls = trunk.concurrentCalls;
    if (config.monthlyMinutes !== undefined) changed.monthly_minutes = trunk.monthlyMinutes;
    if (config.monthlyFee !== undefined) changed.monthly_fee = trunk.monthlyFee;
    if (config.ipAddresses !== undefined) changed.ip_addresses = trunk.ipAddresses.join(', ');
    if (config.partitionId !== undefined) changed.partition_id = trunk.partitionId;
    const event = await eventChange(tx, customerId, { kind: 'trunk_modified', fields: changed, coalesceKey: `trunk_modified:${trunk.trunkId}` });
    await enqueue(tx, [trunkChange(trunk.trunkId), event]);
    return ok(trunk);
  });
}

export function deleteTrunk(deps: WarpDeps, ban: string, trunkId: string): Promise<Result<Trunk>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const trunk = await softDeleteTrunk(tx, customerId, trunkId);
    if (!trunk) return trunkNotFound(ban, trunkId);
    const event = await eventChange(tx, customerId, { kind: 'trunk_deleted', fields: { trunk_id: trunk.trunkId, trunk_name: trunk.name } });
    await enqueue(tx, [trunkChange(trunk.trunkId), rollupChange(customerId), event]);
    return ok(trunk);
  });
}

/**
 * Suspends, limits, reactivates (`active`) or disables trunks as a dependent update of an account
 * change (account-rules.ts). `reason` is kept so undoing the cause restores only what it changed.
 * Returns the trunks that changed; records no timeline entry: the cause records its own.
 */
export async function setTrunkStatus(tx: PoolClient, trunkIds: readonly string[], status: TrunkStatus, reason: string | null): Promise<Trunk[]> {
  const changed = await setTrunkStatusRows(tx, trunkIds, status, reason);
  await enqueue(tx, changed.map((t) => trunkChange(t.trunkId)));
  return changed;
}
