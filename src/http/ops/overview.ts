import { z } from 'zod';

import { listRuns } from '../../schedules/run-history.js';
import { describeSchedules } from '../../schedules/status.js';
import { searchOpenDeadLetters } from '../../store/ops-dead-letters.js';
import { measureHealth, readSamples, type SampleField } from '../../store/ops-samples.js';
import { lineChart } from './chart.js';
import { duration, html, type Html, meter, time } from './html.js';
import { OpsPageError, type OpsDeps, type OpsRouter } from './router.js';

/** The overview: is the sync healthy, what is waiting, how much HubSpot budget is used, what failed lately. */

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
const query = z.object({ range: z.enum(['1h', '24h', '7d']).default('24h') });

/** A lag over this is shown as a problem (the sync promises near-real-time). */
const LAG_WARN_MS = 5 * 60_000;

async function rateLimitedCount(deps: OpsDeps): Promise<number | null> {
  const metric = deps.metrics.getSingleMetric('warp_hubspot_gateway_rate_limited_total');
  if (!metric) return null;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

const card = (label: string, figure: string | number, level: 'ok' | 'warn' | 'bad', detail: Html | string = ''): Html =>
  html`<div class="card"><div class="label">${label}</div><div class="figure status-${level}">${figure}</div><div class="muted">${detail}</div></div>`;

const CHARTS: ReadonlyArray<[SampleField, string, (v: number) => string]> = [
  ['outboxPending', 'Outbox depth', String],
  ['outboxLagMs', 'Outbox lag', duration],
  ['inboxPending', 'Inbox depth', String],
  ['inboxLagMs', 'Inbox lag', duration],
  ['deadLettersOpen', 'Open dead letters', String],
  ['conflictsOpen', 'Open conflicts', String],
  ['burstUsed', 'HubSpot burst use', String],
  ['dailyUsed', 'HubSpot daily use', String],
];

export function overviewPage(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops', async ({ request }) => {
    const parsed = query.safeParse(request.query);
    if (!parsed.success) throw new OpsPageError(400, 'range must be 1h, 24h or 7d');
    const range = parsed.data.range;
    const { burstLimit, burstWindowMs, dailyLimit } = deps.hubspotLimits;
    const [health, limited, schedules, samples, recentLetters, runs] = await Promise.all([
      measureHealth(deps.pool, burstWindowMs),
      rateLimitedCount(deps),
      describeSchedules(deps.pool, deps.schedules),
      readSamples(deps.pool, RANGES[range], 120),
      searchOpenDeadLetters(deps.pool, {}, { limit: 5 }),
      listRuns(deps.pool, { limit: 50 }),
    ]);
    const { inbox, budget } = health;
    const burstMax = Math.min(burstLimit, budget.observedBurstLimit ?? burstLimit);
    const dailyMax = Math.min(dailyLimit, budget.observedDailyLimit ?? dailyLimit);
    const failedRuns = runs.filter((r) => r.outcome === 'failed' || r.outcome === 'abandoned').slice(0, 5);
    const problems = [
      health.outboxLagMs > LAG_WARN_MS && 'outbox lag',
      health.inboxLagMs > LAG_WARN_MS && 'inbox lag',
      health.deadLettersOpen > 0 && 'dead letters',
      inbox.failed > 0 && 'failed inbox events',
      schedules.some((s) => s.status === 'failed') && 'a failed schedule',
    ].filter((p): p is string => typeof p === 'string');
    const body = html`
<p class="${problems.length ? 'status-warn' : 'status-ok'}"><strong>${problems.length ? `Needs attention: ${problems.join(', ')}` : 'Healthy: nothing waiting too long, nothing failed'}</strong></p>
<section aria-labelledby="now"><h2 id="now">Now</h2><div class="cards">
${card('Outbox (to HubSpot)', health.outboxPending, health.outboxLagMs > LAG_WARN_MS ? 'bad' : 'ok', `oldest waiting ${duration(health.outboxLagMs)}`)}
${card('Inbox (from HubSpot)', health.inboxPending, health.inboxLagMs > LAG_WARN_MS ? 'bad' : 'ok', html`oldest waiting ${duration(health.inboxLagMs)}; ${inbox.failed} failed; last applied ${time(inbox.lastAppliedAt)}`)}
${card('Open dead letters', health.deadLettersOpen, health.deadLettersOpen > 0 ? 'bad' : 'ok', html`<a href="/ops/dead-letters">Inspect, retry or discard</a>`)}
${card('Open conflicts', health.conflictsOpen, health.conflictsOpen > 0 ? 'warn' : 'ok', html`<a href="/ops/conflicts">Review</a>`)}
${card('HubSpot 429s', limited ?? '–', limited ? 'warn' : 'ok', 'since this process started')}
</div>
<h2>HubSpot rate budget</h2>
${meter(`Burst (${duration(burstWindowMs)} window)`, budget.burstUsed, burstMax)}
${meter('Daily (UTC day)', budget.dailyUsed, dailyMax)}
</section>
<section aria-labelledby="schedules"><h2 id="schedules">Schedules</h2>
<table><thead><tr><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Outcome</th><th scope="col">Took</th><th scope="col">Next run</th></tr></thead><tbody>
${schedules.map((s) => html`<tr><td><a href="/ops/schedules?name=${encodeURIComponent(s.schedule.name)}">${s.schedule.name}</a></td><td>${time(s.lastRun?.startedAt)}</td>
<td class="${s.status === 'failed' ? 'status-bad' : ''}">${s.status}</td><td>${duration(s.durationMs)}</td><td>${time(s.nextRunAt)}</td></tr>`)}
</tbody></table></section>
<section aria-labelledby="history"><h2 id="history">Over time</h2>
<p>Range: ${(['1h', '24h', '7d'] as const).map((r) => (r === range ? html`<strong aria-current="true">${r}</strong> ` : html`<a href="/ops?range=${r}">${r}</a> `))}</p>
<div class="charts">${CHARTS.map(([field, label, unit]) => lineChart(label, samples.map((s) => ({ at: s.at, value: s[field] })), range, unit))}</div></section>
<section aria-labelledby="errors"><h2 id="errors">Recent errors</h2>
<h3>Newest dead letters</h3>
${recentLetters.items.length === 0 ? html`<p class="muted">None open.</p>` : html`<ul>${recentLetters.items.map((d) => html`<li><a href="/ops/dead-letters/${d.id}">${d.objectType} ${d.recordKey}</a>: ${d.errorKind} (${d.lastError?.status ?? 'no status'}), ${time(d.createdAt)}</li>`)}</ul>`}
<h3>Inbox events that failed</h3>
${inbox.lastErrors.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${inbox.lastErrors.map((e) => html`<li>${e.subscriptionType} ${e.objectId ?? ''}: ${e.error.code}: ${e.error.message} ${time(e.at)}</li>`)}</ul>`}
<h3>Failed schedule runs</h3>
${failedRuns.length === 0 ? html`<p class="muted">None among the latest 50 runs.</p>` : html`<ul>${failedRuns.map((r) => html`<li>${r.scheduleName} slot ${time(r.slotAt)}: ${r.outcome}${r.error ? `: ${r.error.code}: ${r.error.message}` : ''}</li>`)}</ul>`}
</section>`;
    return { title: 'Overview', section: '/ops', body };
  });
}
