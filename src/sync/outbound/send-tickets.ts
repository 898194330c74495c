import { nearestPriority, releasedAlertKey, ticketNoteMarker, type TicketPriority } from '../../domain/support.js';
import { findAccounts } from '../../store/accounts.js';
import { alertRaisedWithin, insertAlert } from '../../store/alerts.js';
import type { OutboxEntry } from '../../store/outbox.js';
import {
  findTicketNotes, findTickets, markNotesDispatched, markNotesSent, recordPortalCheck, setTicketHubspotId, type SupportTicket,
} from '../../store/support-tickets.js';
import { applyTicketSnapshot, replaceTicketStages } from '../../store/ticket-cache.js';
import { findTrunks } from '../../store/trunks.js';
import type { TicketPortal } from './hubspot-port.js';
import { ALLOWED_PROPERTIES, type OutgoingProperties } from './mapping.js';
import { callFor, guarded, type Item, Outcomes, type SendContext, splitOutcome } from './send-common.js';

/**
 * WARP's auto-tickets → HubSpot (docs/support.md). A ticket is created by batch upsert on its
 * alert key (`warp_alert_key`, unique), so a retry or a second instance finds the same ticket
 * instead of opening another; later changes (escalated priority, closed stage, key released) are
 * updates by its HubSpot id. Stages come from the pipeline's `ticketState`, never a hard-coded id.
 * Notes on tickets are written once each, like account events (dispatched mark, then marker).
 */

/** The ticket properties a portal must have before any auto-ticket is accepted. */
export const REQUIRED_TICKET_PROPERTIES = [
  'warp_alert_key', 'warp_issue_type', 'warp_issue_category', 'warp_trunk_id', 'warp_severity', 'warp_sla_breach', 'warp_technical_details',
] as const;

/** How long the portal's pipelines and properties are trusted before being read again. */
const PORTAL_TTL_MS = 5 * 60_000;

interface PortalFacts {
  pipeline: string;
  openStage: string;
  closedStage: string;
  priorities: readonly string[];
  missing: string[];
}

const portals = new WeakMap<object, { at: number; facts: PortalFacts }>();

/** The configured pipeline's first OPEN and first CLOSED stage, the priorities, what is missing; recorded for the API. */
async function portalFacts(ctx: SendContext): Promise<PortalFacts> {
  const cached = portals.get(ctx.hubspot);
  if (cached && Date.now() - cached.at < PORTAL_TTL_MS && cached.facts.missing.length === 0) return cached.facts;
  const portal: TicketPortal = await ctx.hubspot.readTicketPortal();
  const pipelineId = ctx.ticketPipeline ?? '0';
  const pipeline = portal.pipelines.find((p) => p.id === pipelineId);
  const stages = [...(pipeline?.stages ?? [])].sort((a, b) => a.displayOrder - b.displayOrder);
  const openStage = stages.find((s) => s.ticketState === 'OPEN')?.id;
  const closedStage = stages.find((s) => s.ticketState === 'CLOSED')?.id;
  const missing: string[] = REQUIRED_TICKET_PROPERTIES.filter((name) => !portal.properties.includes(name));
  if (!openStage || !closedStage) missing.push(`pipeline ${pipelineId} with an OPEN and a CLOSED stage`);
  if (pipeline) {
    await replaceTicketStages(ctx.pool, pipeline.id, stages.flatMap((s) => (s.ticketState === 'OPEN' || s.ticketState === 'CLOSED' ? [{ ...s, ticketState: s.ticketState }] : [])));
  }
  await recordPortalCheck(ctx.pool, missing);
  const facts = { pipeline: pipelineId, openStage: openStage ?? '', closedStage: closedStage ?? '', priorities: portal.priorities, missing };
  portals.set(ctx.hubspot, { at: Date.now(), facts });
  return facts;
}

