import { CACHED_TICKET_PROPERTIES, customersOfCompanies, linkTicketCustomer, markTicketDeleted, markTicketLive, applyTicketSnapshot, readTickets } from '../../store/ticket-cache.js';
import { linkTargets } from '../../store/reconcile-marks.js';
import type { PageContext, PageWork } from './page-context.js';
import { associationReport, count, objectReport } from './report.js';
import type { ReconcileRecord } from './source.js';

/**
 * One page of HubSpot tickets against the ticket cache (store/ticket-cache.ts). The cache keeps
 * HubSpot's values whoever made them, so there is no ownership to apply: a ticket the cache lacks
 * (or has deleted) is created, a property that differs is applied at the ticket's last
 * modification (never over a newer webhook), the customer follows the ticket's primary company,
 * and tickets merged into a listed one are marked merged.
 */

const emptyAsNull = (value: string | null | undefined) => (value === undefined || value === '' ? null : value);

export async function compareTicketPage(ctx: PageContext, records: readonly ReconcileRecord[]): Promise<PageWork> {
  const report = objectReport(ctx.report, 'ticket');
  report.read += records.length;
  const mergedInto = new Map<string, string>();
  for (const record of records) {
    for (const id of (record.properties['hs_merged_object_ids'] ?? '').split(';').filter(Boolean)) if (id !== record.id) mergedInto.set(id, record.id);
  }
  const [cached, customers] = await Promise.all([
    readTickets(ctx.db, [...records.map((r) => r.id), ...mergedInto.keys()]),
    customersOfCompanies(ctx.db, records.flatMap((r) => r.associated.company?.slice(0, 1) ?? [])),
  ]);
  const linked = [...cached.values()].flatMap((t) => (t.customerId === null ? [] : [t.customerId]));
  const targets = await linkTargets(ctx.db, 'company', linked, ctx.listed.has('company') ? { runId: ctx.runId, startedAt: ctx.startedAt } : null);
  const merged = [...mergedInto.keys()].filter((id) => cached.get(id)?.deleted === false);
  if (merged.length > 0) {
    report.merged += merged.length;
    count(report.actions, 'mark merged in the ticket cache', merged.length);
  }
  const link = associationReport(ctx.report, 'ticket→company');
  const repairs: Array<{ record: ReconcileRecord; restore: boolean; apply: boolean; customerId: string | null | undefined }> = [];
  for (const record of records) {
    const row = cached.get(record.id);
    const company = record.associated.company?.[0];
    const customerId = company === undefined ? null : (customers.get(company) ?? null);
    if (!row || row.deleted) {
      count(report.actions, row ? 'restore in the ticket cache' : 'create in the ticket cache');
      report.created++;
      repairs.push({ record, restore: row !== undefined, apply: true, customerId });
      continue;
    }
    const fields = CACHED_TICKET_PROPERTIES.filter((p) => emptyAsNull(record.properties[p]) !== row.values[p]);
    for (const p of fields) count(report.fields, p);
    if (fields.length > 0) report.changed++;
    link.compared++;
    const relink = customerId !== row.customerId;
    if (relink) {
      // A link to a company deleted or merged in HubSpot follows from that drift.
      if (row.customerId !== null && targets.get(row.customerId)?.gone) link.consequential++;
      else link.differing++;
      count(link.actions, 'link as in HubSpot');
    }
    if (fields.length > 0 || relink) repairs.push({ record, restore: false, apply: fields.length > 0, customerId: relink ? customerId : undefined });
  }
  const marks = ctx.mode === 'full' ? { type: 'ticket' as const, seen: records.map((r) => r.id), merged } : null;
  if (ctx.dryRun || merged.length + repairs.length === 0) return { marks, repair: null };
  return {
    marks,
    repair: async (tx) => {
      for (const id of merged) await markTicketDeleted(tx, id, new Date(), mergedInto.get(id)!);
      for (const { record, restore, apply, customerId } of repairs) {
        const at = new Date(record.updatedAt);
        if (restore) await markTicketLive(tx, record.id, at);
        if (apply) await applyTicketSnapshot(tx, { hubspotId: record.id, customerId: customerId ?? null, properties: record.properties, at });
        // The snapshot keeps a customer it is not given: a link HubSpot removed is cleared here.
        if (customerId !== undefined) await linkTicketCustomer(tx, record.id, customerId);
      }
    },
  };
}
