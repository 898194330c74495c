import { findAccounts } from '../../store/accounts.js';
import type { OutboxEntry } from '../../store/outbox.js';
import { type DayNote, dayNoteKey, findDayNotes, markDayNotesDispatched, markDayNotesSent } from '../../store/usage-day-notes.js';
import { ALLOWED_PROPERTIES } from './mapping.js';
import { callFor, guarded, type Item, Outcomes, type SendContext, splitOutcome } from './send-common.js';

/**
 * Daily usage summary notes (store/usage-day-notes.ts): each customer-day is one note on the
 * company, created once and edited in place when a correction changes the day. The text was
 * stored when the note was queued; this sends the current text.
 *
 * Never two notes for a day, even after a crash between HubSpot creating it and us recording it:
 * a note is marked dispatched before its first create, and a later attempt first searches the
 * company's notes for the day's marker (the last line of the text) and adopts the one it finds.
 * A note somebody deleted in HubSpot (its edit answers OBJECT_NOT_FOUND) is written again the
 * same way: adopted if an earlier attempt already wrote it again, else created, never
 * dead-lettered for ever (a Retry would only repeat the edit).
 */

const NOT_FOUND = 'OBJECT_NOT_FOUND';
type Sent = { key: string; hubspotId: string; revision: number };
const sentOf = (w: { key: string; hubspotId: string; record: DayNote }): Sent => ({ key: w.key, hubspotId: w.hubspotId, revision: w.record.revision });

type NoteItem = Item<DayNote> & { companyId: string; key: string };

/** The marker is the text's last line, `[warp-usage-…]`, without the brackets. */
const markerOf = (note: DayNote): string => note.body.slice(note.body.lastIndexOf('\n[') + 2, -1);

export async function sendUsageNotes(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const notes = new Map((await findDayNotes(ctx.pool, entries.map((e) => e.recordKey))).map((n) => [dayNoteKey(n.customerId, n.day), n]));
  const accounts = new Map((await findAccounts(ctx.pool, [...new Set([...notes.values()].map((n) => n.customerId))])).map((a) => [a.id, a]));
  const items: NoteItem[] = [];
  for (const entry of entries) {
    const note = notes.get(entry.recordKey);
    const companyId = note ? accounts.get(note.customerId)?.hubspotCompanyId : undefined;
    if (!note || (note.hubspotNoteId !== null && note.sentRevision >= note.revision)) outcomes.done(entry);
    else if (!companyId) outcomes.defer(entry, 'the company has no HubSpot id yet');
    else {
      const properties = { hs_note_body: note.body, hs_timestamp: note.noteAt.toISOString() };
      if (guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.note)) items.push({ entry, record: note, properties, companyId, key: entry.recordKey });
    }
  }
  const sent: Sent[] = [];
  const { creates, adopted } = await withoutAdopted(ctx, outcomes, items.filter((i) => i.record.hubspotNoteId === null));
  // A note adopted from an earlier attempt may hold an older text: it is edited like the others.
  const edits = [...items.filter((i) => i.record.hubspotNoteId !== null).map((i) => ({ ...i, noteId: i.record.hubspotNoteId! })), ...adopted];
  const vanished = await editNotes(ctx, outcomes, edits, sent);
  if (vanished.length > 0) {
    const again = await findByMarker(ctx, outcomes, vanished);
    creates.push(...again.creates);
    // Deleted again in the meantime: the next attempt starts over.
    for (const gone of await editNotes(ctx, outcomes, again.adopted, sent)) {
      outcomes.fail(gone.entry, { message: `${NOT_FOUND}: note ${gone.noteId} was deleted in HubSpot`, status: 404, correlationId: undefined, retryable: true }, gone.properties);
    }
  }

  const created = await callFor(outcomes, creates, () => ctx.hubspot.createNotes(creates.map((c) => ({ properties: c.properties, companyId: c.companyId }))));
  if (created) sent.push(...splitOutcome(outcomes, creates, created).map(sentOf));

  await markDayNotesSent(ctx.pool, sent);
  const sentKeys = new Set(sent.map((s) => s.key));
  for (const item of items) if (sentKeys.has(item.key) && !outcomes.has(item.entry)) outcomes.done(item.entry);
  return outcomes;
}

type NoteEdit = NoteItem & { noteId: string };

/** Edits the notes; records the ones written in `sent` and returns those HubSpot no longer has. */
async function editNotes(ctx: SendContext, outcomes: Outcomes, edits: readonly NoteEdit[], sent: Sent[]): Promise<NoteEdit[]> {
  const updated = await callFor(outcomes, edits, () => ctx.hubspot.batchUpdate('notes', edits.map((e) => ({ id: e.noteId, properties: e.properties }))));
  if (!updated) return [];
  const gone = new Set(updated.failures.filter((f) => f.category === NOT_FOUND).map((f) => f.index));
  const rest = { ...updated, failures: updated.failures.filter((f) => !gone.has(f.index)) };
  sent.push(...splitOutcome(outcomes, edits, rest).map(sentOf));
  return edits.filter((_, index) => gone.has(index));
}

/**
 * Marks the notes to create as dispatched; for those an earlier attempt had marked, looks for a
 * note that already carries the marker. Returns the notes still to create and those found.
 */
async function withoutAdopted(ctx: SendContext, outcomes: Outcomes, toCreate: NoteItem[]): Promise<{ creates: NoteItem[]; adopted: NoteEdit[] }> {
  if (toCreate.length === 0) return { creates: [], adopted: [] };
  const firstAttempt = await markDayNotesDispatched(ctx.pool, toCreate.map((i) => i.key));
  const retried = toCreate.filter((i) => !firstAttempt.has(i.key));
  const { creates, adopted } = await findByMarker(ctx, outcomes, retried);
  return { creates: [...toCreate.filter((i) => firstAttempt.has(i.key)), ...creates], adopted };
}

/** Splits the notes into those a note in HubSpot already carries the marker of (adopted) and the rest; a failed search fails them. */
async function findByMarker(ctx: SendContext, outcomes: Outcomes, items: readonly NoteItem[]): Promise<{ creates: NoteItem[]; adopted: NoteEdit[] }> {
  if (items.length === 0) return { creates: [], adopted: [] };
  const found = await callFor(outcomes, items, () => ctx.hubspot.findNotesByMarker(items.map((r) => ({ marker: markerOf(r.record), companyId: r.companyId }))));
  const creates: NoteItem[] = [];
  const adopted: NoteEdit[] = [];
  for (const item of items) {
    if (outcomes.has(item.entry)) continue; // the search failed: retried later
    const noteId = found?.get(markerOf(item.record));
    if (noteId) adopted.push({ ...item, noteId });
    else creates.push(item);
  }
  return { creates, adopted };
}
