import { CRM_OBJECTS } from '../../domain/hubspot-objects.js';
import { findAccounts } from '../../store/accounts.js';
import { findNumbers } from '../../store/numbers.js';
import { type AssociatedRecordType, type OutboxEntry, parseAssociationKey } from '../../store/outbox.js';
import { findTrunks } from '../../store/trunks.js';
import { findWarpUsers } from '../../store/warp-users.js';
import { describeFailure } from './failures.js';
import type { AssociationPair, FailedInput } from './hubspot-port.js';
import { Outcomes, type SendContext } from './send-common.js';

/**
 * Associations as outbox work of their own (kind `association`, key `number:+1555…`): the record
 * senders queue one after a record is created in HubSpot, WARP queues one when a number moves to
 * another trunk, and a reconcile may queue one for any record. Each run reads the record's current
 * rows, creates the associations WARP's rows call for and, for the custom objects WARP owns
 * (trunks, numbers), removes the ones they no longer call for (a number moved off a trunk). The
 * work is idempotent, so retries and duplicates are harmless, and each record succeeds or fails
 * alone: a 404 on one pair fails that record only.
 *
 * Contacts keep associations people made in HubSpot: only missing ones are created for them.
 */

/** One association type a record should have: to these HubSpot ids, exactly (`exact`) or at least. */
interface Wanted {
  entry: OutboxEntry;
  fromId: string;
  toType: string;
  toIds: string[];
  exact: boolean;
}

const NOT_READY = 'an associated record has no HubSpot id yet';
/** HubSpot's category of a pair whose record (or target) it does not have. */
const NOT_FOUND = 'OBJECT_NOT_FOUND';

/** What each entry's record should be associated with; entries with nothing to do are done. */
async function wantedAssociations(ctx: SendContext, outcomes: Outcomes, entries: readonly OutboxEntry[]): Promise<Wanted[]> {
  const keys = new Map<AssociatedRecordType, Array<{ entry: OutboxEntry; recordKey: string }>>();
  for (const entry of entries) {
    const parsed = parseAssociationKey(entry.recordKey);
    if (!parsed) outcomes.fail(entry, { message: `unknown association key ${entry.recordKey}`, status: undefined, correlationId: undefined, retryable: false }, null);
    else keys.set(parsed.recordType, [...(keys.get(parsed.recordType) ?? []), { entry, recordKey: parsed.recordKey }]);
  }
  const trunkKeys = keys.get('trunk') ?? [];
  const numberKeys = keys.get('number') ?? [];
  const userKeys = keys.get('contact') ?? [];
  const numbers = new Map((await findNumbers(ctx.pool, numberKeys.map((k) => k.recordKey))).map((n) => [n.number, n]));
  const routedTo = [...numbers.values()].flatMap((n) => (n.trunkId ? [n.trunkId] : []));
  const trunks = new Map((await findTrunks(ctx.pool, [...trunkKeys.map((k) => k.recordKey), ...routedTo])).map((t) => [t.trunkId, t]));
  const users = new Map((await findWarpUsers(ctx.pool, userKeys.map((k) => k.recordKey))).map((u) => [u.userId, u]));
  const customerIds = [...trunks.values(), ...numbers.values()].map((r) => r.customerId).concat([...users.values()].flatMap((u) => (u.customerId ? [u.customerId] : [])));
  const companies = new Map((await findAccounts(ctx.pool, [...new Set(customerIds)])).map((a) => [a.id, a.hubspotCompanyId]));

  const wanted: Wanted[] = [];
  // A trunk or number belongs to exactly one company (and a number routes to one trunk at most).
  const want = (entry: OutboxEntry, fromId: string | null, companyId: string | null | undefined, more: Array<Omit<Wanted, 'entry' | 'fromId'>> = []): void => {
    // A record not (or no longer) in HubSpot has nothing to associate: its own sync queues this again.
    if (!fromId) return outcomes.done(entry);
    if (!companyId) return outcomes.defer(entry, NOT_READY);
    wanted.push({ entry, fromId, toType: CRM_OBJECTS.company.path, toIds: [companyId], exact: true });
    for (const m of more) wanted.push({ entry, fromId, ...m });
  };
  for (const { entry, recordKey } of trunkKeys) {
    const trunk = trunks.get(recordKey);
    want(entry, trunk && !trunk.deletedAt ? trunk.hubspotObjectId : null, trunk && companies.get(trunk.customerId));
  }
  for (const { entry, recordKey } of numberKeys) {
    const number = numbers.get(recordKey);
    const alive = number && !number.deletedAt && number.status !== 'released';
    const trunk = number?.trunkId ? trunks.get(number.trunkId) : undefined;
    const routed = trunk && !trunk.deletedAt ? trunk : undefined;
    if (alive && number.hubspotObjectId && routed && !routed.hubspotObjectId) outcomes.defer(entry, NOT_READY);
    else want(entry, alive ? number.hubspotObjectId : null, number && companies.get(number.customerId), [{ toType: CRM_OBJECTS.trunk.path, toIds: routed ? [routed.hubspotObjectId!] : [], exact: true }]);
  }
  for (const { entry, recordKey } of userKeys) {
    const user = users.get(recordKey);
    const companyId = user?.customerId ? companies.get(user.customerId) : undefined;
    if (user?.hubspotContactId) wanted.push({ entry, fromId: user.hubspotContactId, toType: CRM_OBJECTS.company.path, toIds: companyId ? [companyId] : [], exact: false });
    else outcomes.done(entry);
  }
  return wanted;
}

