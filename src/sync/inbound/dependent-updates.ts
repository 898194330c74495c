import type { PoolClient } from '../../db/pool.js';
import { findAccount } from '../../store/accounts.js';
import { listTrunksByStatus } from '../../store/trunks.js';
import { recordAccountEvent, setTrunkStatus } from '../outbound/warp-changes.js';

/**
 * Dependent updates of a HubSpot-owned company change (docs/product-rules.md "Dependent updates"). The
 * trunk changes go through the outbound module's WARP-change functions, so they reach HubSpot via
 * the outbox in this same transaction.
 *
 * `warp_status` is WARP-owned: a HubSpot edit of it is a conflict, never applied here, so the
 * suspend / reactivate / churn cascade runs where WARP changes the status (outbound
 * `changeAccount`). What HubSpot owns and drives is the credit limit.
 */

/** Why trunks were limited, so only those are restored when spend falls below the limit again. */
export const CREDIT_LIMIT_REASON = 'credit_limit_reached';

/**
 * Re-evaluates spend against the credit limit at once: spend at or above the limit puts the
 * customer's active trunks into `limited`; a higher limit (or none) restores the trunks this rule
 * limited. Returns how many trunks changed.
 */
export async function applyCreditLimit(tx: PoolClient, customerId: string): Promise<{ limited: number; restored: number }> {
  const account = await findAccount(tx, customerId);
  if (!account) return { limited: 0, restored: 0 };
  const reached = account.creditLimit !== null && account.mtdSpend >= account.creditLimit;
  let limited = 0;
  let restored = 0;
  if (reached && account.status === 'active') {
    const active = await listTrunksByStatus(tx, customerId, ['active']);
    limited = (await setTrunkStatus(tx, active.map((t) => t.trunkId), 'limited', CREDIT_LIMIT_REASON)).length;
  } else if (!reached) {
    const byThisRule = (await listTrunksByStatus(tx, customerId, ['limited'])).filter((t) => t.statusReason === CREDIT_LIMIT_REASON);
    restored = (await setTrunkStatus(tx, byThisRule.map((t) => t.trunkId), 'active', null)).length;
  }
  if (limited + restored > 0) {
    await recordAccountEvent(tx, { customerId }, {
      kind: 'credit_limit_changed',
      fields: { credit_limit: account.creditLimit, mtd_spend: account.mtdSpend, trunks_limited: limited, trunks_restored: restored },
    });
  }
  return { limited, restored };
}
