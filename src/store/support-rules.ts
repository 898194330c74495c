import type { Queryable } from '../db/pool.js';

/** What WARP's own auto-ticket rules read (src/sync/support/rules.ts): one hour's trunk figures. */

export interface TrunkHour {
  trunkId: string;
  ban: string;
  customerId: string;
  attempts: number;
  answered: number;
}

/** Every trunk with outbound attempts in the hour starting at `hour` (usage roll-ups). */
export async function trunkHourFigures(db: Queryable, hour: Date): Promise<TrunkHour[]> {
  const { rows } = await db.query<{ trunk_id: string; ban: string; customer_id: string; attempts: string; answered: string }>(
    `SELECT t.trunk_id, c.ban, c.id AS customer_id, h.calls_attempted AS attempts, h.outbound_answered AS answered
     FROM usage_trunk_hours h JOIN trunks t ON t.id = h.trunk_id JOIN customers c ON c.id = h.customer_id
     WHERE h.hour = $1 AND h.calls_attempted > 0 AND c.ban IS NOT NULL`,
    [hour],
  );
  return rows.map((r) => ({ trunkId: r.trunk_id, ban: r.ban, customerId: String(r.customer_id), attempts: Number(r.attempts), answered: Number(r.answered) }));
}

/** Counts `hour` for the ticket once: false when that hour (or a later one) was counted already. */
export async function claimRuleHour(db: Queryable, ticketId: string, hour: Date): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE support_tickets SET rule_hour = $2 WHERE id = $1 AND (rule_hour IS NULL OR rule_hour < $2)', [ticketId, hour]);
  return (rowCount ?? 0) > 0;
}
