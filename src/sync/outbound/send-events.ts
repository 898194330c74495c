import { type AccountEvent, findAccountEvents, markDispatched, markSent } from '../../store/account-events.js';
import { findAccounts } from '../../store/accounts.js';
import type { OutboxEntry } from '../../store/outbox.js';
import { ALLOWED_PROPERTIES, eventMarker, eventNoteProperties } from './mapping.js';
import { callFor, guarded, type Item, Outcomes, type SendContext, splitOutcome } from './send-common.js';

/**
 * Account and service events → HubSpot timeline (docs/product-rules.md "Timeline"): a timeline event when a
 * template is configured for the kind, otherwise a note on the company whose `hs_timestamp` is
 * when the event happened.
 *
 * Never twice, even after a retry or a crash between HubSpot accepting and us recording it:
 * - events are marked `dispatched` BEFORE the first call; a later attempt on a dispatched event
 *   first searches for a note carrying the event's marker and adopts it instead of writing again;
 * - timeline events carry our event id, and HubSpot refuses a second event with the same id.
 */

type EventItem = Item<AccountEvent> & { companyId: string };

export async function sendEvents(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const loaded = new Map((await findAccountEvents(ctx.pool, entries.map((e) => e.recordKey))).map((e) => [e.id, e]));
  const accounts = new Map((await findAccounts(ctx.pool, [...new Set([...loaded.values()].map((e) => e.customerId))])).map((a) => [a.id, a]));
  const ready: OutboxEntry[] = [];
  for (const entry of entries) {
    const event = loaded.get(entry.recordKey);
    if (!event || event.sentAt) outcomes.done(entry);
    else if (!accounts.get(event.customerId)?.hubspotCompanyId) outcomes.defer(entry, 'the company has no HubSpot id yet');
    else ready.push(entry);
  }
  if (ready.length === 0) return outcomes;

  const firstAttempt = await markDispatched(ctx.pool, ready.map((e) => e.recordKey));
  // Re-read after marking: an edit may have merged into the event until the mark committed.
  const events = new Map((await findAccountEvents(ctx.pool, ready.map((e) => e.recordKey))).map((e) => [e.id, e]));
  const items: EventItem[] = [];
  for (const entry of ready) {
    const event = events.get(entry.recordKey)!;
    const companyId = accounts.get(event.customerId)!.hubspotCompanyId!;
    const properties = eventNoteProperties(event);
    if (guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.note)) items.push({ entry, record: event, properties, companyId });
  }

  const toWrite = await skipAlreadyWritten(ctx, outcomes, items.filter((i) => !firstAttempt.has(i.record.id)));
  const pending = items.filter((i) => firstAttempt.has(i.record.id) || toWrite.includes(i));
  const timeline = pending.filter((i) => ctx.timelineTemplates[i.record.kind] !== undefined);
  const notes = pending.filter((i) => ctx.timelineTemplates[i.record.kind] === undefined);

  const created = await callFor(outcomes, notes, () => ctx.hubspot.createNotes(notes.map((n) => ({ properties: n.properties, companyId: n.companyId }))));
  const sent: Array<{ id: string; hubspotId: string }> = [];
  if (created) for (const w of splitOutcome(outcomes, notes, created)) sent.push({ id: w.record.id, hubspotId: w.hubspotId });

  const timelineWritten = await callFor(outcomes, timeline, () =>
    ctx.hubspot.createTimelineEvents(
      timeline.map((t) => ({
        id: eventMarker(t.record.id),
        eventTemplateId: ctx.timelineTemplates[t.record.kind]!,
        companyId: t.companyId,
        occurredAt: t.record.occurredAt,
        tokens: Object.fromEntries(Object.entries(t.record.fields).map(([k, v]) => [k, typeof v === 'number' ? v : String(v)])),
      })),
    ),
  );
  if (timelineWritten) for (const w of splitOutcome(outcomes, timeline, timelineWritten)) sent.push({ id: w.record.id, hubspotId: w.hubspotId });

  await markSent(ctx.pool, sent);
  const sentIds = new Set(sent.map((s) => s.id));
  for (const item of items) if (sentIds.has(item.record.id)) outcomes.done(item.entry);
  return outcomes;
}

/**
 * For events an earlier attempt may have written: adopts notes that already carry their marker
 * (recording them as sent) and returns the items still to write.
 */
async function skipAlreadyWritten(ctx: SendContext, outcomes: Outcomes, retried: readonly EventItem[]): Promise<EventItem[]> {
  const notes = retried.filter((i) => ctx.timelineTemplates[i.record.kind] === undefined);
  const timeline = retried.filter((i) => ctx.timelineTemplates[i.record.kind] !== undefined);
  const found = await callFor(outcomes, notes, () => ctx.hubspot.findNotesByMarker(notes.map((n) => ({ marker: eventMarker(n.record.id), companyId: n.companyId }))));
  if (!found) return timeline;
  const adopted = notes.flatMap((n) => {
    const hubspotId = found.get(eventMarker(n.record.id));
    return hubspotId ? [{ item: n, hubspotId }] : [];
  });
  await markSent(ctx.pool, adopted.map((a) => ({ id: a.item.record.id, hubspotId: a.hubspotId })));
  for (const a of adopted) outcomes.done(a.item.entry);
  return [...timeline, ...notes.filter((n) => !found.has(eventMarker(n.record.id)))];
}
