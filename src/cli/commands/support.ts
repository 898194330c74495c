import { parseArgs } from 'node:util';

import { triggerOf, TRIGGER_NAMES } from '../../domain/support.js';
import type { SupportTicket } from '../../store/support-tickets.js';
import { customerTickets, raiseAutoTicket } from '../../warp/support.js';
import { type CliCommand, type CliContext, UsageError } from '../command.js';
import { withDb } from '../database.js';

const USAGE = `Usage:
  npm run cli -- support tickets BAN [--all]
  npm run cli -- support raise TRIGGER BAN --data JSON

tickets  The customer's HubSpot tickets from the ticket cache (open ones; --all: closed too) and
         WARP's auto-tickets with their alert keys, outcomes and SLA times.
raise    Raises an auto-ticket as POST /api/v1/support/auto-ticket does (trigger: ${TRIGGER_NAMES.join(', ')});
         the service's outbox workers write it to HubSpot.`;

const describe = (t: SupportTicket): string =>
  `${t.alertKey}  ${t.status}  ${t.priority}  hubspot ${t.hubspotId ?? '(pending)'}  ${t.recurrences} recurrence(s)  SLA ${t.slaBreachAt.toISOString()}${t.escalatedAt ? '  escalated' : ''}  "${t.subject}"`;

async function runTickets(rest: string[], context: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { all: { type: 'boolean', default: false } } });
  const ban = positionals[0];
  if (!ban || positionals.length > 1) throw new UsageError('Give exactly one BAN');
  const result = await withDb(context, (db) => customerTickets({ pool: db.pool }, ban, { openOnly: !values.all }));
  if (!result.ok) throw new Error(result.message);
  context.out(`HubSpot tickets (${values.all ? 'all' : 'open'}): ${result.value.tickets.length}`);
  for (const t of result.value.tickets) context.out(`  ${t.hubspotId}  ${t.state ?? '?'}  stage ${t.stage ?? '?'}  ${t.priority ?? '-'}  "${t.subject ?? ''}"`);
  context.out(`Auto-tickets: ${result.value.autoTickets.length}`);
  for (const t of result.value.autoTickets) context.out(`  ${describe(t)}`);
}

async function runRaise(rest: string[], context: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { data: { type: 'string' } } });
  const [trigger, ban] = positionals;
  if (!trigger || !ban || positionals.length > 2) throw new UsageError('Give TRIGGER and BAN');
  const definition = triggerOf(trigger);
  if (!definition) throw new UsageError(`Unknown trigger "${trigger}" (known: ${TRIGGER_NAMES.join(', ')})`);
  let raw: unknown;
  try {
    raw = JSON.parse(values.data ?? '');
  } catch {
    throw new UsageError('--data is a JSON object, e.g. {"trunk_id":"trunk_…","current_asr":0.35,"threshold":0.5,"period":"last_hour"}');
  }
  const data = definition.data.safeParse(raw);
  if (!data.success) throw new UsageError(`--data: ${data.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const { support } = context.config;
  const result = await withDb(context, (db) =>
    raiseAutoTicket({ pool: db.pool }, { trigger, definition, ban, data: data.data, at: new Date() }, { customers: support.stormCustomers, windowMs: support.stormWindowMs }),
  );
  if (!result.ok) throw new Error(result.message);
  context.out(`${result.value.outcome}: ${describe(result.value.ticket)}`);
}

export const supportCommand: CliCommand = {
  name: 'support',
  summary: 'Auto-tickets and a customer\'s tickets',
  usage: USAGE,
  async run(args, context) {
    const [action, ...rest] = args;
    switch (action) {
      case 'tickets':
        return runTickets(rest, context);
      case 'raise':
        return runRaise(rest, context);
      case undefined:
      default:
        throw new UsageError(action ? `Unknown support action "${action}"` : 'Missing support action');
    }
  },
};
