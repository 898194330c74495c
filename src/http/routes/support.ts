import { z } from 'zod';

import type { Pool } from '../../db/pool.js';
import { TICKET_CATEGORIES } from '../../domain/value-sets.js';
import { triggerOf, TRIGGER_NAMES } from '../../domain/support.js';
import { AppError } from '../../lib/errors.js';
import { alertRaisedWithin, insertAlert } from '../../store/alerts.js';
import { missingTicketProperties, type SupportTicket } from '../../store/support-tickets.js';
import type { CachedTicket } from '../../store/ticket-cache.js';
import { customerTickets, raiseAutoTicket, type StormSettings } from '../../warp/support.js';
import { validationError } from '../errors.js';
import { defineRoute } from '../route.js';
import { valueOrRefusal } from '../warp-results.js';
import { banParams, iso, isoTime } from './customer-scope.js';

/** Support (docs/support.md): auto-tickets from WARP's monitoring, and a customer's tickets. */

const autoTicketBody = z
  .object({
    trigger: z.string().min(1).max(100).describe(`One of: ${TRIGGER_NAMES.join(', ')}`),
    customer_id: z.string().regex(/^[0-9]{1,20}$/, 'a BAN (digits)').describe('The customer\'s BAN'),
    data: z.record(z.string(), z.unknown()).describe('What the trigger measured; its fields depend on the trigger (docs/support.md)'),
  })
  .strict();

const autoTicketView = z.object({
  id: z.string(),
  alertKey: z.string(),
  hubspotId: z.string().nullable().describe('Null until the ticket sender has written it to HubSpot (usually within a second)'),
  status: z.enum(['open', 'closed']),
  subject: z.string(),
  trigger: z.string(),
  trunkId: z.string().nullable(),
  isStorm: z.boolean().describe('A platform incident ticket that stands for many customers'),
  severity: z.string(),
  priority: z.string(),
  issueType: z.string(),
  issueCategory: z.enum(TICKET_CATEGORIES),
  recurrences: z.number().int(),
  openedAt: isoTime,
  slaBreachAt: isoTime,
  escalatedAt: isoTime.nullable(),
  closedAt: isoTime.nullable(),
});

const presentAutoTicket = (t: SupportTicket): z.input<typeof autoTicketView> => ({
  id: t.id,
  alertKey: t.alertKey,
  hubspotId: t.hubspotId,
  status: t.status,
  subject: t.subject,
  trigger: t.trigger,
  trunkId: t.trunkId,
  isStorm: t.isStorm,
  severity: t.severity,
  priority: t.priority,
  issueType: t.issueType,
  issueCategory: t.issueCategory as (typeof TICKET_CATEGORIES)[number],
  recurrences: t.recurrences,
  openedAt: t.openedAt.toISOString(),
  slaBreachAt: t.slaBreachAt.toISOString(),
  escalatedAt: iso(t.escalatedAt),
  closedAt: iso(t.closedAt),
});

const cachedTicketView = z.object({
  hubspotId: z.string(),
  subject: z.string().nullable(),
  pipeline: z.string().nullable(),
  stage: z.string().nullable(),
  state: z.enum(['OPEN', 'CLOSED']).nullable().describe("The stage's ticketState; null while the stage is unknown"),
  priority: z.string().nullable(),
  alertKey: z.string().nullable(),
  severity: z.string().nullable(),
  trunkId: z.string().nullable(),
  issueType: z.string().nullable(),
  issueCategory: z.string().nullable(),
  updatedAt: isoTime,
});

const presentCached = (t: CachedTicket): z.input<typeof cachedTicketView> => ({ ...t, updatedAt: t.updatedAt.toISOString() });

const NOT_PROVISIONED_ALERT_EVERY_MS = 10 * 60_000;

export function supportRoutes(pool: Pool, storm: StormSettings) {
  return [
    defineRoute({
      operationId: 'createAutoTicket',
      method: 'POST',
      url: '/support/auto-ticket',
      access: 'support:write',
      tag: 'support',
      summary: 'Raise an auto-ticket from a monitoring alert: one open ticket per trigger, customer and trunk (repeats add a note), one platform ticket in a storm',
      body: autoTicketBody,
      success: {
        status: 200,
        description: '`outcome`: `created` (a new ticket), `recurrence` (a note on the open ticket) or `suppressed` (part of a storm: the platform ticket)',
        schema: z.object({ outcome: z.enum(['created', 'recurrence', 'suppressed']), ticket: autoTicketView }),
      },
      errors: { 404: 'No customer with this BAN, or the customer has no such trunk', 503: '`not_provisioned`: the HubSpot portal lacks the ticket properties auto-tickets need' },
      handler: async ({ body }) => {
        const definition = triggerOf(body.trigger);
        if (!definition) throw new AppError(400, 'unknown_trigger', `Unknown trigger "${body.trigger}" (known: ${TRIGGER_NAMES.join(', ')})`);
        const data = definition.data.safeParse(body.data);
        if (!data.success) throw validationError(data.error.issues, 'body.data');
        await refuseUnprovisioned(pool);
        const raised = valueOrRefusal(await raiseAutoTicket({ pool }, { trigger: body.trigger, definition, ban: body.customer_id, data: data.data, at: new Date() }, storm));
        return { outcome: raised.outcome, ticket: presentAutoTicket(raised.ticket) };
      },
    }),
    defineRoute({
      operationId: 'listCustomerTickets',
      method: 'GET',
      url: '/customers/:ban/tickets',
      access: 'read',
      tag: 'support',
      summary: "The customer's HubSpot tickets from the ticket cache (open ones unless status=all), and WARP's auto-tickets with their alert keys",
      params: banParams,
      query: z.object({ status: z.enum(['open', 'all']).default('open') }).strict(),
      success: { status: 200, description: 'Tickets, newest first', schema: z.object({ tickets: z.array(cachedTicketView), autoTickets: z.array(autoTicketView) }) },
      errors: { 404: 'No customer with this BAN' },
      handler: async ({ params, query }) => {
        const found = valueOrRefusal(await customerTickets({ pool }, params.ban, { openOnly: query.status === 'open' }));
        return { tickets: found.tickets.map(presentCached), autoTickets: found.autoTickets.map(presentAutoTicket) };
      },
    }),
  ];
}

/** A portal without the ticket properties gets no half-made tickets: refused, and ops told (at most every 10 minutes). */
async function refuseUnprovisioned(pool: Pool): Promise<void> {
  const missing = await missingTicketProperties(pool);
  if (missing.length === 0) return;
  if (!(await alertRaisedWithin(pool, 'support_not_provisioned', NOT_PROVISIONED_ALERT_EVERY_MS))) {
    await insertAlert(pool, { kind: 'support_not_provisioned', message: `Auto-tickets refused: the HubSpot portal lacks ${missing.join(', ')}; run provisioning`, details: { missing } });
  }
  throw new AppError(503, 'not_provisioned', `The HubSpot portal is not provisioned for tickets (missing: ${missing.join(', ')}); run \`npm run cli -- provision\``);
}
