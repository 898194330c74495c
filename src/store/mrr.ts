import type { Queryable } from '../db/pool.js';

/**
 * The daily revenue properties (docs/revenue.md "MRR"): `warp_mrr` = full monthly fees of the
 * customer's live trunks and unreleased numbers (0 for a churned account), and
 * `warp_usage_revenue_last_month` = the last closed month's spend in cents. One statement over every
 * customer; returns those whose values changed (their company write is due).
 */
export async function refreshRevenueProperties(tx: Queryable, lastMonth: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `WITH fees AS (
       SELECT c.id,
         CASE WHEN c.status = 'churned' THEN 0 ELSE
           COALESCE((SELECT sum(t.monthly_fee) FROM trunks t WHERE t.customer_id = c.id AND t.deleted_at IS NULL), 0)
           + COALESCE((SELECT sum(n.monthly_cost) FROM numbers n WHERE n.customer_id = c.id AND n.deleted_at IS NULL AND n.status <> 'released'), 0)
         END AS mrr,
         COALESCE((SELECT round(um.spend, 2) FROM usage_customer_months um WHERE um.customer_id = c.id AND um.month = $1::date), 0) AS usage_revenue
       FROM customers c WHERE c.ban IS NOT NULL AND c.deleted_at IS NULL)
     UPDATE customers c SET mrr = f.mrr, usage_revenue_last_month = f.usage_revenue
     FROM fees f WHERE c.id = f.id AND (c.mrr, c.usage_revenue_last_month) IS DISTINCT FROM (f.mrr, f.usage_revenue)
     RETURNING c.id::text`,
    [`${lastMonth}-01`],
  );
  return rows.map((r) => r.id);
}
