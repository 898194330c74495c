import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TRIGGERS } from '../../src/domain/support.js';
import { closeMonth } from '../../src/revenue/month-close.js';
import { listChurnRisk } from '../../src/store/churn.js';
import { applyTicketSnapshot, markTicketDeleted, replaceTicketStages } from '../../src/store/ticket-cache.js';
import { valueOf } from '../../src/warp/result.js';
import { raiseAutoTicket } from '../../src/warp/support.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { call, revenueCustomer, trunkFrom, usageDeps } from './fixtures.js';

const NOV_2 = Date.parse('2026-11-02T00:00:00Z');
const STORM = { customers: 1000, windowMs: 900_000 };

/**
 * `critical_ticket` (docs/revenue.md "Churn analysis"): an open ticket of the customer that is
 * critical — WARP's severity `critical` or HubSpot priority URGENT — in the ticket cache, or one of
 * WARP's auto-tickets not in the cache yet. Closed, deleted and HIGH tickets do not count.
 */
describe('churn analysis: open critical tickets', () => {
  let db: TestDatabase;
  const bans: Record<string, string> = {};
  beforeAll(async () => {
    db = await createTestDatabase();
    await replaceTicketStages(db.pool, '0', [
      { id: '1', label: 'New', displayOrder: 0, ticketState: 'OPEN' },
      { id: '4', label: 'Closed', displayOrder: 3, ticketState: 'CLOSED' },
    ]);
    const deps = usageDeps(db.pool);
    let ticket = 9000;
    // Every customer used its trunk recently, so the ticket is the only possible reason.
    for (const name of ['urgent', 'warp-critical', 'auto-unsent', 'closed', 'high', 'deleted', 'none']) {
      const customer = await revenueCustomer(db.pool, null, name);
      bans[name] = customer.ban;
      const trunkId = await trunkFrom(db.pool, customer.id, name, '10.00', '2026-10-01');
      await call(deps, trunkId, `${name}-1`, '2026-10-30T10:00:00Z', '1.0000');
      const cached = (properties: Record<string, string>) =>
        applyTicketSnapshot(db.pool, { hubspotId: String(ticket++), customerId: customer.id, properties: { hs_pipeline: '0', ...properties }, at: new Date(NOV_2) });
      if (name === 'urgent') await cached({ hs_pipeline_stage: '1', hs_ticket_priority: 'URGENT' }); // an agent's ticket
      if (name === 'warp-critical') await cached({ hs_pipeline_stage: '1', hs_ticket_priority: 'HIGH', warp_severity: 'critical' });
      if (name === 'closed') await cached({ hs_pipeline_stage: '4', hs_ticket_priority: 'URGENT', warp_severity: 'critical' });
      if (name === 'high') await cached({ hs_pipeline_stage: '1', hs_ticket_priority: 'HIGH', warp_severity: 'high' });
      if (name === 'deleted') {
        await cached({ hs_pipeline_stage: '1', hs_ticket_priority: 'URGENT' });
        await markTicketDeleted(db.pool, String(ticket - 1), new Date(NOV_2 + 1000), null);
      }
      if (name === 'auto-unsent') {
        // Raised by WARP, not sent to HubSpot (no outbox worker here): only in support_tickets.
        const data = { trunk_id: trunkId, current_asr: 0.1, threshold: 0.5, period: 'last_hour', severity: 'critical' as const };
        valueOf(await raiseAutoTicket({ pool: db.pool }, { trigger: 'asr_below_threshold', definition: TRIGGERS.asr_below_threshold, ban: customer.ban, data, at: new Date(NOV_2) }, STORM));
      }
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives the reason to customers with an open critical ticket only, and sends the change', async () => {
    await closeMonth(db.pool, '2026-10', { nowMs: NOV_2 });
    const atRisk = await listChurnRisk(db.pool, ['high', 'medium', 'low']);
    const reasonsOf = Object.fromEntries(atRisk.map((c) => [c.ban, c.reasons]));
    expect(Object.fromEntries(Object.entries(bans).map(([name, ban]) => [name, reasonsOf[ban]]))).toEqual({
      urgent: ['critical_ticket'],
      'warp-critical': ['critical_ticket'],
      'auto-unsent': ['critical_ticket'],
      closed: [],
      high: [],
      deleted: [],
      none: [],
    });
    expect(atRisk.find((c) => c.ban === bans.urgent)).toMatchObject({ risk: 'medium' });
    const outbox = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE object_type = 'company' AND 'warp_churn_reasons' = ANY(fields)`);
    expect(outbox.rows[0]!.n).toBe(7);
  });

  it('drops the reason at the next analysis once the ticket is closed', async () => {
    await applyTicketSnapshot(db.pool, { hubspotId: '9000', customerId: null, properties: { hs_pipeline_stage: '4' }, at: new Date(NOV_2 + 60_000) });
    await closeMonth(db.pool, '2026-10', { nowMs: NOV_2 });
    const [urgent] = (await listChurnRisk(db.pool, ['high', 'medium', 'low'])).filter((c) => c.ban === bans.urgent);
    expect(urgent).toMatchObject({ risk: 'low', reasons: [] });
  });
});
