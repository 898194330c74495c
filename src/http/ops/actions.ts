import { z } from 'zod';

import { listOpsActions } from '../../store/ops-actions.js';
import { html, time } from './html.js';
import type { OpsDeps, OpsRouter } from './router.js';

/** The log of operator actions: who did what, on what, when, and what came of it (refusals included). */

const PAGE_SIZE = 100;

export function actionPages(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops/actions', async ({ request }) => {
    const before = z.object({ before: z.string().regex(/^\d{1,19}$/).optional() }).safeParse(request.query).data?.before;
    const actions = await listOpsActions(deps.pool, { limit: PAGE_SIZE, beforeId: before });
    const body = html`${actions.length === 0 ? html`<p class="muted">No actions yet.</p>` : html`<table><caption class="muted">Newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Key</th><th scope="col">Action</th><th scope="col">On</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead><tbody>
${actions.map((a) => html`<tr><td>${time(a.at)}</td><td>${a.keyName}</td><td>${a.action}</td><td>${a.target}</td><td class="${a.result === 'ok' ? 'status-ok' : 'status-bad'}">${a.result}</td><td>${a.detail ?? ''}</td></tr>`)}</tbody></table>`}
${actions.length === PAGE_SIZE ? html`<p><a href="/ops/actions?before=${actions.at(-1)!.id}">Older actions</a></p>` : ''}`;
    return { title: 'Operator actions', section: '/ops/actions', body };
  });
}
