import { z } from 'zod';

import { propertiesOf } from '../../domain/crm-catalogue.js';
import { type Account, findAccountByBan, searchAccounts } from '../../store/accounts.js';
import { listAccountEvents } from '../../store/account-events.js';
import { describeHeldCurrencies, type InvoiceHold, listOpenHolds } from '../../store/invoice-holds.js';
import { listCustomerInvoices } from '../../store/invoices.js';
import { listNumbers } from '../../store/numbers.js';
import { companyLineage, customerColumns, type LineageEntry } from '../../store/ops-customers.js';
import { searchOpenDeadLetters } from '../../store/ops-dead-letters.js';
import { listCachedTickets } from '../../store/ticket-cache.js';
import { listTrunks } from '../../store/trunks.js';
import { BILLING_CURRENCY } from '../../store/usage-currencies.js';
import { customerUsageByMonth } from '../../store/usage-reads.js';
import { html, type Html, queryString, time } from './html.js';
import { OpsPageError, type OpsDeps, type OpsRouter } from './router.js';

/**
 * Customers: search by name, BAN or domain; a customer's page with every synced company field
 * (owner side, value, and where each value came from), trunks and numbers, usage, recent events,
 * open dead letters, open tickets (the ticket cache), the latest invoices and the invoices held.
 */

const LINEAGE_ROWS = 200;
const LATEST_INVOICES = 12;
const search = z.object({
  q: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  cursor: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^\d{1,19}$/, 'must be a page cursor').optional()),
});

const valueText = (value: string | null | undefined): string => (value === null || value === undefined || value === '' ? '(empty)' : value);

function lineageList(entries: readonly LineageEntry[]): Html {
  if (entries.length === 0) return html`<span class="muted">no recorded change</span>`;
  return html`<ul>${entries.slice(0, 10).map(
    (e) => html`<li>${time(e.at)} <strong>${e.source}</strong> (${e.event}): ${e.masked ? 'changed (personal data, values not kept)' : html`${valueText(e.before)} → ${valueText(e.after)}`}</li>`,
  )}</ul>`;
}

