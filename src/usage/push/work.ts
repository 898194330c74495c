import { pushDailyUsage } from './daily.js';
import type { UsagePushDeps } from './deps.js';
import { pushTrunkHour } from './hourly.js';
import { pushLiveUsage } from './live.js';

export type { UsagePushDeps } from './deps.js';

/** What a scheduled run passes (src/jobs/task.ts ScheduledRun has these and more). */
interface Run {
  slotAt: Date;
  signal: AbortSignal;
}

/** The usage schedules' work, keyed by the task names of src/schedules/catalogue.ts. */
export function usagePushWork(deps: UsagePushDeps): Record<'usage-live' | 'usage-hourly' | 'usage-daily', (run: Run) => Promise<Record<string, number>>> {
  return {
    'usage-live': (run) => pushLiveUsage(deps, run.signal),
    'usage-hourly': (run) => pushTrunkHour(deps, run.slotAt),
    'usage-daily': (run) => pushDailyUsage(deps, run.slotAt),
  };
}
