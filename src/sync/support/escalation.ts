import type { Pool } from '../../db/pool.js';
import { type AlertSink, raiseAlert } from '../outbound/ops-alerts.js';
import { valueOf } from '../../warp/result.js';
import { escalateDueTickets } from '../../warp/support.js';

/**
 * SLA escalation, run by the 5-minute schedule (docs/support.md "SLA"): HubSpot applies no SLA to
 * tickets created through the API, so WARP escalates each ticket still open at `warp_sla_breach`,
 * once (src/warp/support.ts), and tells ops after the escalation committed. The slot's time is
 * the clock: a manual run `--at` a later time escalates what would be due then.
 */

const BATCH = 200;

export async function escalateTickets(pool: Pool, sink: AlertSink, slotAt: Date, signal: AbortSignal): Promise<Record<string, number>> {
  let escalated = 0;
  for (;;) {
    signal.throwIfAborted();
    const batch = valueOf(await escalateDueTickets({ pool }, slotAt, BATCH));
    for (const { ticket, priority } of batch) {
      await raiseAlert(sink, 'support_sla_breach', `Ticket "${ticket.subject}" passed its SLA time unresolved; escalated to ${priority}`, {
        ticketId: ticket.id,
        hubspotId: ticket.hubspotId,
        alertKey: ticket.alertKey,
        severity: ticket.severity,
        slaBreachAt: ticket.slaBreachAt.toISOString(),
      });
    }
    escalated += batch.length;
    if (batch.length < BATCH) return { escalated };
  }
}
