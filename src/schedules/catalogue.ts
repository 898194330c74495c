/**
 * Every schedule of the product, one entry each (see README.md in this folder for how to add
 * one). This module is data only: config.ts reads it to parse each schedule's cron setting, the
 * composition root binds each entry's `task` to the work it names.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export interface ScheduleDefinition {
  /**
   * Stable name, used by the API and CLI and as graphile-worker's crontab identifier: renaming a
   * schedule forgets its history, so its missed slots are not filled.
   */
  name: string;
  description: string;
  /** The environment variable whose cron expression (5 fields, UTC) times it. */
  cronSetting: `SCHEDULE_${string}_CRON`;
  defaultCron: string;
  /** Slots missed while no instance ran (an outage, a deploy) run once each, up to this far back. */
  fillWindowMs: number;
  /** The scheduled work it runs: a key of the work map the composition root supplies. */
  task: string;
  /**
   * The serial queue its runs join; default `schedule:<name>`, so a slow run never overlaps the
   * next. Share a queue with other jobs that must not run beside it.
   */
  queue?: string;
  /** Attempts per slot (retried with graphile-worker's back-off); default 3. */
  maxAttempts?: number;
  /** A manual run (`schedules run --at`) of a slot still to come is refused: its work needs the past (month close). */
  pastSlotsOnly?: boolean;
}

export const SCHEDULES = [
  {
    name: 'customer-reconcile',
    description: 'Full reconcile: every company, contact, deal, trunk and number and their associations against the cache and WARP, drift repaired per ownership',
    cronSetting: 'SCHEDULE_CUSTOMER_RECONCILE_CRON',
    defaultCron: '30 1 * * *',
    fillWindowMs: DAY_MS,
    task: 'customer-reconcile',
    // Never beside an import or a manual reconcile: they walk the same records.
    queue: 'customer-sync',
  },
  {
    name: 'reconcile-incremental',
    description: 'Incremental reconcile: records HubSpot changed since the last watermark (search on lastmodifieddate), drift repaired per ownership',
    cronSetting: 'SCHEDULE_RECONCILE_INCREMENTAL_CRON',
    defaultCron: '*/15 * * * *',
    fillWindowMs: 15 * MINUTE_MS,
    task: 'reconcile-incremental',
    queue: 'customer-sync',
  },
  {
    name: 'retention',
    description: 'Deletes finished webhook inbox events and batches older than RETENTION_DAYS, and expired replay guards',
    cronSetting: 'SCHEDULE_RETENTION_CRON',
    defaultCron: '0 2 * * *',
    fillWindowMs: DAY_MS,
    task: 'retention',
  },
  {
    name: 'usage-live',
    description: 'Company warp_active_calls and warp_mtd_spend where changed, summary-note corrections, 80 % threshold alerts, credit limit, first calls',
    cronSetting: 'SCHEDULE_USAGE_LIVE_CRON',
    defaultCron: '*/5 * * * *',
    // After an outage only the current values matter.
    fillWindowMs: 10 * MINUTE_MS,
    task: 'usage-live',
  },
  {
    name: 'usage-hourly',
    description: 'Trunk peak_concurrent_calls and utilization_pct of the last full hour, where changed',
    cronSetting: 'SCHEDULE_USAGE_HOURLY_CRON',
    defaultCron: '5 * * * *',
    fillWindowMs: DAY_MS,
    task: 'usage-hourly',
  },
  {
    name: 'usage-daily',
    description: 'Company warp_mtd_minutes and warp_mtd_spend where changed, and the previous day\'s Daily usage summary notes',
    cronSetting: 'SCHEDULE_USAGE_DAILY_CRON',
    defaultCron: '15 0 * * *',
    fillWindowMs: 3 * DAY_MS,
    task: 'usage-daily',
  },
  {
    name: 'support-sla',
    description: 'SLA escalation: open tickets past warp_sla_breach get priority raised one step, notes and an ops alert, once',
    cronSetting: 'SCHEDULE_SUPPORT_SLA_CRON',
    defaultCron: '*/5 * * * *',
    fillWindowMs: 10 * MINUTE_MS,
    task: 'support-sla',
  },
  {
    name: 'support-rules',
    description: 'Auto-ticket rules on the last full hour of trunk roll-ups (ASR per trunk): raise, recur, close after 2 healthy hours',
    cronSetting: 'SCHEDULE_SUPPORT_RULES_CRON',
    defaultCron: '5 * * * *',
    fillWindowMs: DAY_MS,
    task: 'support-rules',
  },
  {
    name: 'revenue-daily',
    description: 'warp_mrr and warp_usage_revenue_last_month of every customer, sent when changed',
    cronSetting: 'SCHEDULE_REVENUE_DAILY_CRON',
    defaultCron: '20 0 * * *',
    fillWindowMs: 3 * DAY_MS,
    task: 'revenue-daily',
  },
  {
    name: 'month-close',
    description: 'Invoices of the closed month (native HubSpot invoices or notes), revenue rows for the growth metrics, churn analysis',
    cronSetting: 'SCHEDULE_MONTH_CLOSE_CRON',
    defaultCron: '0 3 1 * *',
    fillWindowMs: 35 * DAY_MS,
    task: 'month-close',
    // A slot to come would close a month that has not ended.
    pastSlotsOnly: true,
  },
  {
    name: 'dead-letter-retry',
    description: 'Dead letters of passing causes (5xx, 429, timeouts past the retry budget) back into the outbox once HubSpot answers again, at most 3 times a record a day',
    cronSetting: 'SCHEDULE_DEAD_LETTER_RETRY_CRON',
    defaultCron: '* * * * *',
    fillWindowMs: 5 * MINUTE_MS,
    task: 'dead-letter-retry',
    maxAttempts: 1,
  },
  {
    name: 'ops-sample',
    description: 'One sample a minute of the sync health (inbox, outbox, dead letters, conflicts, HubSpot budget) for the ops dashboard charts, kept 7 days',
    cronSetting: 'SCHEDULE_OPS_SAMPLE_CRON',
    defaultCron: '* * * * *',
    // A missed minute is a gap in a chart, not lost work: only the latest few are filled.
    fillWindowMs: 5 * MINUTE_MS,
    task: 'ops-sample',
    maxAttempts: 1,
  },
] as const satisfies readonly ScheduleDefinition[];

/** The names of the work the product's schedules run: the composition root must supply each. */
export type ScheduledTaskName = (typeof SCHEDULES)[number]['task'];
