import type { Pool } from '../../db/pool.js';
import { withTransaction } from '../../db/pool.js';
import type { HubSpotGateway } from '../../hubspot/gateway.js';
import { isHubSpotError } from '../../hubspot/errors.js';
import type { Logger } from '../../lib/logger.js';
import { enqueue } from '../../store/outbox.js';
import {
  type Invoice, type InvoiceLineView, invoiceLines, markInvoicesDispatched, markInvoicesSent, recordHubspotInvoiceIds, undeliveredInvoices,
} from '../../store/invoices.js';
import { eventChange } from '../../warp/changes.js';

/**
 * Sends a closed month's invoices to HubSpot (docs/revenue.md "Invoices in HubSpot"): as native
 * invoices (0-53) with their line items, associated with the company, when the portal has the
 * invoices object and our token its scopes; otherwise as the *Invoice generated* note through the
 * outbox. Each invoice is marked dispatched before the first call, so a retry after a crash looks
 * it up (by its number in `hs_title`) instead of creating it twice. Only amounts, dates, numbers
 * and descriptions go out: never card or bank data (the gateway's outgoing guard checks as well).
 */

const DELIVERY_BATCH = 100;
/** HubSpot-defined association types (docs/hubspot-facts.md "Invoices"). */
export const INVOICE_TO_COMPANY = 179;
export const LINE_ITEM_TO_INVOICE = 410;

export interface DeliveryDeps {
  pool: Pool;
  gateway: HubSpotGateway;
  logger: Logger;
}

export interface DeliveryCounts {
  nativeInvoices: number;
  lineItems: number;
  notes: number;
  /** Left for the next run: no HubSpot company yet, or HubSpot refused (logged). */
  deferred: number;
}

/** Whether the portal takes native invoices: reading their properties answers 403 when it cannot (or the scopes are missing). */
export async function portalTakesInvoices(gateway: HubSpotGateway, signal?: AbortSignal): Promise<boolean> {
  try {
    await gateway.listProperties('invoices', { priority: 'scheduled', ...(signal ? { signal } : {}) });
    return true;
  } catch (error) {
    if (isHubSpotError(error, 'auth') || isHubSpotError(error, 'not_found')) return false;
    throw error;
  }
}

export async function deliverInvoices(deps: DeliveryDeps, month: string, signal?: AbortSignal): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { nativeInvoices: 0, lineItems: 0, notes: 0, deferred: 0 };
  const native = await portalTakesInvoices(deps.gateway, signal);
  const skipped = new Set<string>();
  for (;;) {
    signal?.throwIfAborted();
    const batch = (await undeliveredInvoices(deps.pool, month, DELIVERY_BATCH + skipped.size)).filter((i) => !skipped.has(i.id)).slice(0, DELIVERY_BATCH);
    if (batch.length === 0) break;
    if (native) {
      const done = await deliverNative(deps, batch, counts, signal);
      for (const invoice of batch) if (!done.has(invoice.id)) skipped.add(invoice.id);
    } else {
      await queueNotes(deps.pool, batch);
      counts.notes += batch.length;
    }
  }
  counts.deferred = skipped.size;
  return counts;
}

/** The note path: one account event per invoice (the outbox writes it once, whatever the retries). */
async function queueNotes(pool: Pool, invoices: readonly Invoice[]): Promise<void> {
  const lines = await invoiceLines(pool, invoices.map((i) => i.id));
  await withTransaction(pool, async (tx) => {
    const changes = [];
    for (const invoice of invoices) {
      const own = lines.get(invoice.id) ?? [];
      changes.push(await eventChange(tx, invoice.customerId, {
        kind: 'invoice_generated',
        occurredAt: new Date(`${invoice.invoiceDate}T00:00:00Z`),
        fields: {
          invoice_number: invoice.number, month: invoice.month, invoice_date: invoice.invoiceDate, due_date: invoice.dueDate, currency: invoice.currency,
          recurring: invoice.recurringTotal, usage: invoice.usageTotal, adjustments: invoice.adjustmentTotal, total: invoice.total, lines: own.length,
        },
      }));
    }
    await enqueue(tx, changes);
    await markInvoicesDispatched(tx, invoices.map((i) => i.id), 'note');
    await markInvoicesSent(tx, invoices.map((i) => i.id));
  });
}

const isoDay = (day: string): string => `${day}T00:00:00.000Z`;

