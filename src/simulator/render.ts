/**
 * Renders stored records as HubSpot's `SimplePublicObject`: string id, string property values,
 * ISO `createdAt`/`updatedAt`, `archived`. Without `properties`, HubSpot returns a per-type default
 * set (search page, docs/hubspot-facts.md "Records, batches, search"); requested properties are always joined by the base ones.
 */
import type { SimContext } from './context.js';
import type { ObjectTypeInfo } from './object-types.js';
import type { StoredRecord } from './state.js';
import { listAssociated } from './associations-store.js';
import { resolveObjectType } from './state.js';

const DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  '0-1': ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  '0-2': ['name', 'domain', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  '0-3': ['dealname', 'amount', 'closedate', 'pipeline', 'dealstage', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  '0-5': ['content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_category', 'hs_ticket_priority', 'subject', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

export function defaultPropertyNames(type: ObjectTypeInfo): readonly string[] {
  return DEFAULTS[type.objectTypeId] ?? ['createdate', 'hs_lastmodifieddate', 'hs_object_id', ...(type.custom ? ['hs_createdate'] : [])];
}

export interface RenderOptions {
  properties?: string[] | undefined;
  propertiesWithHistory?: string[] | undefined;
  associations?: string[] | undefined;
}

export function renderRecord(ctx: SimContext, type: ObjectTypeInfo, r: StoredRecord, o: RenderOptions = {}): Record<string, unknown> {
  const base = ['createdate', type.lastModifiedProperty, 'hs_object_id'];
  const names = o.properties && o.properties.length > 0 ? [...new Set([...base, ...o.properties])] : defaultPropertyNames(type);
  const defs = ctx.state.properties[type.objectTypeId] ?? {};
  const properties: Record<string, string | null> = {};
  for (const n of names) {
    if (defs[n] === undefined && r.properties[n] === undefined) continue; // unknown names are ignored on read
    const v = r.properties[n];
    properties[n] = v === undefined || v === '' ? null : v;
  }
  const out: Record<string, unknown> = { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: r.archived };
  if (r.archivedAt) out.archivedAt = r.archivedAt;
  if (o.propertiesWithHistory && o.propertiesWithHistory.length > 0) {
    out.propertiesWithHistory = Object.fromEntries(o.propertiesWithHistory
      .filter((n) => defs[n] !== undefined || r.history?.[n] !== undefined)
      .map((n) => [n, r.history?.[n] ?? []]));
  }
  if (o.associations && o.associations.length > 0) {
    const assoc: Record<string, unknown> = {};
    for (const raw of o.associations) {
      const to = resolveObjectType(ctx.state, raw, ctx.opts.portalId);
      if (!to) continue;
      const results = listAssociated(ctx, type.objectTypeId, r.id, to.objectTypeId).flatMap(([toId, ids]) =>
        ids.map((t) => ({ id: toId, type: ctx.state.associationDefs.find((d) => d.fromTypeId === type.objectTypeId && d.toTypeId === to.objectTypeId && d.typeId === t)?.v3Name ?? String(t) })));
      if (results.length > 0) assoc[raw] = { results };
    }
    if (Object.keys(assoc).length > 0) out.associations = assoc;
  }
  return out;
}

/** Parses `properties=a,b&properties=c` (both repeated and comma-separated forms). */
export function listParam(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  return arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
}
