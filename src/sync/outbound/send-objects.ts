import { withTransaction } from '../../db/pool.js';
import { CRM_OBJECTS } from '../../domain/hubspot-objects.js';
import { type Account, findAccounts, setAccountHubspotIds } from '../../store/accounts.js';
import { linkUserToContact } from '../../store/contact-links.js';
import { findNumbers, type PhoneNumber, setNumberHubspotIds } from '../../store/numbers.js';
import { associationChange, enqueue, type OutboxEntry } from '../../store/outbox.js';
import { findTrunks, setTrunkHubspotIds, type Trunk } from '../../store/trunks.js';
import { findWarpUsers, type WarpUser } from '../../store/warp-users.js';
import {
  ALLOWED_PROPERTIES,
  companyProperties,
  contactProperties,
  numberProperties,
  trunkProperties,
} from './mapping.js';
import { callFor, guarded, type Item, Outcomes, type SendContext, splitOutcome } from './send-common.js';

/**
 * Senders for records (trunks, numbers, companies, contacts). Each reads the records' CURRENT
 * state (so coalesced edits go out once, with the latest values), makes one batch upsert by the
 * unique property, queues the associations of newly created records as outbox work of their own
 * (send-associations.ts) in the transaction that stores their HubSpot ids, and archives deleted ones.
 */

const byKey = <T>(rows: readonly T[], key: (row: T) => string): Map<string, T> => new Map(rows.map((row) => [key(row), row]));

async function accountsOf(ctx: SendContext, customerIds: readonly string[]): Promise<Map<string, Account>> {
  return byKey(await findAccounts(ctx.pool, [...new Set(customerIds)]), (a) => a.id);
}

const COMPANY_NOT_SYNCED = 'the company has no HubSpot id yet';

/** Written records that are new in HubSpot (or were recreated there): their associations are queued. */
const fresh = <W extends { isNew: boolean; hubspotId: string; record: { hubspotObjectId: string | null } }>(written: readonly W[]): W[] =>
  written.filter((w) => w.isNew || w.record.hubspotObjectId !== w.hubspotId);

/** Archives deleted records: by their stored HubSpot id, else looked up by the unique property. */
async function archive<T>(ctx: SendContext, outcomes: Outcomes, objectType: string, idProperty: string, items: ReadonlyArray<Item<T> & { hubspotId: string | null }>): Promise<void> {
  const unknown = items.filter((i) => i.hubspotId === null);
  const found = new Map<string, string>();
  if (unknown.length > 0) {
    const read = await callFor(outcomes, unknown, () => ctx.hubspot.batchReadByProperty(objectType, idProperty, unknown.map((i) => i.entry.recordKey)));
    for (const r of read?.results ?? []) if (r.inputIndex !== undefined) found.set(unknown[r.inputIndex]!.entry.id, r.id);
  }
  const toArchive = items.filter((i) => !outcomes.has(i.entry)).map((i) => ({ item: i, id: i.hubspotId ?? found.get(i.entry.id) }));
  const withId = toArchive.filter((a): a is { item: (typeof toArchive)[number]['item']; id: string } => a.id !== undefined);
  await callFor(outcomes, withId.map((a) => a.item), () => ctx.hubspot.batchArchive(objectType, withId.map((a) => a.id)));
  for (const a of toArchive) if (!outcomes.has(a.item.entry)) outcomes.done(a.item.entry);
}

