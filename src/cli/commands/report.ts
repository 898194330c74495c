import { parseArgs } from 'node:util';

import { AppError } from '../../lib/errors.js';
import { type MetricsView, presentMetrics } from '../../revenue/growth.js';
import { revenueReport } from '../../revenue/report.js';
import { type CliCommand, UsageError } from '../command.js';
import { withDb } from '../database.js';

const USAGE = `Usage:
  npm run cli -- report revenue --from YYYY-MM --to YYYY-MM [--json] [--recompute]

revenue    Growth metrics of every closed month of the range: MRR at the month's end and its
           movements (new, expansion, contraction, churn, reactivation), paying customers, customer
           churn rate, net revenue retention, usage revenue (beside MRR, never in it).
           --recompute rebuilds the months' revenue rows from the stored facts first (invoices
           never change). --json prints one JSON document for scripts.`;

const COLUMNS: Array<[string, number, (m: MetricsView) => string]> = [
  ['month', 7, (m) => m.month],
  ['MRR', 11, (m) => m.mrr],
  ['new', 10, (m) => m.movements.new],
  ['expansion', 10, (m) => m.movements.expansion],
  ['contraction', 11, (m) => m.movements.contraction],
  ['churn', 10, (m) => m.movements.churn],
  ['reactiv.', 10, (m) => m.movements.reactivation],
  ['customers', 9, (m) => String(m.customers)],
  ['churn %', 7, (m) => (m.customerChurnRatePct === null ? '-' : m.customerChurnRatePct.toFixed(1))],
  ['NRR %', 7, (m) => (m.netRevenueRetentionPct === null ? '-' : m.netRevenueRetentionPct.toFixed(1))],
  ['usage rev.', 11, (m) => m.usageRevenue],
];

export function revenueTable(months: readonly MetricsView[]): string[] {
  const row = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(COLUMNS[i]![1]) : cell.padStart(COLUMNS[i]![1]))).join('  ');
  return [row(COLUMNS.map(([title]) => title)), ...months.map((m) => row(COLUMNS.map(([, , value]) => value(m))))];
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'Revenue report: MRR movements, churn, retention, usage revenue per month',
  usage: USAGE,
  async run(args, context) {
    const [what, ...rest] = args;
    if (what !== 'revenue') throw new UsageError(what ? `Unknown report "${what}"` : 'Name the report (revenue)');
    const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean', default: false }, recompute: { type: 'boolean', default: false } } });
    if (!values.from || !values.to) throw new UsageError('Give --from YYYY-MM and --to YYYY-MM');
    const { from, to } = values;
    const months = await withDb(context, async (db) => {
      try {
        return await revenueReport(db.pool, from, to, { nowMs: Date.now(), recompute: values.recompute });
      } catch (error) {
        // Bad input (a month not closed, before any usage, from after to) is a usage error: exit code 2.
        if (error instanceof AppError && error.statusCode === 400) throw new UsageError(error.message);
        throw error;
      }
    });
    const views = months.map(presentMetrics);
    if (values.json) context.out(JSON.stringify({ months: views }));
    else for (const line of revenueTable(views)) context.out(line);
  },
};