function ticketProperties(ticket: SupportTicket, portal: PortalFacts, fields: readonly string[], isCreate: boolean): OutgoingProperties {
  const priority = nearestPriority(ticket.priority as TicketPriority, portal.priorities);
  const stage = ticket.status === 'closed' ? portal.closedStage : portal.openStage;
  if (!isCreate) {
    const update: OutgoingProperties = {};
    if (fields.includes('hs_ticket_priority') && priority) update['hs_ticket_priority'] = priority;
    if (fields.includes('hs_pipeline_stage')) update['hs_pipeline_stage'] = stage;
    if (fields.includes('warp_alert_key')) update['warp_alert_key'] = ticket.status === 'closed' ? releasedAlertKey(ticket.alertKey, ticket.id) : ticket.alertKey;
    return update;
  }
  return {
    subject: ticket.subject,
    content: ticket.content,
    hs_pipeline: portal.pipeline,
    hs_pipeline_stage: stage,
    ...(priority ? { hs_ticket_priority: priority } : {}),
    warp_issue_type: ticket.issueType,
    warp_issue_category: ticket.issueCategory,
    ...(ticket.trunkId ? { warp_trunk_id: ticket.trunkId } : {}),
    warp_severity: ticket.severity,
    warp_sla_breach: ticket.slaBreachAt.toISOString(),
    warp_technical_details: JSON.stringify({ trigger: ticket.trigger, alert_key: ticket.alertKey, opened_at: ticket.openedAt.toISOString(), ...ticket.details }),
  };
}

type TicketItem = Item<SupportTicket> & { companyId: string | null; trunkHubspotId: string | null };

export async function sendTickets(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const portal = await portalFacts(ctx);
  if (portal.missing.length > 0) {
    if (!(await alertRaisedWithin(ctx.pool, 'support_not_provisioned', PORTAL_TTL_MS))) await insertAlert(ctx.pool, { kind: 'support_not_provisioned', message: `HubSpot portal lacks what auto-tickets need: ${portal.missing.join(', ')}; run provisioning`, details: { missing: portal.missing } });
    for (const entry of entries) outcomes.defer(entry, 'the portal is not provisioned for tickets');
    return outcomes;
  }
  const tickets = new Map((await findTickets(ctx.pool, entries.map((e) => e.recordKey))).map((t) => [t.id, t]));
  const accounts = new Map((await findAccounts(ctx.pool, [...new Set([...tickets.values()].flatMap((t) => (t.customerId ? [t.customerId] : [])))])).map((a) => [a.id, a]));
  const trunks = new Map((await findTrunks(ctx.pool, [...new Set([...tickets.values()].flatMap((t) => (t.trunkId ? [t.trunkId] : [])))])).map((t) => [t.trunkId, t]));
  const creates: TicketItem[] = [];
  const updates: TicketItem[] = [];
  for (const entry of entries) {
    const ticket = tickets.get(entry.recordKey);
    if (!ticket) {
      outcomes.done(entry);
      continue;
    }
    const companyId = ticket.customerId ? (accounts.get(ticket.customerId)?.hubspotCompanyId ?? null) : null;
    if (ticket.customerId && !companyId) {
      outcomes.defer(entry, 'the company has no HubSpot id yet');
      continue;
    }
    const isCreate = ticket.hubspotId === null;
    const properties = ticketProperties(ticket, portal, entry.fields, isCreate);
    const trunkHubspotId = ticket.trunkId ? (trunks.get(ticket.trunkId)?.hubspotObjectId ?? null) : null;
    if (guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.ticket)) (isCreate ? creates : updates).push({ entry, record: ticket, properties, companyId, trunkHubspotId });
  }

  const upserted = await callFor(outcomes, creates, () =>
    ctx.hubspot.batchUpsert('tickets', 'warp_alert_key', creates.map((c) => ({ id: c.record.status === 'closed' ? releasedAlertKey(c.record.alertKey, c.record.id) : c.record.alertKey, properties: c.properties }))),
  );
  const written = upserted ? splitOutcome(outcomes, creates, upserted) : [];
  for (const w of written) await setTicketHubspotId(ctx.pool, w.record.id, w.hubspotId);
  const withCompany = written.filter((w) => w.companyId !== null);
  const associated = await callFor(outcomes, withCompany, () => ctx.hubspot.associateTickets('companies', withCompany.map((w) => ({ ticketId: w.hubspotId, toId: w.companyId! })), true));
  // A failed association fails its tickets (callFor); the retry's upsert finds the same ticket.
  if (withCompany.length === 0 || associated !== undefined) await associateTrunks(ctx, written);

  const updated = await callFor(outcomes, updates, () => ctx.hubspot.batchUpdate('tickets', updates.map((u) => ({ id: u.record.hubspotId!, properties: u.properties }))));
  const changed = updated ? splitOutcome(outcomes, updates, updated) : [];

  for (const w of [...written, ...changed]) {
    if (outcomes.has(w.entry)) continue;
    const customerId = w.record.customerId;
    await applyTicketSnapshot(ctx.pool, { hubspotId: w.hubspotId, customerId, properties: { ...stringProps(w.properties), ...(w.isNew || w.record.hubspotId === null ? { warp_alert_key: w.record.alertKey } : {}) }, at: new Date() });
    outcomes.done(w.entry);
  }
  return outcomes;
}

