/**
 * Injected drift (`POST /__sim/drift`, the seed's `drift`, `sim.drift()`): the changes a sync can
 * miss when webhooks are lost — changed fields, deleted (archived) records, merged records,
 * removed associations, associations WARP did not make on its custom objects, and many records sharing one last-modified timestamp (more than 10,000 is
 * the case HubSpot's search cap makes hard). Applied through the normal record functions with
 * webhooks muted, at the current HubSpot time, each record drifting at most once, chosen by a
 * seeded random generator. Returns every injected change so a benchmark can compare.
 */
import { z } from 'zod';
import type { ChangeSource, SimContext } from './context.js';
import { validation } from './errors.js';
import type { ObjectTypeInfo } from './object-types.js';
import { archiveRecord, mergeRecords, recordsOf, updateRecord } from './records.js';
import { addAssociation, defsBetween, listAssociated, removeAssociation } from './associations-store.js';
import { resolveObjectType } from './state.js';

/** A share of each type (< 1) or a number of records per type (≥ 1). */
const amount = z.number().min(0).default(0);

export const driftSpecSchema = z.object({
  changed: amount, deleted: amount, merged: amount, removedAssociations: amount,
  /** Associations WARP never made on WARP's records (trunks, numbers): to another live company or trunk. */
  extraAssociations: amount,
  sameTimestamp: z.object({ objectType: z.string().default('companies'), count: z.number().int().min(1) }).optional(),
  /** Which types drift (default: companies, contacts, deals, tickets, trunks, numbers that exist). */
  objectTypes: z.array(z.string()).optional(),
  /** Property changed per type (default: a name-like field of the type). */
  fields: z.record(z.string(), z.string()).optional(),
}).strict();
export type DriftSpec = z.input<typeof driftSpecSchema>;

export interface DriftReport {
  at: string;
  changed: { objectType: string; id: string; property: string; before: string | null; after: string; sameTimestamp?: true }[];
  deleted: { objectType: string; id: string }[];
  merged: { objectType: string; primaryId: string; mergedId: string }[];
  removedAssociations: { fromObjectType: string; fromId: string; toObjectType: string; toId: string }[];
  extraAssociations: { fromObjectType: string; fromId: string; toObjectType: string; toId: string }[];
  sameTimestamp?: { objectType: string; at: string; count: number };
  counts: { changed: number; deleted: number; merged: number; removedAssociations: number; extraAssociations: number; total: number };
}

const DRIFT_SOURCE: ChangeSource = { changeSource: 'CRM_UI', sourceId: 'userId:1000001' };
const DEFAULT_TYPES = ['companies', 'contacts', 'deals', 'tickets', 'trunks', 'numbers'];
const DEFAULT_FIELDS: Record<string, string> = { companies: 'name', contacts: 'firstname', deals: 'dealname', tickets: 'subject', trunks: 'name', numbers: 'type' };
const MERGEABLE = new Set(['0-1', '0-2', '0-3', '0-5']);
/** Pairs whose associations the product keeps (from → to). */
const ASSOCIATED_PAIRS: [string, string][] = [['contacts', 'companies'], ['deals', 'companies'], ['tickets', 'companies'], ['trunks', 'companies'], ['numbers', 'companies'], ['numbers', 'trunks']];
/** Pairs whose associations WARP makes (from its custom objects), so one it did not make is drift too. */
const WARP_PAIRS = ASSOCIATED_PAIRS.filter(([from]) => from === 'trunks' || from === 'numbers');

/** Keyed by the portal state, so a reset (a new state) forgets it. */
const lastDrift = new WeakMap<object, DriftReport>();
export const lastInjectedDrift = (ctx: SimContext): DriftReport | undefined => lastDrift.get(ctx.state);

export function parseDriftSpec(raw: unknown): z.output<typeof driftSpecSchema> {
  const r = driftSpecSchema.safeParse(raw);
  if (!r.success) throw validation(`invalid drift spec: ${z.prettifyError(r.error)}`);
  return r.data;
}