/** Returns the ids of the invoices now fully in HubSpot. */
async function deliverNative(deps: DeliveryDeps, invoices: readonly Invoice[], counts: DeliveryCounts, signal?: AbortSignal): Promise<Set<string>> {
  const options = { priority: 'scheduled' as const, ...(signal ? { signal } : {}) };
  const ready = invoices.filter((i) => i.hubspotCompanyId !== null);
  const recovered = await findCreatedBefore(deps, ready.filter((i) => i.hubspotDispatchedAt !== null && i.hubspotInvoiceId === null), options);
  const toCreate = ready.filter((i) => i.hubspotInvoiceId === null && !recovered.has(i.id));
  await markInvoicesDispatched(deps.pool, toCreate.map((i) => i.id), 'native');
  const created = await deps.gateway.batchCreate('invoices', toCreate.map((invoice) => ({
    objectWriteTraceId: invoice.number,
    properties: {
      hs_currency: invoice.currency, hs_invoice_date: isoDay(invoice.invoiceDate), hs_due_date: isoDay(invoice.dueDate),
      hs_title: invoice.number, hs_comments: `WARP invoice ${invoice.number} for ${invoice.month}`,
    },
    associations: [{ toObjectId: invoice.hubspotCompanyId!, associationTypeId: INVOICE_TO_COMPANY }],
  })), options);
  for (const failure of created.failures) deps.logger.warn({ invoice: failure.input.objectWriteTraceId, category: failure.category, message: failure.message }, 'HubSpot refused an invoice; retried at the next run');
  const newIds = created.results.filter((r) => r.inputIndex !== undefined).map((r) => ({ id: toCreate[r.inputIndex!]!.id, hubspotId: r.id }));
  await recordHubspotInvoiceIds(deps.pool, [...newIds, ...[...recovered].map(([id, hubspotId]) => ({ id, hubspotId }))]);
  counts.nativeInvoices += newIds.length;

  // Line items: for invoices created now, and recovered ones that have none yet.
  const hubspotIdOf = new Map<string, string>([...invoices.filter((i) => i.hubspotInvoiceId).map((i) => [i.id, i.hubspotInvoiceId!] as const), ...newIds.map((n) => [n.id, n.hubspotId] as const), ...recovered]);
  const needLines = await withoutLineItems(deps, [...hubspotIdOf], options, new Set(newIds.map((n) => n.id)));
  const lines = await invoiceLines(deps.pool, needLines);
  const inputs = needLines.flatMap((id) => (lines.get(id) ?? []).map((line) => ({ invoiceId: id, line })));
  const createdLines = await deps.gateway.batchCreate('line_items', inputs.map(({ invoiceId, line }) => lineItemInput(line, invoices.find((i) => i.id === invoiceId)!.currency, hubspotIdOf.get(invoiceId)!)), options);
  const failedInvoices = new Set(createdLines.failures.map((f) => inputs[f.index]!.invoiceId));
  for (const failure of createdLines.failures) deps.logger.warn({ category: failure.category, message: failure.message }, 'HubSpot refused a line item; its invoice is completed at the next run');
  counts.lineItems += createdLines.results.length;
  const done = [...hubspotIdOf.keys()].filter((id) => !failedInvoices.has(id));
  await markInvoicesSent(deps.pool, done);
  return new Set(done);
}

function lineItemInput(line: InvoiceLineView, currency: string, hubspotInvoiceId: string) {
  return {
    properties: { name: line.description.slice(0, 250), description: line.description, quantity: line.quantity, price: line.unitAmount, hs_line_item_currency_code: currency },
    associations: [{ toObjectId: hubspotInvoiceId, associationTypeId: LINE_ITEM_TO_INVOICE }],
  };
}

/** Invoices an earlier attempt may have created: found by their number (`hs_title`). */
async function findCreatedBefore(deps: DeliveryDeps, invoices: readonly Invoice[], options: { priority: 'scheduled'; signal?: AbortSignal }): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const invoice of invoices) {
    const page = await deps.gateway.search('invoices', { filterGroups: [{ filters: [{ propertyName: 'hs_title', operator: 'EQ', value: invoice.number }] }], properties: ['hs_title'], limit: 1 }, options);
    const match = page.results[0];
    if (match) found.set(invoice.id, match.id);
  }
  return found;
}

/** Of the (invoice id, HubSpot id) pairs, those whose HubSpot invoice has no line items yet; `fresh` ones have none by construction. */
async function withoutLineItems(deps: DeliveryDeps, pairs: ReadonlyArray<readonly [string, string]>, options: { priority: 'scheduled'; signal?: AbortSignal }, fresh: ReadonlySet<string>): Promise<string[]> {
  const out: string[] = [];
  for (const [id, hubspotId] of pairs) {
    if (fresh.has(id)) out.push(id);
    else if ((await deps.gateway.listAssociations({ objectType: 'invoices', id: hubspotId }, 'line_items', options)).length === 0) out.push(id);
  }
  return out;
}
