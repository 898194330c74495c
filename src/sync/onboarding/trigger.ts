import type { PoolClient } from '../../db/pool.js';
import type { CachedRecord } from '../../store/cache-records.js';
import { startOnboarding } from '../../store/onboardings.js';
import type { ClosedWonStages } from './closed-won.js';

/**
 * What starts an onboarding: a cached deal whose stage changed to a closed-won one. Runs inside the
 * inbox transaction that applied the stage, so it only reads the stage cache and writes the
 * onboarding row (committed with the stage, or not at all); the runner is woken after that.
 */
export function dealWonTrigger(closedWon: Pick<ClosedWonStages, 'isClosedWon'>, wakeRunner: () => void) {
  return async (tx: PoolClient, deal: CachedRecord): Promise<void> => {
    const stage = deal.values['stage'];
    if (!stage || !closedWon.isClosedWon(stage)) return;
    if (await startOnboarding(tx, deal.hubspotId, deal.values['hubspot_company_id'] ?? null)) wakeRunner();
  };
}