function factsTable(account: Account, columns: Record<string, string | null>, lineage: readonly LineageEntry[]): Html {
  const rows = propertiesOf('company').map((p) => {
    const computed = p.column === null && p.out ? (account as unknown as Record<string, unknown>)[p.out] : undefined;
    const value = p.column ? columns[p.column] : typeof computed === 'number' || typeof computed === 'string' || typeof computed === 'boolean' ? String(computed) : null;
    const history = lineage.filter((e) => e.field === p.column || e.field === p.name);
    return html`<tr><th scope="row">${p.label}<div class="muted"><code>${p.name}</code></div></th><td>${p.owner === 'warp' ? 'WARP' : 'HubSpot'}</td><td>${valueText(value)}</td><td>${lineageList(history)}</td></tr>`;
  });
  return html`<table><caption class="muted">Each synced company field: who owns it, the value WARP holds, and where its recent values came from (webhook, reconcile, import, refused HubSpot edits)</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Owner</th><th scope="col">Value</th><th scope="col">Lineage (newest first)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Months month close did not invoice (docs/revenue.md "Held invoices"); nothing when none is held. */
function heldTable(holds: readonly InvoiceHold[]): Html | string {
  if (holds.length === 0) return '';
  return html`<h3 id="held-invoices">Held invoices (${holds.length})</h3>
<table><caption class="muted">Not issued until the records are re-rated in ${BILLING_CURRENCY} and the month is closed again</caption><thead><tr><th scope="col">Month</th><th scope="col">Reason</th><th scope="col">Currencies</th><th scope="col">Held</th><th scope="col">Last checked</th></tr></thead><tbody>${holds.map((h) => html`<tr><td>${h.month}</td><td>${h.reason}</td><td>${describeHeldCurrencies(h.details)}</td><td>${time(h.heldAt)}</td><td>${time(h.checkedAt)}</td></tr>`)}</tbody></table>`;
}

export function customerPages(router: OpsRouter, deps: OpsDeps): void {
  router.get('/ops/customers', async ({ request }) => {
    const parsed = search.safeParse(request.query);
    if (!parsed.success) throw new OpsPageError(400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { q, cursor } = parsed.data;
    const found = await searchAccounts(deps.pool, { q: q || undefined }, { limit: 50, cursor });
    const body = html`<form method="get" action="/ops/customers" class="filters" role="search" aria-label="Search customers"><label for="q">Name, BAN or domain<input id="q" name="q" value="${q ?? ''}" size="30"></label><button type="submit">Search</button></form>
${found.items.length === 0 ? html`<p>No customers match.</p>` : html`<table><thead><tr><th scope="col">BAN</th><th scope="col">Name</th><th scope="col">Domain</th><th scope="col">Status</th><th scope="col" class="num">Trunks</th><th scope="col" class="num">Numbers</th></tr></thead><tbody>
${found.items.map((a) => html`<tr><td><a href="/ops/customers/${a.ban ?? ''}">${a.ban}</a></td><td>${a.name ?? '(no name)'}</td><td>${a.domain ?? ''}</td><td>${a.status}</td><td class="num">${a.trunkCount}</td><td class="num">${a.numberCount}</td></tr>`)}</tbody></table>`}
${found.nextCursor ? html`<p><a href="/ops/customers${queryString({ q, cursor: found.nextCursor })}">More customers</a></p>` : ''}`;
    return { title: 'Customers', section: '/ops/customers', body };
  });

  router.get('/ops/customers/:ban', async ({ request }) => {
    const ban = (request.params as { ban: string }).ban;
    const account = /^\d{1,20}$/.test(ban) ? await findAccountByBan(deps.pool, ban) : null;
    if (!account) throw new OpsPageError(404, `No customer with BAN ${ban}`);
    const month = new Date().toISOString().slice(0, 7);
    const [columns, lineage, trunks, numbers, events, letters, usage, tickets, invoices, holds] = await Promise.all([
      customerColumns(deps.pool, ban),
      account.hubspotCompanyId ? companyLineage(deps.pool, account.hubspotCompanyId, LINEAGE_ROWS) : Promise.resolve([]),
      listTrunks(deps.pool, account.id, { limit: 100 }),
      listNumbers(deps.pool, account.id, { limit: 100 }),
      listAccountEvents(deps.pool, account.id, { limit: 20 }),
      searchOpenDeadLetters(deps.pool, { customerId: account.id }, { limit: 20 }),
      customerUsageByMonth(deps.pool, account.id, `${month}-01`, `${month}-01`),
      listCachedTickets(deps.pool, account.id, { openOnly: true }),
      listCustomerInvoices(deps.pool, account.id),
      listOpenHolds(deps.pool, account.id),
    ]);
    const latestInvoices = invoices.slice(0, LATEST_INVOICES);
    const thisMonth = usage[0];
    const body = html`<dl class="facts"><dt>BAN</dt><dd>${account.ban}</dd><dt>HubSpot company</dt><dd>${account.hubspotCompanyId ?? 'not in HubSpot yet'}</dd><dt>Status</dt><dd>${account.status}</dd></dl>
<h2>Fields and their lineage</h2>
${factsTable(account, columns ?? {}, lineage)}
<div class="side-by-side"><section aria-labelledby="trunks"><h2 id="trunks">Trunks (${trunks.items.length}${trunks.nextCursor ? '+' : ''})</h2>
${trunks.items.length === 0 ? html`<p class="muted">None.</p>` : html`<table><thead><tr><th scope="col">Trunk</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col" class="num">Channels</th></tr></thead><tbody>${trunks.items.map((t) => html`<tr><td>${t.trunkId}</td><td>${t.name}</td><td>${t.status}</td><td class="num">${t.concurrentCalls}</td></tr>`)}</tbody></table>`}</section>
<section aria-labelledby="numbers"><h2 id="numbers">Numbers (${numbers.items.length}${numbers.nextCursor ? '+' : ''})</h2>
${numbers.items.length === 0 ? html`<p class="muted">None.</p>` : html`<table><thead><tr><th scope="col">Number</th><th scope="col">Type</th><th scope="col">Trunk</th></tr></thead><tbody>${numbers.items.map((n) => html`<tr><td>${n.number}</td><td>${n.type}</td><td>${n.trunkId ?? '–'}</td></tr>`)}</tbody></table>`}</section></div>
<h2>Usage this month (${month})</h2>
${thisMonth ? html`<p>${thisMonth.calls_completed} calls completed, spend ${thisMonth.spend}</p>` : html`<p class="muted">No usage recorded this month.</p>`}
<h2>Open dead letters</h2>
${letters.items.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${letters.items.map((d) => html`<li><a href="/ops/dead-letters/${d.id}">${d.objectType} ${d.recordKey}</a>: ${d.errorKind}, ${time(d.createdAt)}</li>`)}</ul>`}
<h2>Recent events</h2>
${events.items.length === 0 ? html`<p class="muted">None.</p>` : html`<table><thead><tr><th scope="col">Event</th><th scope="col">Occurred</th><th scope="col">Sent to HubSpot</th></tr></thead><tbody>${events.items.map((e) => html`<tr><td>${e.kind}</td><td>${time(e.occurredAt)}</td><td>${time(e.sentAt)}</td></tr>`)}</tbody></table>`}
<div class="side-by-side"><section aria-labelledby="tickets"><h2 id="tickets">Open tickets (${tickets.length})</h2>
${tickets.length === 0 ? html`<p class="muted">None.</p>` : html`<table><thead><tr><th scope="col">Ticket</th><th scope="col">Subject</th><th scope="col">Priority</th><th scope="col">Updated</th></tr></thead><tbody>${tickets.map((t) => html`<tr><td>${t.hubspotId}</td><td>${t.subject ?? '–'}</td><td>${t.priority ?? '–'}</td><td>${time(t.updatedAt)}</td></tr>`)}</tbody></table>`}</section>
<section aria-labelledby="invoices"><h2 id="invoices">Invoices (latest ${latestInvoices.length} of ${invoices.length})</h2>
${latestInvoices.length === 0 ? html`<p class="muted">None yet: invoices are issued when a month closes.</p>` : html`<table><thead><tr><th scope="col">Number</th><th scope="col">Month</th><th scope="col" class="num">Total</th><th scope="col">In HubSpot</th></tr></thead><tbody>${latestInvoices.map((i) => html`<tr><td>${i.number}</td><td>${i.month}</td><td class="num">${i.total} ${i.currency}</td><td>${i.hubspotSentAt ? html`${i.hubspotPath ?? ''} ${time(i.hubspotSentAt)}` : 'not yet'}</td></tr>`)}</tbody></table>`}
${heldTable(holds)}</section></div>`;
    return { title: account.name ?? `Customer ${ban}`, section: '/ops/customers', body };
  });
}