export async function sendTrunks(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const { path: objectType, idProperty } = CRM_OBJECTS.trunk;
  const trunks = byKey(await findTrunks(ctx.pool, entries.map((e) => e.recordKey)), (t) => t.trunkId);
  const accounts = await accountsOf(ctx, [...trunks.values()].map((t) => t.customerId));
  const upserts: Array<Item<Trunk> & { account: Account }> = [];
  const deletions: Array<Item<Trunk> & { hubspotId: string | null }> = [];
  for (const entry of entries) {
    const trunk = trunks.get(entry.recordKey);
    const account = trunk && accounts.get(trunk.customerId);
    if (!trunk || !account) outcomes.done(entry);
    else if (trunk.deletedAt) deletions.push({ entry, record: trunk, properties: {}, hubspotId: trunk.hubspotObjectId });
    else if (!account.hubspotCompanyId) outcomes.defer(entry, COMPANY_NOT_SYNCED);
    else {
      const properties = trunkProperties(trunk, account);
      if (guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.trunk)) upserts.push({ entry, record: trunk, properties, account });
    }
  }
  const outcome = await callFor(outcomes, upserts, () => ctx.hubspot.batchUpsert(objectType, idProperty, upserts.map((u) => ({ id: u.record.trunkId, properties: u.properties }))));
  if (outcome) {
    const written = splitOutcome(outcomes, upserts, outcome);
    await withTransaction(ctx.pool, async (tx) => {
      await setTrunkHubspotIds(tx, written.map((w) => ({ trunkId: w.record.trunkId, hubspotId: w.hubspotId })));
      await enqueue(tx, fresh(written).map((w) => associationChange('trunk', w.record.trunkId)));
    });
    for (const w of written) if (!outcomes.has(w.entry)) outcomes.done(w.entry);
  }
  await archive(ctx, outcomes, objectType, idProperty, deletions);
  return outcomes;
}

export async function sendNumbers(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const { path: objectType, idProperty } = CRM_OBJECTS.number;
  const numbers = byKey(await findNumbers(ctx.pool, entries.map((e) => e.recordKey)), (n) => n.number);
  const accounts = await accountsOf(ctx, [...numbers.values()].map((n) => n.customerId));
  const upserts: Array<Item<PhoneNumber> & { account: Account }> = [];
  const removals: Array<Item<PhoneNumber> & { hubspotId: string | null }> = [];
  for (const entry of entries) {
    const number = numbers.get(entry.recordKey);
    const account = number && accounts.get(number.customerId);
    if (!number || !account) outcomes.done(entry);
    else if (number.deletedAt || number.status === 'released') removals.push({ entry, record: number, properties: {}, hubspotId: number.hubspotObjectId });
    else if (!account.hubspotCompanyId) outcomes.defer(entry, COMPANY_NOT_SYNCED);
    else {
      const properties = numberProperties(number, account);
      if (guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.number)) upserts.push({ entry, record: number, properties, account });
    }
  }
  const outcome = await callFor(outcomes, upserts, () => ctx.hubspot.batchUpsert(objectType, idProperty, upserts.map((u) => ({ id: u.record.number, properties: u.properties }))));
  if (outcome) {
    const written = splitOutcome(outcomes, upserts, outcome);
    await withTransaction(ctx.pool, async (tx) => {
      await setNumberHubspotIds(tx, written.map((w) => ({ number: w.record.number, hubspotId: w.hubspotId })));
      await enqueue(tx, fresh(written).map((w) => associationChange('number', w.record.number)));
    });
    for (const w of written) if (!outcomes.has(w.entry)) outcomes.done(w.entry);
  }
  await archive(ctx, outcomes, objectType, idProperty, removals);
  await setNumberHubspotIds(ctx.pool, removals.filter((r) => outcomes.get(r.entry).kind === 'done').map((r) => ({ number: r.record.number, hubspotId: null })));
  return outcomes;
}

/**
 * Company writes: by HubSpot id when the cache has one (the BAN write-back, where the company has
 * no `warp_ban` yet), else an upsert by `warp_ban` (a company WARP created), whose id is recorded.
 */
