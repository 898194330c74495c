import type { HubSpotGateway } from '../../hubspot/gateway.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Which deal stages mean "closed won". Stage ids are portal-specific, so they are read from the
 * pipelines API (hubspot-api.md: stage `metadata.isClosed` and `probability` 1.0) and refreshed
 * now and then; until the first read succeeds, the default pipeline's `closedwon` is assumed.
 */
export interface ClosedWonStages {
  isClosedWon(stageId: string): Promise<boolean>;
}

const DEFAULT_CLOSED_WON = 'closedwon';
const REFRESH_MS = 10 * 60_000;

export function closedWonStagesFrom(gateway: Pick<HubSpotGateway, 'listPipelines'>, logger: Logger): ClosedWonStages {
  let stages: Set<string> | undefined;
  let loadedAtMs = 0;
  const load = async (): Promise<void> => {
    try {
      const pipelines = await gateway.listPipelines('deals', { priority: 'realtime' });
      stages = new Set(
        pipelines.flatMap((p) => p.stages.filter((s) => String(s.metadata?.['isClosed']) === 'true' && Number(s.metadata?.['probability']) === 1).map((s) => s.id)),
      );
      loadedAtMs = Date.now();
    } catch (error) {
      logger.warn({ err: toError(error) }, 'reading deal pipelines failed; assuming the default closed-won stage');
    }
  };
  return {
    isClosedWon: async (stageId) => {
      if (!stages || Date.now() - loadedAtMs > REFRESH_MS) await load();
      return (stages ?? new Set([DEFAULT_CLOSED_WON])).has(stageId);
    },
  };
}
