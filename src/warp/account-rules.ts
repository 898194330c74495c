import type { PoolClient } from '../db/pool.js';
import type { EventFields } from '../store/account-events.js';
import { type Account, findAccount } from '../store/accounts.js';
import { markNumbersForRelease } from '../store/numbers.js';
import { enqueue } from '../store/outbox.js';
import { listTrunksByStatus } from '../store/trunks.js';
import { eventChange } from './changes.js';
import { customerCommand, type WarpDeps } from './command.js';
import { ok, type Result } from './result.js';
import { setTrunkStatus } from './trunks.js';

/**
 * The account's dependent updates (docs/warp-domain.md "Dependent updates"), in one place:
 * - its status, which WARP owns and changes (`accounts.ts`): suspended → active trunks suspended;
 *   active again → the trunks that suspension stopped come back; churned → trunks disabled and
 *   numbers marked for release after a grace period;
 * - its credit limit, which HubSpot owns: a change (applied by the inbound sync) re-evaluates spend
 *   at once; at or above the limit, active trunks are `limited` until spend falls below it again.
 * Each trunk change is queued for HubSpot with the cause's own transaction.
 */

/** Why trunks changed status, so undoing a cause restores only the trunks that cause changed. */
export const ACCOUNT_SUSPENDED_REASON = 'account_suspended';
export const ACCOUNT_CHURNED_REASON = 'account_churned';
export const CREDIT_LIMIT_REASON = 'credit_limit_reached';

/**
 * How long a churned customer's numbers are kept before they may be released: 30 days, a common
 * porting-out window, so a leaving customer can still take their numbers along.
 */
export const NUMBER_RELEASE_GRACE_MS = 30 * 24 * 60 * 60 * 1000;

/** The status change's effect on trunks and numbers; returns the facts its timeline entry shows. */
export async function applyStatusToTrunks(tx: PoolClient, account: Account, occurredAt: Date): Promise<EventFields> {
  switch (account.status) {
    case 'suspended': {
      const trunks = await listTrunksByStatus(tx, account.id, ['active', 'limited']);
      await setTrunkStatus(tx, trunks.map((t) => t.trunkId), 'suspended', ACCOUNT_SUSPENDED_REASON);
      return { trunks_suspended: trunks.length };
    }
    case 'active': {
      const trunks = (await listTrunksByStatus(tx, account.id, ['suspended'])).filter((t) => t.statusReason === ACCOUNT_SUSPENDED_REASON);
      await setTrunkStatus(tx, trunks.map((t) => t.trunkId), 'active', null);
      return { trunks_reactivated: trunks.length };
    }
    case 'churned': {
      const trunks = await listTrunksByStatus(tx, account.id, ['active', 'limited', 'suspended']);
      await setTrunkStatus(tx, trunks.map((t) => t.trunkId), 'disabled', ACCOUNT_CHURNED_REASON);
      const releaseAfter = new Date(occurredAt.getTime() + NUMBER_RELEASE_GRACE_MS);
      const numbers = await markNumbersForRelease(tx, account.id, releaseAfter);
      return { trunks_disabled: trunks.length, numbers_pending_release: numbers, release_after: releaseAfter.toISOString() };
    }
  }
}

export interface CreditLimitEffect {
  limited: number;
  restored: number;
}

/**
 * Re-evaluates the account's spend against its credit limit: at or above it, active trunks become
 * `limited`; a higher limit (or none) restores the trunks this rule limited. A change of trunks is
 * one timeline entry: "credit limit changed" when the limit moved, "spend limit reached" / "spend
 * below limit" when usage moved spend (`cause: 'spend'`, the usage schedules).
 */
export function applyCreditLimit(deps: WarpDeps, ban: string, cause: 'credit_limit' | 'spend' = 'credit_limit'): Promise<Result<CreditLimitEffect>> {
  return customerCommand(deps, ban, async (tx, customerId) => {
    const account = (await findAccount(tx, customerId))!;
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
      // Money as the threshold alert writes it (two decimals), so the notes read alike.
      const fields = { credit_limit: account.creditLimit?.toFixed(2) ?? null, mtd_spend: account.mtdSpend.toFixed(2), trunks_limited: limited, trunks_restored: restored };
      const kind = cause === 'credit_limit' ? 'credit_limit_changed' : limited > 0 ? 'spend_limit_reached' : 'spend_below_limit';
      await enqueue(tx, [await eventChange(tx, customerId, { kind, fields })]);
    }
    return ok({ limited, restored });
  });
}
