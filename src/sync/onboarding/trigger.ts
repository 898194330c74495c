import type { PoolClient } from '../../db/pool.js';
import type { CachedRecord } from '../../store/cache-records.js';
import type { ClosedWonStages } from './closed-won.js';
import { queueOnboarding } from './onboarding.js';

/**
 * What starts an onboarding: a cached deal whose stage changed to a closed-won one. Runs inside the
 * inbox transaction that applied the stage, so it only reads the stage cache and writes the
 * onboarding row and its job (committed with the stage, or not at all; the job's NOTIFY wakes a
 * runner in any process at commit).
 */
export function dealWonTrigger(closedWon: Pick<ClosedWonStages, 'isClosedWon'>) {
  return async (tx: PoolClient, deal: CachedRecord): Promise<void> => {
    const stage = deal.values['stage'];
    if (!stage || !closedWon.isClosedWon(stage)) return;
    await queueOnboarding(tx, deal.hubspotId, deal.values['hubspot_company_id'] ?? null);
  };
}
