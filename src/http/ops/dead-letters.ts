import { z } from 'zod';

import { AppError } from '../../lib/errors.js';
import { scrubText, scrubValue } from '../../lib/redact.js';
import { findCustomerIdByBan } from '../../store/accounts.js';
import { findDeadLetter } from '../../store/dead-letters.js';
import { countOpenDeadLettersMatching, type DeadLetterFilter, ERROR_KINDS, openDeadLetterIds, searchOpenDeadLetters } from '../../store/ops-dead-letters.js';
import { OUTBOX_OBJECT_TYPES } from '../../store/outbox.js';
import { discardDeadLetter, retryDeadLetter } from '../../sync/outbound/dead-letters.js';
import { attemptCode } from '../routes/dead-letters.js';
import { html, type Html, queryString, time } from './html.js';
import { csrfField, mayAct } from './layout.js';
import { type ActionOutcome, OpsPageError, type OpsDeps, type OpsRouter } from './router.js';

/**
 * Dead letters: search with the filters in the URL, the detail of one (payload with personal data
 * masked, every attempt), and retry or discard of one or of every letter a filter matches, after a
 * page that says how many that is.
 */

const PAGE_SIZE = 50;
/** A bulk action works through at most this many letters per confirmation (the rest: confirm again). */
export const BULK_LIMIT = 1000;
/** Matches are counted up to this many; beyond, the page says "more than". */
const COUNT_CAP = 1_000;

const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const hours = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number({ message: 'must be a number of hours' }).int('must be a whole number of hours').min(0, 'must not be negative').max(100_000, 'must be at most 100000').optional());
const filterSchema = z.object({
  objectType: z.preprocess((v) => (v === '' ? undefined : v), z.enum(OUTBOX_OBJECT_TYPES, { message: `must be one of ${OUTBOX_OBJECT_TYPES.join(', ')}` }).optional()),
  errorKind: z.preprocess((v) => (v === '' ? undefined : v), z.enum(ERROR_KINDS, { message: 'must be one of the listed error kinds' }).optional()),
  customer: optionalText.pipe(z.string().regex(/^\d{1,20}$/, 'must be a BAN (digits)').optional()),
  minAgeHours: hours,
  maxAgeHours: hours,
  cursor: optionalText.pipe(z.string().regex(/^\d{1,19}$/, 'must be a page cursor').optional()),
});
type FilterInput = z.infer<typeof filterSchema>;

