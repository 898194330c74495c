import { z } from 'zod';

import type { TicketCategory, TicketSeverity } from './value-sets.js';

/**
 * The support model (docs/support.md): the triggers an auto-ticket can be raised for, as data (a
 * new trigger is one entry), alert keys, severity → priority, SLA times, and the plain-language
 * ticket text a support agent acts on. Pure: no I/O.
 */

const HOUR_MS = 3_600_000;

/** HubSpot's ticket priorities, lowest first (an escalation moves one step up). */
export const TICKET_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export const PRIORITY_OF_SEVERITY: Readonly<Record<TicketSeverity, TicketPriority>> = { critical: 'URGENT', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };

/** Time from creation to `warp_sla_breach`. */
export const SLA_MS: Readonly<Record<TicketSeverity, number>> = { critical: 1 * HOUR_MS, high: 4 * HOUR_MS, medium: 24 * HOUR_MS, low: 72 * HOUR_MS };

export function raisedPriority(priority: string): TicketPriority {
  const index = TICKET_PRIORITIES.indexOf(priority as TicketPriority);
  return TICKET_PRIORITIES[Math.min(Math.max(index, 0) + 1, TICKET_PRIORITIES.length - 1)]!;
}

/**
 * The portal's priority nearest to the one wanted (portals may remove or rename options):
 * the wanted one if it exists, else the closest by rank, the higher on a tie. Null when the portal
 * has none of HubSpot's standard values.
 */
export function nearestPriority(wanted: TicketPriority, available: readonly string[]): string | null {
  const rank = TICKET_PRIORITIES.indexOf(wanted);
  const candidates = TICKET_PRIORITIES.filter((p) => available.includes(p));
  if (candidates.length === 0) return null;
  return [...candidates].sort((a, b) => Math.abs(TICKET_PRIORITIES.indexOf(a) - rank) - Math.abs(TICKET_PRIORITIES.indexOf(b) - rank) || TICKET_PRIORITIES.indexOf(b) - TICKET_PRIORITIES.indexOf(a))[0]!;
}

const ratio = z.number().min(0).max(1);
const period = z.string().min(1).max(50);
const trunkId = z.string().regex(/^trunk_[A-Za-z0-9_]+$/, 'a WARP trunk id (trunk_…)');
const severity = z.enum(['critical', 'high', 'medium', 'low']);

const asrData = z.object({ trunk_id: trunkId, current_asr: ratio, threshold: ratio, period, attempts: z.number().int().min(0).optional(), severity: severity.optional() }).strict();
const sip5xxData = z.object({ trunk_id: trunkId, rate_5xx: ratio, threshold: ratio, period, attempts: z.number().int().min(0).optional(), severity: severity.optional() }).strict();

export interface TicketText {
  subject: string;
  content: string;
}

export interface TriggerDefinition<D extends { trunk_id: string; severity?: TicketSeverity | undefined }> {
  /** What `data` must carry for this trigger. */
  data: z.ZodType<D>;
  issueType: 'voice' | 'sms' | 'billing' | 'api';
  issueCategory: TicketCategory;
  defaultSeverity: TicketSeverity;
  /** A customer's ticket: which trunk, what was measured, against what threshold, over which period. */
  text(data: D, ban: string): TicketText;
  /** The platform incident ticket that replaces the customers' tickets in a storm. */
  stormText(customers: number, windowMinutes: number): TicketText;
  /** One line for a recurrence note. */
  recurrence(data: D): string;
}

const percent = (value: number): string => `${Math.round(value * 1000) / 10}%`;
const attemptsText = (attempts: number | undefined): string => (attempts === undefined ? '' : ` (${attempts} outbound attempts)`);

/** The triggers WARP's monitoring (and WARP's own rules, src/sync/support/rules.ts) raise tickets for. */
export const TRIGGERS = {
  asr_below_threshold: {
    data: asrData,
    issueType: 'voice',
    issueCategory: 'call_failures',
    defaultSeverity: 'high',
    text: (d, ban) => ({
      subject: `Low ASR alert - Trunk ${d.trunk_id}`,
      content:
        `Answer-seizure ratio (ASR) on SIP trunk ${d.trunk_id} of customer ${ban} was ${percent(d.current_asr)} over ${d.period.replace(/_/g, ' ')}` +
        `${attemptsText(d.attempts)}, below the ${percent(d.threshold)} threshold. Calls through this trunk are failing more often than normal: ` +
        'check the carrier routes and the customer\'s SIP responses.',
    }),
    stormText: (customers, minutes) => ({
      subject: 'Platform incident: low ASR across many customers',
      content: `${customers} customers reported ASR below threshold within ${minutes} minutes. This looks like a platform or carrier problem, not a single customer's: one incident ticket instead of one per customer.`,
    }),
    recurrence: (d) => `ASR still low on ${d.trunk_id}: ${percent(d.current_asr)} over ${d.period.replace(/_/g, ' ')}${attemptsText(d.attempts)} (threshold ${percent(d.threshold)}).`,
  } satisfies TriggerDefinition<z.infer<typeof asrData>>,
  sip_5xx_spike: {
    data: sip5xxData,
    issueType: 'voice',
    issueCategory: 'call_failures',
    defaultSeverity: 'high',
    text: (d, ban) => ({
      subject: `SIP 5xx spike - Trunk ${d.trunk_id}`,
      content:
        `${percent(d.rate_5xx)} of calls on SIP trunk ${d.trunk_id} of customer ${ban} ended with a SIP 5xx answer over ${d.period.replace(/_/g, ' ')}` +
        `${attemptsText(d.attempts)}, above the ${percent(d.threshold)} threshold. Check the upstream carriers and the trunk's routing.`,
    }),
    stormText: (customers, minutes) => ({
      subject: 'Platform incident: SIP 5xx spike across many customers',
      content: `${customers} customers reported a SIP 5xx spike within ${minutes} minutes: one incident ticket instead of one per customer.`,
    }),
    recurrence: (d) => `SIP 5xx rate still high on ${d.trunk_id}: ${percent(d.rate_5xx)} over ${d.period.replace(/_/g, ' ')} (threshold ${percent(d.threshold)}).`,
  } satisfies TriggerDefinition<z.infer<typeof sip5xxData>>,
} as const;

export type TriggerName = keyof typeof TRIGGERS;
export const TRIGGER_NAMES = Object.keys(TRIGGERS) as TriggerName[];
export type AnyTrigger = TriggerDefinition<{ trunk_id: string; severity?: TicketSeverity | undefined }>;

export function triggerOf(name: string): AnyTrigger | undefined {
  return Object.hasOwn(TRIGGERS, name) ? (TRIGGERS[name as TriggerName]) : undefined;
}

/** One open ticket per customer, trunk and trigger. */
export const alertKey = (trigger: string, ban: string, trunkId: string): string => `${trigger}:${ban}:${trunkId}`;
/** The platform incident of a trigger's storm. */
export const stormAlertKey = (trigger: string): string => `storm:${trigger}`;
/**
 * A closed ticket gives its key up in HubSpot (the property is unique, and the next incident of
 * the same key must be able to open a new ticket), keeping it readable.
 */
export const releasedAlertKey = (key: string, ticketId: string): string => `${key}#closed-${ticketId}`;

/** Marker in every ticket note's body, so a retry finds a note an earlier attempt wrote. */
export const ticketNoteMarker = (noteId: string): string => `warp-ticket-note-${noteId}`;
