import type { PoolClient } from '../db/pool.js';
import type { Page, PageRequest } from '../lib/paging.js';
import {
  insertNumber,
  listNumbers as listNumberRows,
  type NewNumber,
  type NumberPatch,
  type PhoneNumber,
  updateNumberRow,
} from '../store/numbers.js';
import { associationChange, enqueue } from '../store/outbox.js';
import { findCustomerTrunk } from '../store/trunks.js';
import { eventChange, numberChange, rollupChange } from './changes.js';
import { customerCommand, customerQuery, type WarpDeps } from './command.js';
import { type Failure, fail, ok, type Result } from './result.js';

/** Phone numbers of a customer: purchase, port in, release, routing, E911 and CNAM changes. */

const numberNotFound = (ban: string, number: string) => fail('not_found', `No number ${number} for BAN ${ban}`);

/**
 * A number may route only to a live trunk of its own customer. Checked before the write: the
 * store would otherwise resolve another customer's trunk to nothing and drop the routing silently.
 */
async function checkRoutingTrunk(tx: PoolClient, ban: string, customerId: string, trunkId: string | null | undefined): Promise<Failure | null> {
  if (!trunkId || (await findCustomerTrunk(tx, customerId, trunkId))) return null;
  return fail('not_found', `No trunk ${trunkId} for BAN ${ban}`);
}

/** Purchases (`active`) or starts porting in (`porting`) a number. */
export function addNumber(deps: WarpDeps, ban: string, input: NewNumber): Promise<Result<PhoneNumber>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const refused = await checkRoutingTrunk(tx, ban, customerId, input.trunkId);
    if (refused) return refused;
    const number = await insertNumber(tx, customerId, input);
    if (!number) return fail('number_taken', `${input.number} is already in use; release it first`);
    const event = await eventChange(tx, customerId, {
      kind: input.status === 'porting' ? 'numbers_ported' : 'numbers_purchased',
      fields: { number: number.number, type: number.type, trunk_id: number.trunkId },
    });
    await enqueue(tx, [numberChange(number.number), rollupChange(customerId), event]);
    return ok(number);
  });
}

export function listNumbers(deps: WarpDeps, ban: string, page: PageRequest): Promise<Result<Page<PhoneNumber>>> {
  return customerQuery(deps, ban, async (db, customerId) => ok(await listNumberRows(db, customerId, page)));
}

export type NumberUpdate = Omit<NumberPatch, 'status'> & { number: string };

/** Changes routing, E911 address, CNAM or capabilities; an E911 change is a timeline entry. */
export function updateNumber(deps: WarpDeps, ban: string, input: NumberUpdate): Promise<Result<PhoneNumber>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const { number, ...patch } = input;
    const refused = await checkRoutingTrunk(tx, ban, customerId, patch.trunkId);
    if (refused) return refused;
    const updated = await updateNumberRow(tx, customerId, number, patch);
    if (!updated) return numberNotFound(ban, number);
    const changes = [numberChange(updated.number)];
    // A number moved to another trunk: its HubSpot associations must follow (the old one goes).
    if (patch.trunkId !== undefined) changes.push(associationChange('number', updated.number));
    if (patch.e911Address !== undefined) {
      changes.push(
        await eventChange(tx, customerId, {
          kind: 'e911_updated',
          fields: { number: updated.number, e911_address: updated.e911Address },
          coalesceKey: `e911_updated:${updated.number}`,
        }),
      );
    }
    await enqueue(tx, changes);
    return ok(updated);
  });
}

export function releaseNumber(deps: WarpDeps, ban: string, number: string): Promise<Result<PhoneNumber>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const released = await updateNumberRow(tx, customerId, number, { status: 'released' });
    if (!released) return numberNotFound(ban, number);
    const event = await eventChange(tx, customerId, { kind: 'numbers_released', fields: { number: released.number } });
    await enqueue(tx, [numberChange(released.number), rollupChange(customerId), event]);
    return ok(released);
  });
}
