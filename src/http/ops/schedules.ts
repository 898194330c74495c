import { z } from 'zod';

import { previousSlot } from '../../schedules/cron.js';
import { listRuns } from '../../schedules/run-history.js';
import { queueSlotRun } from '../../schedules/runtime.js';
import { describeSchedules } from '../../schedules/status.js';
import { listReconcileRuns, type ReconcileRun } from '../../store/reconcile-runs.js';
import { listRecentSyncJobs, type SyncJob } from '../../store/sync-jobs.js';
import type { DriftReport } from '../../sync/reconcile/report.js';
import { duration, html, type Html, time } from './html.js';
import { csrfField, mayAct } from './layout.js';
import { OpsPageError, type OpsDeps, type OpsRouter } from './router.js';

/** Schedules (last and next run, run now), their run history, import jobs with their progress, and reconcile runs with their drift reports. */

/** A bar when the job reports how far it is (`done` of `total`), its counters as text otherwise. */
function progressOf(job: SyncJob): Html {
  const p = job.progress;
  const done = Number(p['done'] ?? p['processed'] ?? NaN);
  const total = Number(p['total'] ?? NaN);
  const counters = Object.entries(p).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
  if (Number.isFinite(done) && Number.isFinite(total) && total > 0) {
    return html`<progress max="${total}" value="${Math.min(done, total)}" aria-label="Job ${job.id} progress">${Math.round((done / total) * 100)} %</progress> <span class="muted">${counters}</span>`;
  }
  return html`<span class="muted">${counters || 'no progress reported yet'}</span>`;
}

const DRIFT_COUNTS = ['read', 'changed', 'created', 'deleted', 'merged', 'unknown', 'invalid'] as const;

/** One line per object type of a run's drift report (written by the reconcile runner, src/sync/reconcile/report.ts). */
function driftOf(run: ReconcileRun): Html {
  const report = run.report as Partial<DriftReport>;
  const lines = Object.entries(report.objects ?? {}).map(([type, counts]) => `${type}: ${DRIFT_COUNTS.map((k) => `${k} ${counts?.[k] ?? 0}`).join(', ')}`);
  const associations = Object.entries(report.associations ?? {}).filter(([, a]) => a.differing > 0).map(([pair, a]) => `${pair}: ${a.differing} differing`);
  const all = [...lines, ...associations];
  return all.length === 0 ? html`<span class="muted">nothing read yet</span>` : html`${all.map((line) => html`<div>${line}</div>`)}`;
}

export function schedulePages(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops/schedules', async ({ request, session }) => {
    const name = z.object({ name: z.string().max(100).optional() }).safeParse(request.query).data?.name || undefined;
    if (name !== undefined && !deps.schedules.some((s) => s.name === name)) throw new OpsPageError(400, `No schedule named "${name}" (known: ${deps.schedules.map((s) => s.name).join(', ')})`);
    const [statuses, runs, jobs, reconciles] = await Promise.all([
      describeSchedules(deps.pool, deps.schedules),
      listRuns(deps.pool, { scheduleName: name, limit: 50 }),
      listRecentSyncJobs(deps.pool, 20),
      listReconcileRuns(deps.pool, 10),
    ]);
    const act = mayAct(session);
    const body = html`<table><thead><tr><th scope="col">Schedule</th><th scope="col">When (UTC)</th><th scope="col">Last run</th><th scope="col">Outcome</th><th scope="col">Next run</th>${act ? html`<th scope="col">Actions</th>` : ''}</tr></thead><tbody>
${statuses.map((s) => html`<tr><td><a href="/ops/schedules?name=${encodeURIComponent(s.schedule.name)}">${s.schedule.name}</a><div class="muted">${s.schedule.description}</div></td><td><code>${s.schedule.cron}</code><div class="muted">${s.schedule.cronSetting}</div></td>
<td>${time(s.lastRun?.startedAt)}</td><td class="${s.status === 'failed' ? 'status-bad' : ''}">${s.status}${s.durationMs !== null ? ` in ${duration(s.durationMs)}` : ''}</td><td>${time(s.nextRunAt)}</td>
${act ? html`<td><form method="post" action="/ops/schedules/${encodeURIComponent(s.schedule.name)}/run" class="inline">${csrfField(session)}<button type="submit" aria-label="Run now: ${s.schedule.name}">Run now</button></form></td>` : ''}</tr>`)}
</tbody></table>
<h2>Recent runs${name ? ` of ${name}` : ''}</h2>
${runs.length === 0 ? html`<p class="muted">No runs yet.</p>` : html`<table><thead><tr><th scope="col">Schedule</th><th scope="col">Slot</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Outcome</th><th scope="col">Counts or error</th></tr></thead><tbody>
${runs.map((r) => html`<tr><td>${r.scheduleName}</td><td>${time(r.slotAt)}</td><td>${r.trigger}</td><td>${time(r.startedAt)}</td><td>${r.endedAt ? duration(r.endedAt.getTime() - r.startedAt.getTime()) : 'running'}</td>
<td class="${r.outcome === 'failed' ? 'status-bad' : ''}">${r.outcome}</td><td>${r.error ? `${r.error.code}: ${r.error.message}` : Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}</td></tr>`)}</tbody></table>`}
<h2>Import and reconcile jobs</h2>
${jobs.length === 0 ? html`<p class="muted">None yet.</p>` : html`<table><thead><tr><th scope="col">Job</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Progress</th></tr></thead><tbody>
${jobs.map((j) => html`<tr><td>${j.id}</td><td>${j.kind}</td><td>${j.status}${j.error ? `: ${j.error.message}` : ''}</td><td>${time(j.startedAt)}</td><td>${time(j.finishedAt)}</td><td>${progressOf(j)}</td></tr>`)}</tbody></table>`}
<h2>Reconcile runs and their drift reports</h2>
${reconciles.length === 0 ? html`<p class="muted">None yet.</p>` : html`<table><thead><tr><th scope="col">Run</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col" class="num">HubSpot requests</th><th scope="col">Drift</th></tr></thead><tbody>
${reconciles.map((r) => html`<tr><td>${r.id}</td><td>${r.mode}${r.dryRun ? ' (dry run)' : ''}</td><td class="${r.status === 'failed' ? 'status-bad' : ''}">${r.status}${r.error ? `: ${r.error.message}` : ''}</td><td>${time(r.startedAt)}</td><td>${time(r.finishedAt)}</td><td class="num">${r.requests}</td><td>${driftOf(r)}</td></tr>`)}</tbody></table>`}`;
    return { title: 'Schedules and runs', section: '/ops/schedules', body };
  });

  router.post('/ops/schedules/:name/run', { action: 'schedule.run', scope: 'write', form: z.object({}).passthrough() }, async ({ request }) => {
    const name = (request.params as { name: string }).name;
    const schedule = deps.schedules.find((s) => s.name === name);
    const target = `schedule ${name}`;
    if (!schedule) return { target, result: 'refused', message: `No schedule named "${name}"`, redirect: '/ops/schedules' };
    const slot = previousSlot(schedule.cron, new Date());
    if (!slot) return { target, result: 'refused', message: `${name} names no slot in the last year`, redirect: '/ops/schedules' };
    await queueSlotRun(deps.pool, schedule, slot);
    return { target, result: 'ok', message: `Queued ${name} for its slot ${slot.toISOString()}; the run appears below when a worker takes it`, redirect: `/ops/schedules?name=${encodeURIComponent(name)}` };
  });
}
