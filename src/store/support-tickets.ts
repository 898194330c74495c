import type { Queryable } from '../db/pool.js';

/**
 * WARP's auto-tickets, their notes and the alerts received (migration 0080). The rules that use
 * them are in src/warp/support.ts; the HubSpot side is sync/outbound/send-tickets.ts.
 */

export interface SupportTicket {
  id: string;
  alertKey: string;
  trigger: string;
  customerId: string | null;
  ban: string | null;
  trunkId: string | null;
  isStorm: boolean;
  severity: string;
  priority: string;
  issueType: string;
  issueCategory: string;
  subject: string;
  content: string;
  details: Record<string, unknown>;
  status: 'open' | 'closed';
  hubspotId: string | null;
  recurrences: number;
  healthyHours: number;
  openedAt: Date;
  lastAlertAt: Date;
  slaBreachAt: Date;
  escalatedAt: Date | null;
  closedAt: Date | null;
}

interface Row {
  id: string;
  alert_key: string;
  trigger: string;
  customer_id: string | null;
  ban: string | null;
  trunk_id: string | null;
  is_storm: boolean;
  severity: string;
  priority: string;
  issue_type: string;
  issue_category: string;
  subject: string;
  content: string;
  details: Record<string, unknown>;
  status: 'open' | 'closed';
  hubspot_id: string | null;
  recurrences: number;
  healthy_hours: number;
  opened_at: Date;
  last_alert_at: Date;
  sla_breach_at: Date;
  escalated_at: Date | null;
  closed_at: Date | null;
}

const SELECT = `SELECT t.*, c.ban FROM support_tickets t LEFT JOIN customers c ON c.id = t.customer_id`;

const toTicket = (r: Row): SupportTicket => ({
  id: String(r.id),
  alertKey: r.alert_key,
  trigger: r.trigger,
  customerId: r.customer_id === null ? null : String(r.customer_id),
  ban: r.ban,
  trunkId: r.trunk_id,
  isStorm: r.is_storm,
  severity: r.severity,
  priority: r.priority,
  issueType: r.issue_type,
  issueCategory: r.issue_category,
  subject: r.subject,
  content: r.content,
  details: r.details,
  status: r.status,
  hubspotId: r.hubspot_id,
  recurrences: r.recurrences,
  healthyHours: r.healthy_hours,
  openedAt: r.opened_at,
  lastAlertAt: r.last_alert_at,
  slaBreachAt: r.sla_breach_at,
  escalatedAt: r.escalated_at,
  closedAt: r.closed_at,
});

/** Serializes every decision about one alert key across instances until the transaction ends. */
export async function lockAlertKey(tx: Queryable, alertKey: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('support-key:' || $1))`, [alertKey]);
}

/**
 * Serializes every decision that may open a ticket for one trigger (open, recur, storm) across instances until the
 * transaction ends, so the storm count (distinct customers) is exact.
 */
export async function lockTrigger(tx: Queryable, trigger: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('support-trigger:' || $1))`, [trigger]);
}

export async function findOpenTicket(db: Queryable, alertKey: string): Promise<SupportTicket | null> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE t.alert_key = $1 AND t.status = 'open'`, [alertKey]);
  return rows[0] ? toTicket(rows[0]) : null;
}

export async function findTickets(db: Queryable, ids: readonly string[]): Promise<SupportTicket[]> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE t.id = ANY($1::bigint[])`, [ids]);
  return rows.map(toTicket);
}

export type NewSupportTicket = Pick<
  SupportTicket,
  'alertKey' | 'trigger' | 'customerId' | 'trunkId' | 'isStorm' | 'severity' | 'priority' | 'issueType' | 'issueCategory' | 'subject' | 'content' | 'details' | 'openedAt' | 'slaBreachAt'
>;

export async function insertTicket(tx: Queryable, t: NewSupportTicket): Promise<SupportTicket> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO support_tickets (alert_key, trigger, customer_id, trunk_id, is_storm, severity, priority, issue_type, issue_category, subject, content, details, opened_at, last_alert_at, sla_breach_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) RETURNING id`,
    [t.alertKey, t.trigger, t.customerId, t.trunkId, t.isStorm, t.severity, t.priority, t.issueType, t.issueCategory, t.subject, t.content, JSON.stringify(t.details), t.openedAt, t.slaBreachAt],
  );
  return (await findTickets(tx, [rows[0]!.id]))[0]!;
}

/** The trigger fired again for an open ticket: counted, its latest measurements kept, health reset. */
export async function recordRecurrence(tx: Queryable, ticketId: string, at: Date, details: Record<string, unknown>): Promise<void> {
  await tx.query(
    `UPDATE support_tickets SET recurrences = recurrences + 1, last_alert_at = greatest(last_alert_at, $2), healthy_hours = 0, details = $3 WHERE id = $1`,
    [ticketId, at, JSON.stringify(details)],
  );
}

export async function setHealthyHours(tx: Queryable, ticketId: string, hours: number): Promise<void> {
  await tx.query('UPDATE support_tickets SET healthy_hours = $2 WHERE id = $1', [ticketId, hours]);
}

export async function closeTicketRow(tx: Queryable, ticketId: string, at: Date): Promise<boolean> {
  const { rowCount } = await tx.query(`UPDATE support_tickets SET status = 'closed', closed_at = $2 WHERE id = $1 AND status = 'open'`, [ticketId, at]);
  return (rowCount ?? 0) > 0;
}

export async function setTicketHubspotId(db: Queryable, ticketId: string, hubspotId: string): Promise<void> {
  await db.query('UPDATE support_tickets SET hubspot_id = $2 WHERE id = $1', [ticketId, hubspotId]);
}

/** Open tickets past their SLA breach time that were never escalated, oldest first, locked. */
export async function lockDueEscalations(tx: Queryable, now: Date, limit: number): Promise<SupportTicket[]> {
  const { rows } = await tx.query<Row>(
    `${SELECT} WHERE t.id IN (SELECT id FROM support_tickets WHERE status = 'open' AND escalated_at IS NULL AND sla_breach_at <= $1
       ORDER BY sla_breach_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, limit],
  );
  return rows.map(toTicket);
}

