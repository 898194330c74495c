import { CRM_OBJECTS } from '../../domain/hubspot-objects.js';
import type { HubSpotGateway } from '../../hubspot/gateway.js';
import { toError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Which deal stages mean "closed won". Stage ids are portal-specific, so they are read from the
 * pipelines API (a stage with `metadata.isClosed` true and probability 1.0: docs/hubspot-facts.md
 * "Deal pipelines"). The read happens off the hot path: once when the worker role starts and then
 * every `refreshIntervalMs`; `isClosedWon` only reads that cache, so the inbox transaction that
 * applies a deal's stage never waits for HubSpot. Until a read succeeds the default pipeline's
 * `closedwon` is assumed.
 */
export interface ClosedWonStages {
  isClosedWon(stageId: string): boolean;
  /** Reads the pipelines now and then every `refreshIntervalMs`; a failed read keeps the last known stages. */
  start(): Promise<void>;
  /** Stops the periodic refresh. */
  stop(): void;
}

const DEFAULT_CLOSED_WON = 'closedwon';
export const CLOSED_WON_REFRESH_MS = 10 * 60_000;

export function closedWonStagesFrom(
  gateway: Pick<HubSpotGateway, 'listPipelines'>,
  logger: Logger,
  refreshIntervalMs = CLOSED_WON_REFRESH_MS,
): ClosedWonStages {
  let stages: ReadonlySet<string> = new Set([DEFAULT_CLOSED_WON]);
  const refresh = async (): Promise<void> => {
    try {
      // `scheduled`: it never holds up a user's request, and waits its turn in the budget.
      const pipelines = await gateway.listPipelines(CRM_OBJECTS.deal.path, { priority: 'scheduled' });
      stages = new Set(
        pipelines.flatMap((p) => p.stages.filter((s) => String(s.metadata?.['isClosed']) === 'true' && Number(s.metadata?.['probability']) === 1).map((s) => s.id)),
      );
    } catch (error) {
      logger.warn({ err: toError(error) }, 'reading deal pipelines failed; keeping the closed-won stages known so far');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    isClosedWon: (stageId) => stages.has(stageId),
    start: async () => {
      await refresh();
      timer ??= setInterval(() => void refresh(), refreshIntervalMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