export async function sendCompanies(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const accounts = await accountsOf(ctx, entries.map((e) => e.recordKey));
  const updates: Array<Item<Account>> = [];
  const upserts: Array<Item<Account>> = [];
  for (const entry of entries) {
    const account = accounts.get(entry.recordKey);
    if (!account || (!account.hubspotCompanyId && !account.ban)) {
      outcomes.done(entry);
      continue;
    }
    const properties = companyProperties(account, entry.fields);
    if (!guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.company)) continue;
    (account.hubspotCompanyId ? updates : upserts).push({ entry, record: account, properties });
  }
  const updated = await callFor(outcomes, updates, () => ctx.hubspot.batchUpdate(CRM_OBJECTS.company.path, updates.map((u) => ({ id: u.record.hubspotCompanyId!, properties: u.properties }))));
  if (updated) for (const w of splitOutcome(outcomes, updates, updated)) outcomes.done(w.entry);
  const upserted = await callFor(outcomes, upserts, () =>
    ctx.hubspot.batchUpsert(CRM_OBJECTS.company.path, CRM_OBJECTS.company.idProperty, upserts.map((u) => ({ id: u.record.ban!, properties: { ...u.properties, warp_ban: u.record.ban } }))),
  );
  if (upserted) {
    const written = splitOutcome(outcomes, upserts, upserted);
    await setAccountHubspotIds(ctx.pool, written.map((w) => ({ customerId: w.record.id, hubspotId: w.hubspotId })));
    for (const w of written) outcomes.done(w.entry);
  }
  return outcomes;
}

/** Contacts: by HubSpot id when known, else upserted by email (HubSpot's natural contact key). */
export async function sendContacts(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const users = byKey(await findWarpUsers(ctx.pool, entries.map((e) => e.recordKey)), (u) => u.userId);
  const accounts = await accountsOf(ctx, [...users.values()].flatMap((u) => (u.customerId ? [u.customerId] : [])));
  const updates: Array<Item<WarpUser>> = [];
  const upserts: Array<Item<WarpUser> & { companyId: string }> = [];
  for (const entry of entries) {
    const user = users.get(entry.recordKey);
    const companyId = user?.customerId ? accounts.get(user.customerId)?.hubspotCompanyId : undefined;
    if (!user || (!user.hubspotContactId && !user.email)) {
      outcomes.done(entry);
      continue;
    }
    const properties = contactProperties(user);
    if (!guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.contact)) continue;
    if (user.hubspotContactId) updates.push({ entry, record: user, properties });
    else if (!companyId) outcomes.defer(entry, COMPANY_NOT_SYNCED);
    else upserts.push({ entry, record: user, properties, companyId });
  }
  const updated = await callFor(outcomes, updates, () => ctx.hubspot.batchUpdate(CRM_OBJECTS.contact.path, updates.map((u) => ({ id: u.record.hubspotContactId!, properties: u.properties }))));
  if (updated) for (const w of splitOutcome(outcomes, updates, updated)) outcomes.done(w.entry);
  const upserted = await callFor(outcomes, upserts, () => ctx.hubspot.batchUpsert(CRM_OBJECTS.contact.path, 'email', upserts.map((u) => ({ id: u.record.email!, properties: u.properties }))));
  if (upserted) {
    const written = splitOutcome(outcomes, upserts, upserted);
    await linkContacts(ctx, outcomes, written);
    for (const w of written) if (!outcomes.has(w.entry)) outcomes.done(w.entry);
  }
  return outcomes;
}

/**
 * Records which contact each upsert landed on (store/contact-links.ts). A contact that belongs to
 * another WARP user or to another customer's company is not linked: the entry fails for good with
 * the reason, so a person sees it as a dead letter instead of the link silently never happening.
 */
async function linkContacts(ctx: SendContext, outcomes: Outcomes, written: ReadonlyArray<Item<WarpUser> & { hubspotId: string }>): Promise<void> {
  await withTransaction(ctx.pool, async (tx) => {
    for (const w of written) {
      const link = await linkUserToContact(tx, w.record.userId, w.hubspotId);
      if (link.linked) await enqueue(tx, [associationChange('contact', w.record.userId)]);
      else if (!link.gone) outcomes.fail(w.entry, { message: link.reason, status: undefined, correlationId: undefined, retryable: false }, w.properties);
    }
  });
}
