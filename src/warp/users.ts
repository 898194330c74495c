import type { PoolClient } from '../db/pool.js';
import type { Page, PageRequest } from '../lib/paging.js';
import { enqueue } from '../store/outbox.js';
import {
  findUnclaimedContacts,
  findUserIdByRowId,
  findWarpUserByEmail,
  insertWarpUser,
  listWarpUsers,
  lockEmail,
  type NewWarpUser,
  updateWarpUser,
  type WarpUser,
  type WarpUserPatch,
} from '../store/warp-users.js';
import { userChange } from './changes.js';
import { customerCommand, customerQuery, type WarpDeps } from './command.js';
import { fail, ok, type Result } from './result.js';

/**
 * WARP portal users of a customer; each is one HubSpot contact. Only facts about API keys travel
 * (their count), never a key.
 *
 * One email, one WARP user (docs/warp-domain.md): HubSpot keeps one contact per email address,
 * compared without letter case, and a contact carries one `warp_user_id` and one `warp_role`. So a
 * second live WARP user with an email already in use (by any customer, in any letter case) is
 * refused with `email_taken`, and so is an email that belongs to a HubSpot contact of another
 * customer's company: WARP never writes its fields onto another customer's contact. A contact of
 * this customer (or of no company) that the cache already holds becomes the user.
 */
export function createUser(deps: WarpDeps, ban: string, input: NewWarpUser): Promise<Result<WarpUser>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    await lockEmail(tx, input.email);
    const existing = await findWarpUserByEmail(tx, input.email);
    if (existing) {
      return fail('email_taken', `WARP user ${existing.userId} already has this email (compared without case); HubSpot keeps one contact per email`);
    }
    const contacts = await findUnclaimedContacts(tx, input.email);
    const adoptable = contacts.find((c) => c.customerId === null || c.customerId === customerId);
    if (!adoptable && contacts.length > 0) {
      return fail('email_taken', "This email belongs to a HubSpot contact of another customer's company");
    }
    const user = await insertWarpUser(tx, customerId, input, adoptable?.id);
    await enqueue(tx, [userChange(user.userId)]);
    return ok(user);
  });
}

export function listUsers(deps: WarpDeps, ban: string, page: PageRequest): Promise<Result<Page<WarpUser>>> {
  return customerQuery(deps, ban, async (db, customerId) => ok(await listWarpUsers(db, customerId, page)));
}

export type UserUpdate = WarpUserPatch & { userId: string };

/** Role, 2FA, last login, API key count and last API call: the WARP-owned contact facts. */
export function updateUser(deps: WarpDeps, ban: string, input: UserUpdate): Promise<Result<WarpUser>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const { userId, ...patch } = input;
    const user = await updateWarpUser(tx, customerId, userId, patch);
    if (!user) return fail('not_found', `No user ${userId} for BAN ${ban}`);
    await enqueue(tx, [userChange(user.userId)]);
    return ok(user);
  });
}

/**
 * Queues a cached contact's WARP-owned values for HubSpot again, in the inbound sync's transaction
 * (a HubSpot edit of a WARP-owned contact field is undone this way). False when the contact is no
 * WARP user: there is nothing of WARP's to send.
 */
export async function queueUserWriteBack(tx: PoolClient, userRowId: string): Promise<boolean> {
  const userId = await findUserIdByRowId(tx, userRowId);
  if (!userId) return false;
  await enqueue(tx, [userChange(userId)]);
  return true;
}