/** mulberry32: small, fast and reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function injectDrift(ctx: SimContext, spec: z.output<typeof driftSpecSchema>, seed = 1): DriftReport {
  const rnd = random(seed);
  const at = new Date(ctx.clock.now()).toISOString();
  const report: DriftReport = {
    at, changed: [], deleted: [], merged: [], removedAssociations: [], extraAssociations: [],
    counts: { changed: 0, deleted: 0, merged: 0, removedAssociations: 0, extraAssociations: 0, total: 0 },
  };
  const resolve = (name: string) => resolveObjectType(ctx.state, name, ctx.opts.portalId);
  const types = (spec.objectTypes ?? DEFAULT_TYPES).map(resolve).filter((t): t is ObjectTypeInfo => t !== undefined);
  const touched = new Set<string>();
  const pool = new Map<string, string[]>();
  /** Picks up to `n` live, untouched records of a type (without replacement). */
  const pick = (t: ObjectTypeInfo, n: number, accept: (id: string) => boolean = () => true): string[] => {
    let ids = pool.get(t.objectTypeId);
    if (!ids) pool.set(t.objectTypeId, (ids = Object.values(recordsOf(ctx, t)).filter((r) => !r.archived).map((r) => r.id)));
    const out: string[] = [];
    for (let tries = 0; out.length < n && ids.length > 0 && tries < n * 20 + 100; tries++) {
      const at = Math.floor(rnd() * ids.length);
      const id = ids[at] ?? '';
      ids[at] = ids[ids.length - 1] ?? '';
      ids.pop();
      if (touched.has(`${t.objectTypeId}:${id}`) || !accept(id)) continue;
      touched.add(`${t.objectTypeId}:${id}`);
      out.push(id);
    }
    return out;
  };
  const howMany = (t: ObjectTypeInfo, a: number) => (a < 1 ? Math.round(a * Object.keys(recordsOf(ctx, t)).length) : Math.floor(a));
  const change = (t: ObjectTypeInfo, id: string) => {
    const r = recordsOf(ctx, t)[id];
    const property = spec.fields?.[t.name] ?? DEFAULT_FIELDS[t.name] ?? 'name';
    const def = ctx.state.properties[t.objectTypeId]?.[property];
    if (!r || !def) throw validation(`drift: ${t.name} has no property ${property}`);
    const before = r.properties[property] ?? '';
    const options = def.options.map((o) => o.value);
    const after = def.type === 'enumeration' && options.length > 1 ? options[(options.indexOf(before) + 1) % options.length] ?? '' : `${before} (edited)`;
    updateRecord(ctx, t, r, { [property]: after }, DRIFT_SOURCE);
    return { objectType: t.name, id, property, before: before === '' ? null : before, after };
  };

  /**
   * A record linked (by this pair) only to records no other drift touched: a link to a deleted or
   * merged record changes with that record, so drift on top of it would not be a kind of its own.
   */
  const linkedToUntouched = (from: ObjectTypeInfo, id: string, to: ObjectTypeInfo) => {
    const targets = listAssociated(ctx, from.objectTypeId, id, to.objectTypeId);
    return targets.length > 0 && targets.every(([toId]) => !touched.has(`${to.objectTypeId}:${toId}`));
  };

  ctx.webhooks.silently(() => {
    for (const t of types) for (const id of pick(t, howMany(t, spec.changed))) report.changed.push(change(t, id));
    for (const t of types) {
      for (const id of pick(t, howMany(t, spec.deleted))) {
        const r = recordsOf(ctx, t)[id];
        if (r) archiveRecord(ctx, t, r, DRIFT_SOURCE);
        report.deleted.push({ objectType: t.name, id });
      }
    }
    for (const t of types.filter((x) => MERGEABLE.has(x.objectTypeId))) {
      const ids = pick(t, 2 * howMany(t, spec.merged));
      for (let i = 0; i + 1 < ids.length; i += 2) {
        const bucket = recordsOf(ctx, t);
        const primary = bucket[ids[i] ?? ''], merged = bucket[ids[i + 1] ?? ''];
        if (!primary || !merged) continue;
        mergeRecords(ctx, t, primary, merged, DRIFT_SOURCE);
        report.merged.push({ objectType: t.name, primaryId: primary.id, mergedId: merged.id });
      }
    }
    for (const [fromName, toName] of ASSOCIATED_PAIRS) {
      const from = types.find((t) => t.name === fromName);
      const to = resolve(toName);
      if (!from || !to) continue;
      for (const id of pick(from, howMany(from, spec.removedAssociations), (x) => linkedToUntouched(from, x, to))) {
        const [toId] = listAssociated(ctx, from.objectTypeId, id, to.objectTypeId)[0] ?? [];
        if (toId === undefined) continue;
        removeAssociation(ctx, from, id, to, toId, undefined, DRIFT_SOURCE);
        report.removedAssociations.push({ fromObjectType: from.name, fromId: id, toObjectType: to.name, toId });
      }
    }
    for (const [fromName, toName] of WARP_PAIRS) {
      const from = types.find((t) => t.name === fromName);
      const to = resolve(toName);
      if (!from || !to) continue;
      const targets = Object.values(recordsOf(ctx, to)).filter((r) => !r.archived).map((r) => r.id);
      if (targets.length < 2) continue;
      const typeIds = defsBetween(ctx, from.objectTypeId, to.objectTypeId).filter((d) => d.isDefault).map((d) => d.typeId);
      for (const id of pick(from, howMany(from, spec.extraAssociations), (x) => linkedToUntouched(from, x, to))) {
        const linked = new Set(listAssociated(ctx, from.objectTypeId, id, to.objectTypeId).map(([toId]) => toId));
        let toId = targets[Math.floor(rnd() * targets.length)] ?? '';
        for (let tries = 0; linked.has(toId) && tries < 10; tries++) toId = targets[Math.floor(rnd() * targets.length)] ?? '';
        if (linked.has(toId)) continue;
        addAssociation(ctx, from, id, to, toId, typeIds, DRIFT_SOURCE);
        report.extraAssociations.push({ fromObjectType: from.name, fromId: id, toObjectType: to.name, toId });
      }
    }
    if (spec.sameTimestamp) {
      const t = resolve(spec.sameTimestamp.objectType);
      if (!t) throw validation(`drift: unknown object type ${spec.sameTimestamp.objectType}`);
      // One millisecond past every other drift change, so only these records carry it.
      const shared = new Date(ctx.clock.now() + 1).toISOString();
      const ids = pick(t, spec.sameTimestamp.count);
      for (const id of ids) {
        report.changed.push({ ...change(t, id), sameTimestamp: true });
        const r = recordsOf(ctx, t)[id];
        if (!r) continue;
        r.properties[t.lastModifiedProperty] = shared;
        r.updatedAt = shared;
        ctx.search.put(t.objectTypeId, r.id, r);
      }
      report.sameTimestamp = { objectType: t.name, at: shared, count: ids.length };
    }
  });
  report.counts = {
    changed: report.changed.length, deleted: report.deleted.length, merged: report.merged.length, removedAssociations: report.removedAssociations.length,
    extraAssociations: report.extraAssociations.length,
    total: report.changed.length + report.deleted.length + report.merged.length + report.removedAssociations.length + report.extraAssociations.length,
  };
  lastDrift.set(ctx.state, report);
  return report;
}