const failureOf = (f: FailedInput) => ({ message: `${f.category}: ${f.message}`, status: f.status, correlationId: undefined, retryable: f.retryable });

/**
 * Runs one write of pairs; each refused pair fails its own entry (and one refused as not found is
 * noted in `notFound`). A thrown error fails them all.
 */
async function writePairs(
  outcomes: Outcomes,
  notFound: Set<OutboxEntry>,
  pairs: ReadonlyArray<{ wanted: Wanted; pair: AssociationPair }>,
  write: (pairs: AssociationPair[]) => Promise<FailedInput[]>,
): Promise<void> {
  if (pairs.length === 0) return;
  const refused = await write(pairs.map((p) => p.pair));
  for (const failed of refused) {
    const owner = pairs[failed.index]?.wanted;
    if (!owner) continue;
    outcomes.fail(owner.entry, failureOf(failed), { from: owner.fromId, to: pairs[failed.index]!.pair.toId, toType: owner.toType });
    if (failed.category === NOT_FOUND) notFound.add(owner.entry);
  }
}

export async function sendAssociations(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const wanted = await wantedAssociations(ctx, outcomes, entries);
  const notFound = new Set<OutboxEntry>();
  // One read, one create and one remove per (record type, target type) pair of this batch.
  const groups = new Map<string, Wanted[]>();
  for (const w of wanted) {
    const fromType = w.entry.recordKey.slice(0, w.entry.recordKey.indexOf(':'));
    const key = `${CRM_OBJECTS[fromType as AssociatedRecordType].path}\u0000${w.toType}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  for (const [key, group] of groups) {
    const [fromType, toType] = key.split('\u0000') as [string, string];
    try {
      const current = await ctx.hubspot.readAssociations(fromType, toType, [...new Set(group.map((w) => w.fromId))]);
      const toCreate: Array<{ wanted: Wanted; pair: AssociationPair }> = [];
      const toRemove: Array<{ wanted: Wanted; pair: AssociationPair }> = [];
      for (const w of group) {
        const have = new Set(current.get(w.fromId) ?? []);
        for (const toId of w.toIds) if (!have.has(toId)) toCreate.push({ wanted: w, pair: { fromId: w.fromId, toId } });
        if (w.exact) for (const toId of have) if (!w.toIds.includes(toId)) toRemove.push({ wanted: w, pair: { fromId: w.fromId, toId } });
      }
      await writePairs(outcomes, notFound, toRemove, (pairs) => ctx.hubspot.removeAssociations(fromType, toType, pairs));
      await writePairs(outcomes, notFound, toCreate, (pairs) => ctx.hubspot.associateDefault(fromType, toType, pairs));
    } catch (error) {
      for (const w of group) if (!outcomes.has(w.entry)) outcomes.fail(w.entry, describeFailure(error), { from: w.fromId, toType: w.toType });
    }
  }
  for (const w of wanted) if (!outcomes.has(w.entry)) outcomes.done(w.entry);
  if (notFound.size > 0) await settleVanished(ctx, outcomes, [...notFound]);
  return outcomes;
}

/**
 * Pairs refused as not found because their record went away while we wrote (a number released
 * and archived by another worker after we read it): when WARP's rows, read again, no longer call
 * for any association of the record, its work is done (or waits) instead of becoming a dead
 * letter for a person. Records still calling for the refused pairs keep their failure.
 */
async function settleVanished(ctx: SendContext, outcomes: Outcomes, notFound: readonly OutboxEntry[]): Promise<void> {
  const again = new Outcomes();
  const stillWanted = new Set((await wantedAssociations(ctx, again, notFound)).map((w) => w.entry.id));
  for (const entry of notFound) {
    if (stillWanted.has(entry.id)) continue;
    const fresh = again.get(entry);
    if (fresh.kind === 'done') outcomes.done(entry);
    else if (fresh.kind === 'defer') outcomes.defer(entry, fresh.reason);
  }
}