/** The filter from the query (or a bulk form); a problem per field the operator can read. */
function parseFilter(input: unknown): { filter: FilterInput; problems: string[] } {
  const result = filterSchema.safeParse(input ?? {});
  if (result.success) return { filter: result.data, problems: [] };
  return { filter: {}, problems: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}

async function toStoreFilter(deps: OpsDeps, f: FilterInput): Promise<DeadLetterFilter | null> {
  const customerId = f.customer ? await findCustomerIdByBan(deps.pool, f.customer) : undefined;
  if (customerId === null) return null;
  return { objectType: f.objectType, errorKind: f.errorKind, customerId, minAgeHours: f.minAgeHours, maxAgeHours: f.maxAgeHours };
}

const filterQuery = (f: FilterInput) =>
  ({ objectType: f.objectType, errorKind: f.errorKind, customer: f.customer, minAgeHours: f.minAgeHours, maxAgeHours: f.maxAgeHours });

function select(name: string, label: string, options: readonly string[], value: string | undefined): Html {
  return html`<label for="f-${name}">${label}<select id="f-${name}" name="${name}"><option value="">any</option>${options.map(
    (o) => html`<option value="${o}"${o === value ? html` selected` : ''}>${o}</option>`,
  )}</select></label>`;
}

function filterForm(f: FilterInput, raw: Record<string, unknown>): Html {
  const text = (name: keyof FilterInput, label: string, hint: string) =>
    html`<label for="f-${name}">${label}<input id="f-${name}" name="${name}" value="${typeof raw[name] === 'string' ? raw[name] : (f[name] ?? '')}" inputmode="numeric" size="10" aria-describedby="h-${name}"><span id="h-${name}" class="muted">${hint}</span></label>`;
  return html`<form method="get" action="/ops/dead-letters" class="filters" role="search" aria-label="Filter dead letters">
${select('objectType', 'Object type', OUTBOX_OBJECT_TYPES, f.objectType)}
${select('errorKind', 'Error kind', ERROR_KINDS, f.errorKind)}
${text('customer', 'Customer BAN', 'digits')}
${text('minAgeHours', 'Older than', 'hours')}
${text('maxAgeHours', 'Newer than', 'hours')}
<button type="submit">Filter</button> <a href="/ops/dead-letters">Clear</a></form>`;
}

const retryOrDiscard = z.enum(['retry', 'discard']);
const bulkForm = z.object({ action: retryOrDiscard, expected: z.coerce.number().int().min(0) }).passthrough();

export function deadLetterPages(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops/dead-letters', async ({ request, session }) => {
    const raw = request.query as Record<string, unknown>;
    const { filter, problems } = parseFilter(raw);
    const storeFilter = problems.length ? null : await toStoreFilter(deps, filter);
    if (problems.length === 0 && storeFilter === null) problems.push(`customer: no customer has BAN ${filter.customer}`);
    const [found, counted] = storeFilter
      ? await Promise.all([searchOpenDeadLetters(deps.pool, storeFilter, { limit: PAGE_SIZE, cursor: filter.cursor }), countOpenDeadLettersMatching(deps.pool, storeFilter, COUNT_CAP + 1)])
      : [{ items: [], nextCursor: null }, 0];
    const total = counted > COUNT_CAP ? `more than ${COUNT_CAP}` : String(counted);
    const q = filterQuery(filter);
    const bulk = mayAct(session) && counted > 0
      ? html`<p class="actions"><a href="/ops/dead-letters/bulk${queryString({ ...q, action: 'retry' })}">Retry all ${total} that match…</a>
<a href="/ops/dead-letters/bulk${queryString({ ...q, action: 'discard' })}">Discard all ${total} that match…</a></p>`
      : '';
    const body = html`${filterForm(filter, raw)}
${problems.length ? html`<div class="notice error" role="alert"><p>Some filters are not valid, so nothing is listed:</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<p><strong>${total}</strong> open dead letter${counted === 1 ? '' : 's'} match.</p>
${bulk}
${found.items.length === 0 ? '' : html`<table><caption class="muted">Newest first</caption><thead><tr><th scope="col">Id</th><th scope="col">Object</th><th scope="col">Record</th><th scope="col">Error kind</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Dead-lettered</th>${mayAct(session) ? html`<th scope="col">Actions</th>` : ''}</tr></thead><tbody>
${found.items.map((d) => html`<tr><td><a href="/ops/dead-letters/${d.id}">${d.id}</a></td><td>${d.objectType}</td><td>${d.recordKey}</td><td>${d.errorKind}</td><td>${d.lastError?.status ?? '–'}</td><td class="num">${d.attempts}</td><td>${time(d.createdAt)}</td>
${mayAct(session) ? html`<td>${actionButtons(d.id, session)}</td>` : ''}</tr>`)}</tbody></table>`}
${found.nextCursor ? html`<p><a href="/ops/dead-letters${queryString({ ...q, cursor: found.nextCursor })}">Older dead letters</a></p>` : ''}`;
    return { title: 'Dead letters', section: '/ops/dead-letters', body, status: problems.length ? 400 : 200 };
  });

  router.get('/ops/dead-letters/bulk', async ({ request, session }) => {
    const raw = request.query as Record<string, unknown>;
    const action = retryOrDiscard.safeParse(raw['action']);
    const { filter, problems } = parseFilter(raw);
    if (!action.success || problems.length) throw new OpsPageError(400, `Cannot prepare this bulk action: ${[...(action.success ? [] : ['action: must be retry or discard']), ...problems].join('; ')}`);
    const storeFilter = await toStoreFilter(deps, filter);
    if (!storeFilter) throw new OpsPageError(400, `customer: no customer has BAN ${filter.customer}`);
    const total = await countOpenDeadLettersMatching(deps.pool, storeFilter, BULK_LIMIT + 1);
    const now = Math.min(total, BULK_LIMIT);
    const q = filterQuery(filter);
    const body = html`<p>This will <strong>${action.data}</strong> <strong>${now}</strong> open dead letter${now === 1 ? '' : 's'}${total > now ? html` (the oldest ${now} of more than ${now}; confirm again for the rest)` : ''}, matching:
${Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => html` <code>${k}=${String(v)}</code>`)}${Object.values(q).every((v) => v === undefined) ? ' every open dead letter' : ''}.</p>
<form method="post" action="/ops/dead-letters/bulk${queryString(q)}">${csrfField(session)}<input type="hidden" name="action" value="${action.data}"><input type="hidden" name="expected" value="${now}">
<button type="submit" class="${action.data === 'discard' ? 'danger' : 'primary'}">${action.data === 'retry' ? 'Retry' : 'Discard'} ${now}</button> <a href="/ops/dead-letters${queryString(q)}">Cancel</a></form>`;
    return { title: `Confirm: ${action.data} dead letters`, section: '/ops/dead-letters', body };
  });

  router.post('/ops/dead-letters/bulk', { action: 'dead_letters.bulk', scope: 'write', form: bulkForm }, async ({ request }, form) => {
    const { filter, problems } = parseFilter(request.query);
    const q = filterQuery(filter);
    const back = `/ops/dead-letters${queryString(q)}`;
    const storeFilter = problems.length ? null : await toStoreFilter(deps, filter);
    if (!storeFilter) return { target: `filter ${queryString(q)}`, result: 'refused', message: `The filter is not valid: ${problems.join('; ') || 'unknown customer'}`, redirect: back };
    const ids = await openDeadLetterIds(deps.pool, storeFilter, Math.min(BULK_LIMIT, Math.max(form.expected, 0)));
    let done = 0;
    for (const id of ids) {
      // One at a time, each its own transaction: a letter closed meanwhile by someone else is skipped.
      try {
        await (form.action === 'retry' ? retryDeadLetter(deps.pool, id) : discardDeadLetter(deps.pool, id));
        done++;
      } catch (error) {
        if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      }
    }
    const verb = form.action === 'retry' ? 'Retried' : 'Discarded';
    return { target: `filter ${queryString(q) || '(all)'}`, result: 'ok', message: `${verb} ${done} dead letter${done === 1 ? '' : 's'}`, redirect: back };
  });

  router.get('/ops/dead-letters/:id', async ({ request, session }) => {
    const id = (request.params as { id: string }).id;
    const letter = /^\d{1,19}$/.test(id) ? await findDeadLetter(deps.pool, id) : null;
    if (!letter) throw new OpsPageError(404, `No dead letter ${id}`);
    const body = html`<dl class="facts"><dt>Object</dt><dd>${letter.objectType} ${letter.recordKey}</dd><dt>Status</dt><dd>${letter.status}</dd>
<dt>Dead-lettered</dt><dd>${time(letter.createdAt)}</dd><dt>Closed</dt><dd>${time(letter.resolvedAt)}</dd><dt>Correlation id</dt><dd>${letter.correlationId ?? '–'}</dd></dl>
${letter.status === 'open' && mayAct(session) ? html`<p>${actionButtons(letter.id, session)}</p>` : ''}
<h2>Attempts</h2>
<table><thead><tr><th scope="col">At</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Correlation id</th><th scope="col">Error</th></tr></thead><tbody>
${letter.errors.map((e) => html`<tr><td>${e.at}</td><td>${attemptCode(e)}</td><td>${e.status ?? '–'}</td><td>${e.correlationId ?? '–'}</td><td>${scrubText(e.message, 1000)}</td></tr>`)}</tbody></table>
<h2>What was to be sent</h2><p class="muted">Personal data is masked.</p>
<pre>${JSON.stringify(scrubValue(letter.payload), null, 2)}</pre>`;
    return { title: `Dead letter ${letter.id}`, section: '/ops/dead-letters', body };
  });

  const one = (action: 'retry' | 'discard') =>
    router.post(`/ops/dead-letters/:id/${action}`, { action: `dead_letter.${action}`, scope: 'write', form: z.object({}).passthrough() }, async ({ request }): Promise<ActionOutcome> => {
      const id = (request.params as { id: string }).id;
      const target = `dead letter ${id}`;
      if (!/^\d{1,19}$/.test(id)) return { target, result: 'refused', message: `No dead letter ${id}`, redirect: '/ops/dead-letters' };
      try {
        await (action === 'retry' ? retryDeadLetter(deps.pool, id) : discardDeadLetter(deps.pool, id));
      } catch (error) {
        if (error instanceof AppError && error.statusCode < 500) return { target, result: 'refused', message: error.message, redirect: `/ops/dead-letters/${id}` };
        throw error;
      }
      return { target, result: 'ok', message: `${action === 'retry' ? 'Retried' : 'Discarded'} dead letter ${id}${action === 'retry' ? ': back in the outbox' : ''}`, redirect: '/ops/dead-letters' };
    });
  one('retry');
  one('discard');
}

function actionButtons(id: string, session: Parameters<typeof csrfField>[0]): Html {
  return html`<span class="actions"><form method="post" action="/ops/dead-letters/${id}/retry" class="inline">${csrfField(session)}<button type="submit" aria-label="Retry dead letter ${id}">Retry</button></form>
<form method="post" action="/ops/dead-letters/${id}/discard" class="inline">${csrfField(session)}<button type="submit" class="danger" aria-label="Discard dead letter ${id}">Discard</button></form></span>`;
}
