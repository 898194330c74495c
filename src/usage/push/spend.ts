import { withTransaction } from '../../db/pool.js';
import { insertAccountEvent } from '../../store/account-events.js';
import { insertAlert, type OpsAlert } from '../../store/alerts.js';
import { enqueue } from '../../store/outbox.js';
import { claimOnceMark, creditLimitCandidates, firstCallsWithoutMark, unalertedAboveShare } from '../../store/usage-sync.js';
import type { UsagePushDeps } from './deps.js';

/**
 * Spend rules driven by real usage (docs/usage-sync.md "Spend thresholds"): the 80 % *Threshold
 * alert* (a company note and an ops alert, once per customer and UTC month), the credit-limit rule
 * (trunks `limited` at 100 %, restored below it, each change one note), and the *First successful
 * call* note (once per customer). "Once" is a row in usage_once_marks, claimed in the transaction
 * that records the note and the alert: retries, redone slots and several instances cannot repeat it.
 */

/** Share of the credit limit at which the threshold alert fires. */
export const THRESHOLD_SHARE = 0.8;

export async function applySpendRules(deps: UsagePushDeps, now: Date): Promise<Record<string, number>> {
  const thresholdAlerts = await alertThresholds(deps, now);
  let creditLimitChecks = 0;
  for (const ban of await creditLimitCandidates(deps.pool, deps.creditLimit.limitedReason)) {
    await deps.creditLimit.apply(ban);
    creditLimitChecks++;
  }
  const firstCalls = await noteFirstCalls(deps);
  deps.metrics.writes('event', thresholdAlerts + firstCalls);
  return { thresholdAlerts, creditLimitChecks, firstCalls };
}

async function alertThresholds(deps: UsagePushDeps, now: Date): Promise<number> {
  const period = now.toISOString().slice(0, 7);
  let alerts = 0;
  for (const candidate of await unalertedAboveShare(deps.pool, THRESHOLD_SHARE, period)) {
    const sharePct = Math.floor((Number(candidate.mtdSpend) / Number(candidate.creditLimit)) * 100);
    const alert = await withTransaction(deps.pool, async (tx): Promise<OpsAlert | null> => {
      if (!(await claimOnceMark(tx, candidate.customerId, 'spend_threshold', period))) return null;
      const fields = { month: period, mtd_spend: candidate.mtdSpend, credit_limit: candidate.creditLimit, share_of_limit_pct: sharePct };
      const { id } = await insertAccountEvent(tx, { customerId: candidate.customerId, kind: 'spend_threshold_reached', occurredAt: now, fields });
      await enqueue(tx, [{ objectType: 'event', recordKey: id }]);
      const who = candidate.ban ? `BAN ${candidate.ban}` : `customer ${candidate.customerId}`;
      return insertAlert(tx, {
        kind: 'usage_spend_threshold',
        message: `${who} has spent ${sharePct} % of its credit limit this month (${candidate.mtdSpend} of ${candidate.creditLimit} USD)`,
        details: { customerId: candidate.customerId, ban: candidate.ban, ...fields },
      });
    });
    if (alert) {
      alerts++;
      await deps.deliverAlert(alert);
    }
  }
  return alerts;
}

async function noteFirstCalls(deps: UsagePushDeps): Promise<number> {
  let noted = 0;
  for (const first of await firstCallsWithoutMark(deps.pool)) {
    const claimed = await withTransaction(deps.pool, async (tx) => {
      if (!(await claimOnceMark(tx, first.customerId, 'first_successful_call', ''))) return false;
      const fields = { answered_at: first.answeredAt.toISOString(), trunk_id: first.trunkId };
      const { id } = await insertAccountEvent(tx, { customerId: first.customerId, kind: 'first_successful_call', occurredAt: first.answeredAt, fields });
      await enqueue(tx, [{ objectType: 'event', recordKey: id }]);
      return true;
    });
    if (claimed) noted++;
  }
  return noted;
}