export async function markEscalated(tx: Queryable, ticketId: string, at: Date, priority: string): Promise<void> {
  await tx.query('UPDATE support_tickets SET escalated_at = $2, priority = $3 WHERE id = $1', [ticketId, at, priority]);
}

/** Open tickets of triggers evaluated by WARP's own rules (the hourly evaluation). */
export async function listOpenTickets(db: Queryable, triggers: readonly string[]): Promise<SupportTicket[]> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE t.status = 'open' AND t.trigger = ANY($1::text[]) ORDER BY t.id`, [triggers]);
  return rows.map(toTicket);
}

export async function listCustomerTickets(db: Queryable, customerId: string): Promise<SupportTicket[]> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE t.customer_id = $1 ORDER BY t.id`, [customerId]);
  return rows.map(toTicket);
}

// ---- Alerts received (storm detection) ----

export async function insertAlertRow(
  tx: Queryable,
  a: { trigger: string; customerId: string; alertKey: string; outcome: 'created' | 'recurrence' | 'suppressed'; ticketId: string | null; at: Date },
): Promise<void> {
  await tx.query('INSERT INTO support_alerts (trigger, customer_id, alert_key, outcome, ticket_id, received_at) VALUES ($1, $2, $3, $4, $5, $6)', [
    a.trigger,
    a.customerId,
    a.alertKey,
    a.outcome,
    a.ticketId,
    a.at,
  ]);
}

/** Distinct customers that tripped a trigger since `since`, counting `customerId` too. */
export async function customersTripped(tx: Queryable, trigger: string, since: Date, customerId: string): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT customer_id FROM support_alerts WHERE trigger = $1 AND received_at >= $2 UNION SELECT $3::bigint) AS c`,
    [trigger, since, customerId],
  );
  return rows[0]!.n;
}

/** Whether the customer was already told (suppressed) in the storm whose ticket is `ticketId`. */
export async function suppressedBefore(tx: Queryable, ticketId: string, customerId: string): Promise<boolean> {
  const { rows } = await tx.query(`SELECT 1 FROM support_alerts WHERE ticket_id = $1 AND customer_id = $2 AND outcome = 'suppressed' LIMIT 1`, [ticketId, customerId]);
  return rows.length > 0;
}

export async function lastAlertOf(db: Queryable, trigger: string): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>('SELECT max(received_at) AS at FROM support_alerts WHERE trigger = $1', [trigger]);
  return rows[0]?.at ?? null;
}

// ---- Notes on tickets ----

export interface TicketNote {
  id: string;
  ticketId: string;
  kind: string;
  body: string;
  occurredAt: Date;
  dispatchedAt: Date | null;
  sentAt: Date | null;
}

export async function insertTicketNote(tx: Queryable, ticketId: string, kind: 'recurrence' | 'cleared' | 'escalation', body: string, at: Date): Promise<string> {
  const { rows } = await tx.query<{ id: string }>('INSERT INTO support_ticket_notes (ticket_id, kind, body, occurred_at) VALUES ($1, $2, $3, $4) RETURNING id', [ticketId, kind, body, at]);
  return String(rows[0]!.id);
}

export async function findTicketNotes(db: Queryable, ids: readonly string[]): Promise<TicketNote[]> {
  const { rows } = await db.query<{ id: string; ticket_id: string; kind: string; body: string; occurred_at: Date; dispatched_at: Date | null; sent_at: Date | null }>(
    'SELECT id, ticket_id, kind, body, occurred_at, dispatched_at, sent_at FROM support_ticket_notes WHERE id = ANY($1::bigint[])',
    [ids],
  );
  return rows.map((r) => ({ id: String(r.id), ticketId: String(r.ticket_id), kind: r.kind, body: r.body, occurredAt: r.occurred_at, dispatchedAt: r.dispatched_at, sentAt: r.sent_at }));
}

/** Marks notes dispatched; returns those marked for the first time (no earlier attempt can have written them). */
export async function markNotesDispatched(db: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>('UPDATE support_ticket_notes SET dispatched_at = now() WHERE id = ANY($1::bigint[]) AND dispatched_at IS NULL RETURNING id', [ids]);
  return new Set(rows.map((r) => String(r.id)));
}

export async function markNotesSent(db: Queryable, pairs: ReadonlyArray<{ id: string; hubspotId: string }>): Promise<void> {
  if (pairs.length === 0) return;
  await db.query(
    `UPDATE support_ticket_notes n SET hubspot_id = s.hubspot_id, sent_at = now() FROM json_to_recordset($1::json) AS s(id bigint, hubspot_id text) WHERE n.id = s.id`,
    [JSON.stringify(pairs.map((p) => ({ id: p.id, hubspot_id: p.hubspotId })))],
  );
}

// ---- The portal check ----

export async function recordPortalCheck(db: Queryable, missing: readonly string[]): Promise<void> {
  await db.query(
    `INSERT INTO support_portal_check (singleton, missing, checked_at) VALUES (true, $1, now())
     ON CONFLICT (singleton) DO UPDATE SET missing = excluded.missing, checked_at = excluded.checked_at`,
    [missing],
  );
}

/** What the last portal check found missing; empty when nothing is (or no check ran yet). */
export async function missingTicketProperties(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ missing: string[] }>('SELECT missing FROM support_portal_check');
  return rows[0]?.missing ?? [];
}
