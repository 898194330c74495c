import type { Queryable } from '../db/pool.js';
import type { FigureRow } from './usage-reads.js';

/**
 * Daily usage summary notes (migration 0090): one per customer and day, created once in HubSpot
 * and edited in place when late records change the day (docs/usage-sync.md "Daily summary").
 */

export interface DayNote {
  customerId: string;
  day: string;
  revision: number;
  sentRevision: number;
  body: string;
  noteAt: Date;
  dispatchedAt: Date | null;
  hubspotNoteId: string | null;
}

interface DayNoteRow {
  customer_id: string;
  day: string;
  revision: string;
  sent_revision: string;
  body: string;
  note_at: Date;
  dispatched_at: Date | null;
  hubspot_note_id: string | null;
}

const COLUMNS = `customer_id, to_char(day, 'YYYY-MM-DD') AS day, revision, sent_revision, body, note_at, dispatched_at, hubspot_note_id`;

const toNote = (r: DayNoteRow): DayNote => ({
  customerId: String(r.customer_id),
  day: r.day,
  revision: Number(r.revision),
  sentRevision: Number(r.sent_revision),
  body: r.body,
  noteAt: r.note_at,
  dispatchedAt: r.dispatched_at,
  hubspotNoteId: r.hubspot_note_id,
});

/** The outbox record key of a day's note. */
export const dayNoteKey = (customerId: string, day: string): string => `${customerId}:${day}`;

const parseKey = (key: string): { customerId: string; day: string } => {
  const [customerId = '', day = ''] = key.split(':');
  return { customerId, day };
};

export interface DayFigures extends FigureRow {
  customerId: string;
  day: string;
  revision: number;
}

/** Day roll-ups of these customer-days (absent when a day has no row), with their revision. */
export async function dayFigures(db: Queryable, keys: ReadonlyArray<{ customerId: string; day: string }>): Promise<DayFigures[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT d.customer_id::text AS "customerId", to_char(d.day, 'YYYY-MM-DD') AS day, d.revision::float8 AS revision,
       d.calls_attempted::float8 AS calls_attempted, d.calls_completed::float8 AS calls_completed, d.outbound_answered::float8 AS outbound_answered,
       d.outbound_answered_seconds::float8 AS outbound_answered_seconds, d.billable_seconds::float8 AS billable_seconds,
       d.sms_sent::float8 AS sms_sent, d.spend::text AS spend
     FROM usage_customer_days d JOIN unnest($1::bigint[], $2::date[]) AS k(customer_id, day) USING (customer_id, day)
     ORDER BY d.customer_id, d.day`,
    [keys.map((k) => k.customerId), keys.map((k) => k.day)],
  );
  return rows as unknown as DayFigures[];
}

/** Customers with figures on `day` and a HubSpot company: who gets that day's summary note. */
export async function customersWithUsageOn(db: Queryable, day: string): Promise<string[]> {
  const { rows } = await db.query<{ customer_id: string }>(
    `SELECT d.customer_id FROM usage_customer_days d JOIN customers c ON c.id = d.customer_id
     WHERE d.day = $1 AND c.deleted_at IS NULL AND c.hubspot_company_id IS NOT NULL
       AND (d.calls_attempted <> 0 OR d.calls_completed <> 0 OR d.billable_seconds <> 0 OR d.sms_sent <> 0 OR d.spend <> 0)
     ORDER BY 1`,
    [day],
  );
  return rows.map((r) => String(r.customer_id));
}

/**
 * Stores each note's text for its day revision: a new note, or a newer revision of an existing one
 * (`onlyExisting`: corrections edit notes, they never create one). Returns the keys that changed,
 * which the caller queues in the same transaction.
 */
export async function upsertDayNotes(
  tx: Queryable,
  notes: ReadonlyArray<{ customerId: string; day: string; revision: number; body: string; noteAt: Date }>,
  onlyExisting: boolean,
): Promise<string[]> {
  if (notes.length === 0) return [];
  const params = [notes.map((n) => n.customerId), notes.map((n) => n.day), notes.map((n) => n.revision), notes.map((n) => n.body), notes.map((n) => n.noteAt)];
  const input = `SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[], $4::text[], $5::timestamptz[]) AS n(customer_id, day, revision, body, note_at)`;
  const { rows } = onlyExisting
    ? await tx.query<{ customer_id: string; day: string }>(
        `UPDATE usage_day_notes t SET revision = n.revision, body = n.body FROM (${input}) n
         WHERE t.customer_id = n.customer_id AND t.day = n.day AND t.revision < n.revision
         RETURNING t.customer_id, to_char(t.day, 'YYYY-MM-DD') AS day`,
        params,
      )
    : await tx.query<{ customer_id: string; day: string }>(
        `INSERT INTO usage_day_notes AS t (customer_id, day, revision, body, note_at) ${input} ORDER BY 1, 2
         ON CONFLICT (customer_id, day) DO UPDATE SET revision = excluded.revision, body = excluded.body WHERE t.revision < excluded.revision
         RETURNING t.customer_id, to_char(t.day, 'YYYY-MM-DD') AS day`,
        params,
      );
  return rows.map((r) => dayNoteKey(String(r.customer_id), r.day));
}

export async function findDayNotes(db: Queryable, keys: readonly string[]): Promise<DayNote[]> {
  const parsed = keys.map(parseKey);
  const { rows } = await db.query<DayNoteRow>(
    `SELECT ${COLUMNS} FROM usage_day_notes JOIN unnest($1::bigint[], $2::date[]) AS k(customer_id, day) USING (customer_id, day)`,
    [parsed.map((k) => k.customerId), parsed.map((k) => k.day)],
  );
  return rows.map(toNote);
}

/** Marks notes as being created (before the HubSpot call); returns the keys marked now, first attempts. */
export async function markDayNotesDispatched(db: Queryable, keys: readonly string[]): Promise<Set<string>> {
  const parsed = keys.map(parseKey);
  const { rows } = await db.query<{ customer_id: string; day: string }>(
    `UPDATE usage_day_notes t SET dispatched_at = now() FROM unnest($1::bigint[], $2::date[]) AS k(customer_id, day)
     WHERE t.customer_id = k.customer_id AND t.day = k.day AND t.dispatched_at IS NULL
     RETURNING t.customer_id, to_char(t.day, 'YYYY-MM-DD') AS day`,
    [parsed.map((k) => k.customerId), parsed.map((k) => k.day)],
  );
  return new Set(rows.map((r) => dayNoteKey(String(r.customer_id), r.day)));
}

/** Records what HubSpot now shows: the note's id and the revision written. */
export async function markDayNotesSent(db: Queryable, sent: ReadonlyArray<{ key: string; hubspotId: string; revision: number }>): Promise<void> {
  if (sent.length === 0) return;
  const parsed = sent.map((s) => parseKey(s.key));
  await db.query(
    `UPDATE usage_day_notes t SET hubspot_note_id = s.hubspot_id, sent_revision = GREATEST(t.sent_revision, s.revision), sent_at = now()
     FROM unnest($1::bigint[], $2::date[], $3::text[], $4::bigint[]) AS s(customer_id, day, hubspot_id, revision)
     WHERE t.customer_id = s.customer_id AND t.day = s.day`,
    [parsed.map((k) => k.customerId), parsed.map((k) => k.day), sent.map((s) => s.hubspotId), sent.map((s) => s.revision)],
  );
}
