import { z } from 'zod';

import { withTransaction } from '../../db/pool.js';
import { CRM_PROPERTIES } from '../../domain/crm-catalogue.js';
import { findOpenConflicts, listOpenConflicts, type OpenConflict, reviewConflict } from '../../store/conflict-reviews.js';
import { adoptHubSpotValue, adoptionOf } from '../../warp/adopt-hubspot-value.js';
import { html, queryString, time } from './html.js';
import { csrfField, mayAct } from './layout.js';
import { OpsPageError, type OpsDeps, type OpsRouter } from './router.js';

/**
 * The conflict inbox: HubSpot edits of fields WARP owns, refused and written back. "Keep WARP's
 * value" marks one reviewed; "Take HubSpot's value" makes it a WARP change through WARP's own
 * commands (synced out like any change), then marks it reviewed, in one transaction.
 */

const PAGE_SIZE = 50;
const WARP_PROPERTIES = [...new Set(CRM_PROPERTIES.filter((p) => p.owner === 'warp' && (p.object === 'company' || p.object === 'contact')).map((p) => p.name))];

const listQuery = z.object({
  property: z.preprocess((v) => (v === '' ? undefined : v), z.enum(WARP_PROPERTIES as [string, ...string[]], { message: 'must be a WARP-owned property' }).optional()),
  cursor: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^\d{1,19}$/, 'must be a page cursor').optional()),
});

const idList = z.preprocess((v: unknown): unknown => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().regex(/^\d{1,19}$/)).max(500));
const reviewForm = z.union([
  z.object({ one: z.string().regex(/^(keep|take):\d{1,19}$/) }),
  z.object({ bulk: z.enum(['keep', 'take']), ids: idList }),
]);

type Decision = 'keep' | 'take';

async function decide(deps: OpsDeps, conflict: OpenConflict, decision: Decision, reviewer: string): Promise<string | null> {
  if (decision === 'keep') return (await reviewConflict(deps.pool, conflict.id, 'kept_warp', reviewer)) ? null : 'already reviewed';
  const adoption = conflict.objectType === 'company' ? adoptionOf(conflict.property, conflict.hubspotValue) : null;
  if (!adoption) return `${conflict.property} is computed or issued by WARP: its value cannot be taken from HubSpot`;
  if (!conflict.ban) return 'the company is not a WARP customer';
  const ban = conflict.ban;
  return withTransaction(deps.pool, async (tx) => {
    const result = await adoptHubSpotValue({ tx }, ban, adoption);
    if (!result.ok) return result.message;
    return (await reviewConflict(tx, conflict.id, 'took_hubspot', reviewer)) ? null : 'already reviewed';
  });
}

export function conflictPages(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops/conflicts', async ({ request, session }) => {
    const parsed = listQuery.safeParse(request.query);
    if (!parsed.success) throw new OpsPageError(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { property, cursor } = parsed.data;
    const found = await listOpenConflicts(deps.pool, { property }, { limit: PAGE_SIZE, cursor });
    const act = mayAct(session);
    const rows = found.items.map(
      (c) => html`<tr>${act ? html`<td><input type="checkbox" name="ids" value="${c.id}" id="c-${c.id}" aria-label="Select conflict ${c.id}"></td>` : ''}
<td>${c.ban ? html`<a href="/ops/customers/${c.ban}">${c.customerName ?? c.ban}</a>` : html`${c.objectType} ${c.objectId}`}</td><td><code>${c.property}</code></td>
<td>${c.warpValue ?? '(empty)'}<div class="muted">WARP (owner)</div></td><td>${c.hubspotValue ?? '(empty)'}<div class="muted">HubSpot: ${c.hubspotSource ?? 'unknown source'}, ${time(c.changedAt)}</div></td>
<td>${time(c.detectedAt)}<div class="muted">${c.resolution}</div></td>
${act ? html`<td class="actions"><button type="submit" name="one" value="keep:${c.id}">Keep WARP's value</button><button type="submit" name="one" value="take:${c.id}">Take HubSpot's value</button></td>` : ''}</tr>`,
    );
    const table = html`<table><caption class="muted">Newest first. WARP owns these fields; the HubSpot edit was refused and WARP's value written back.</caption>
<thead><tr>${act ? html`<th scope="col">Select</th>` : ''}<th scope="col">Record</th><th scope="col">Field</th><th scope="col">WARP's value</th><th scope="col">HubSpot's value</th><th scope="col">Detected</th>${act ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
<tbody>${rows}</tbody></table>`;
    const body = html`<form method="get" action="/ops/conflicts" class="filters" role="search" aria-label="Filter conflicts"><label for="f-property">Field<select id="f-property" name="property"><option value="">any</option>
${WARP_PROPERTIES.map((p) => html`<option value="${p}"${p === property ? html` selected` : ''}>${p}</option>`)}</select></label><button type="submit">Filter</button></form>
${found.items.length === 0 ? html`<p>No open conflicts${property ? ` on ${property}` : ''}.</p>` : act ? html`<form method="post" action="/ops/conflicts/review${queryString({ property })}">${csrfField(session)}${table}
<p class="actions"><button type="submit" name="bulk" value="keep">Keep WARP's value for the selected</button><button type="submit" name="bulk" value="take">Take HubSpot's value for the selected</button></p></form>` : table}
${found.nextCursor ? html`<p><a href="/ops/conflicts${queryString({ property, cursor: found.nextCursor })}">Older conflicts</a></p>` : ''}`;
    return { title: 'Conflicts', section: '/ops/conflicts', body };
  });

  router.post('/ops/conflicts/review', { action: 'conflicts.review', scope: 'write', form: reviewForm }, async ({ request, session }, form) => {
    const property = listQuery.safeParse(request.query).data?.property;
    const redirect = `/ops/conflicts${queryString({ property })}`;
    const [decision, ids] = 'one' in form ? [form.one.split(':')[0] as Decision, [form.one.split(':')[1]!]] : [form.bulk, form.ids];
    if (ids.length === 0) return { target: 'conflicts', result: 'refused', message: 'Select at least one conflict first.', redirect };
    const conflicts = await findOpenConflicts(deps.pool, ids);
    const refused: string[] = ids.filter((id) => !conflicts.some((c) => c.id === id)).map((id) => `${id}: already reviewed or unknown`);
    let done = 0;
    for (const conflict of conflicts) {
      const problem = await decide(deps, conflict, decision, session.keyName);
      if (problem) refused.push(`${conflict.id}: ${problem}`);
      else done++;
    }
    const verb = decision === 'keep' ? "Kept WARP's value" : "Took HubSpot's value";
    const message = `${verb} for ${done} conflict${done === 1 ? '' : 's'}${refused.length ? `; not done: ${refused.join('; ')}` : ''}`;
    return { target: `conflicts ${ids.join(',')}`, result: done > 0 ? 'ok' : 'refused', message, redirect };
  });
}