/** The trunk's custom-object record, where the portal allows the association; a refusal never fails the ticket. */
async function associateTrunks(ctx: SendContext, written: ReadonlyArray<TicketItem & { hubspotId: string }>): Promise<void> {
  const pairs = written.flatMap((w) => (w.trunkHubspotId ? [{ ticketId: w.hubspotId, toId: w.trunkHubspotId }] : []));
  if (pairs.length === 0) return;
  try {
    await ctx.hubspot.associateTickets('trunks', pairs, false);
  } catch {
    // Trunks ↔ tickets needs the association defined on the Trunks schema; without it the ticket
    // still names the trunk in warp_trunk_id.
  }
}

const stringProps = (properties: OutgoingProperties): Record<string, string | null> =>
  Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v === null ? null : String(v)]));

type NoteItem = Item<{ id: string }> & { ticketHubspotId: string };

export async function sendTicketNotes(ctx: SendContext, entries: readonly OutboxEntry[]): Promise<Outcomes> {
  const outcomes = new Outcomes();
  const notes = new Map((await findTicketNotes(ctx.pool, entries.map((e) => e.recordKey))).map((n) => [n.id, n]));
  const tickets = new Map((await findTickets(ctx.pool, [...new Set([...notes.values()].map((n) => n.ticketId))])).map((t) => [t.id, t]));
  const ready: NoteItem[] = [];
  for (const entry of entries) {
    const note = notes.get(entry.recordKey);
    const ticketHubspotId = note ? tickets.get(note.ticketId)?.hubspotId : undefined;
    if (!note || note.sentAt) outcomes.done(entry);
    else if (!ticketHubspotId) outcomes.defer(entry, 'the ticket is not in HubSpot yet');
    else {
      const properties = { hs_note_body: `${note.body}\n[${ticketNoteMarker(note.id)}]`, hs_timestamp: note.occurredAt.toISOString() };
      if (guarded(outcomes, entry, properties, ALLOWED_PROPERTIES.note)) ready.push({ entry, record: { id: note.id }, properties, ticketHubspotId });
    }
  }
  if (ready.length === 0) return outcomes;
  const firstAttempt = await markNotesDispatched(ctx.pool, ready.map((r) => r.record.id));
  const retried = ready.filter((r) => !firstAttempt.has(r.record.id));
  const found = await callFor(outcomes, retried, () => ctx.hubspot.findTicketNotesByMarker(retried.map((r) => ({ marker: ticketNoteMarker(r.record.id), ticketId: r.ticketHubspotId }))));
  const sent: Array<{ id: string; hubspotId: string }> = [];
  for (const r of retried) {
    const hubspotId = found?.get(ticketNoteMarker(r.record.id));
    if (hubspotId) sent.push({ id: r.record.id, hubspotId });
  }
  const adopted = new Set(sent.map((s) => s.id));
  const toWrite = ready.filter((r) => !outcomes.has(r.entry) && !adopted.has(r.record.id));
  const created = await callFor(outcomes, toWrite, () => ctx.hubspot.createTicketNotes(toWrite.map((n) => ({ properties: n.properties, ticketId: n.ticketHubspotId }))));
  if (created) for (const w of splitOutcome(outcomes, toWrite, created)) sent.push({ id: w.record.id, hubspotId: w.hubspotId });
  await markNotesSent(ctx.pool, sent);
  const sentIds = new Set(sent.map((s) => s.id));
  for (const r of ready) if (sentIds.has(r.record.id)) outcomes.done(r.entry);
  return outcomes;
}
