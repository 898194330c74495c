import type { Pool } from '../../db/pool.js';
import type { HubSpotGateway } from '../../hubspot/gateway.js';
import type { ScheduledWork } from '../../jobs/task.js';
import type { Logger } from '../../lib/logger.js';
import { type AlertSink, deliverAlert } from '../outbound/ops-alerts.js';
import { closeMonth, refreshDailyRevenue } from '../../revenue/month-close.js';
import { closedMonthOf } from '../../revenue/months.js';
import { deliverInvoices } from './deliver-invoices.js';

/**
 * The revenue schedules' work (src/schedules/catalogue.ts `revenue-daily`, `month-close`). Month
 * close prices the month before the slot's month, so `schedules run month-close --at
 * 2026-12-01T03:00:00Z` closes November again: it makes nothing new for customers already
 * invoiced, reports them (`invoicesExisting`), and delivers whatever HubSpot has not received yet.
 */
export function revenueWork(deps: { pool: Pool; gateway: HubSpotGateway; logger: Logger; alerts: Omit<AlertSink, 'db' | 'logger'> }): Record<'month-close' | 'revenue-daily', ScheduledWork> {
  const sink: AlertSink = { ...deps.alerts, db: deps.pool, logger: deps.logger };
  return {
    'revenue-daily': (run) => refreshDailyRevenue(deps.pool, run.slotAt.getTime()),
    'month-close': async (run) => {
      const month = closedMonthOf(run.slotAt.getTime());
      const closed = await closeMonth(deps.pool, month, { nowMs: Date.now(), signal: run.signal, deliverAlert: (alert) => deliverAlert(sink, alert) });
      run.logger.info({ month, firstNumber: closed.firstNumber, lastNumber: closed.lastNumber, issued: closed.invoicesIssued, existing: closed.invoicesExisting, held: closed.invoicesHeld }, 'month closed');
      const delivered = await deliverInvoices({ ...deps, logger: run.logger }, month, run.signal);
      const { month: _month, firstNumber: _first, lastNumber: _last, ...counts } = closed;
      return { ...counts, ...delivered };
    },
  };
}
