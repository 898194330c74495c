import type { Pool } from '../../db/pool.js';
import type { OpsAlert } from '../../store/alerts.js';
import type { UsagePushMetrics } from './metrics.js';

/** What the usage schedules need; the composition root supplies the parts that live in other layers. */
export interface UsagePushDeps {
  pool: Pool;
  metrics: UsagePushMetrics;
  /**
   * The credit-limit rule (src/warp/account-rules.ts, applied with spend as its cause) and the
   * status reason it marks the trunks it limits with. Injected: usage code does not import warp.
   */
  creditLimit: { limitedReason: string; apply(ban: string): Promise<unknown> };
  /** Logs an ops alert already recorded and posts it to the alert webhook (sync/outbound/ops-alerts.ts). */
  deliverAlert(alert: OpsAlert): Promise<void>;
  /** The current time; tests pass their own. */
  now(): Date;
}
