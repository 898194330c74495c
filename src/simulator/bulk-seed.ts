/**
 * Bulk seeding for benchmarks and scale tests (`POST /__sim/seed`, `sim.seed()`): companies,
 * contacts, deals, tickets, trunks and numbers (the WARP custom objects, created when the portal
 * lacks them) with their associations, inserted straight into the store — no webhooks, no limits,
 * no per-record validation — so a 450,000-record portal is built in seconds. Records are spaced
 * `stepMs` apart in `createdate`/last-modified time from `startAt`. An optional drift mix is then
 * injected (drift.ts) and returned so a benchmark can compare what it found with what was injected.
 */
import { z } from 'zod';
import type { SimContext } from './context.js';
import { validation } from './errors.js';
import type { ObjectTypeInfo } from './object-types.js';
import { defsBetween, defineAssociation, linkSilently } from './associations-store.js';
import { createSchema, findSchema, schemaEgg } from './routes/schemas.js';
import { driftSpecSchema, injectDrift, type DriftReport } from './drift.js';
import { recordsOf } from './records.js';
import type { StoredRecord } from './state.js';
import { resolveObjectType, schemaTypeInfo } from './state.js';

const MAX_PER_TYPE = 1_000_000;
const count = z.number().int().min(0).max(MAX_PER_TYPE).default(0);

export const seedSpecSchema = z.object({
  companies: count, contacts: count, deals: count, tickets: count, trunks: count, numbers: count,
  /** Epoch ms or ISO time of the first record (default: 30 days before the clock). */
  startAt: z.union([z.number().int(), z.iso.datetime({ offset: true })]).optional(),
  /** Time between two consecutive records' `createdate` (default 1 s). */
  stepMs: z.number().int().min(0).default(1_000),
  drift: driftSpecSchema.optional(),
  /** Seed of the random choices of the drift (runs with the same seed inject the same drift). */
  seed: z.number().int().default(1),
}).strict();
export type SeedSpec = z.input<typeof seedSpecSchema>;

export interface SeededRange { objectTypeId: string; count: number; firstId?: string; lastId?: string }
export interface SeedReport { created: Record<string, SeededRange>; associations: number; drift?: DriftReport; elapsedMs: number }

export function parseSeedSpec(raw: unknown): z.output<typeof seedSpecSchema> {
  const r = seedSpecSchema.safeParse(raw);
  if (!r.success) throw validation(`invalid seed spec: ${z.prettifyError(r.error)}`);
  return r.data;
}

const THIRTY_DAYS_MS = 30 * 86_400_000;
const TRUNK_STATUSES = ['active', 'active', 'active', 'suspended'];

/** The WARP custom objects as the seeder needs them when the portal does not have them yet. */
const CUSTOM_SCHEMAS = {
  trunks: {
    name: 'trunks', labels: { singular: 'Trunk', plural: 'Trunks' }, primaryDisplayProperty: 'name', requiredProperties: ['trunk_id'],
    searchableProperties: ['name', 'trunk_id'], associatedObjects: ['0-2'],
    properties: [
      { name: 'name', label: 'Name', type: 'string', fieldType: 'text' },
      { name: 'trunk_id', label: 'Trunk id', type: 'string', fieldType: 'text', hasUniqueValue: true },
      { name: 'company_id', label: 'Company BAN', type: 'string', fieldType: 'text' },
      { name: 'status', label: 'Status', type: 'enumeration', fieldType: 'select', options: ['active', 'suspended', 'limited', 'disabled'].map((v) => ({ label: v, value: v })) },
    ],
  },
  numbers: {
    name: 'numbers', labels: { singular: 'Number', plural: 'Numbers' }, primaryDisplayProperty: 'number', requiredProperties: ['number'],
    searchableProperties: ['number'], associatedObjects: ['0-2'],
    properties: [
      { name: 'number', label: 'Number', type: 'string', fieldType: 'text', hasUniqueValue: true },
      { name: 'company_id', label: 'Company BAN', type: 'string', fieldType: 'text' },
      { name: 'trunk_id', label: 'Trunk id', type: 'string', fieldType: 'text' },
      { name: 'type', label: 'Type', type: 'enumeration', fieldType: 'select', options: ['local', 'tollfree', 'mobile'].map((v) => ({ label: v, value: v })) },
    ],
  },
} as const;

function customType(ctx: SimContext, name: keyof typeof CUSTOM_SCHEMAS): ObjectTypeInfo {
  const s = findSchema(ctx, name) ?? createSchema(ctx, schemaEgg.parse(structuredClone(CUSTOM_SCHEMAS[name])));
  return schemaTypeInfo(s, ctx.opts.portalId);
}

function standardType(ctx: SimContext, name: string): ObjectTypeInfo {
  const t = resolveObjectType(ctx.state, name, ctx.opts.portalId);
  if (!t) throw new Error(`seed: unknown object type ${name}`);
  return t;
}

/** Association type ids from→to (and back) for the seeded pairs: the primary label where one exists. */
function linkTypes(ctx: SimContext, from: ObjectTypeInfo, to: ObjectTypeInfo): { fwd: number[]; back: number[] } {
  let defs = defsBetween(ctx, from.objectTypeId, to.objectTypeId);
  if (!defs.some((d) => d.isDefault)) {
    defineAssociation(ctx, from.objectTypeId, to.objectTypeId, 'USER_DEFINED', null, null, true, [`${from.singular}_to_${to.singular}`, `${to.singular}_to_${from.singular}`]);
    defs = defsBetween(ctx, from.objectTypeId, to.objectTypeId);
  }
  const chosen = [defs.find((d) => d.label === 'Primary'), defs.find((d) => d.isDefault)].filter((d) => d !== undefined);
  return { fwd: chosen.map((d) => d.typeId), back: chosen.map((d) => d.inverseTypeId) };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function seedPortal(ctx: SimContext, spec: z.output<typeof seedSpecSchema>): SeedReport {
  const started = Date.now();
  const startMs = spec.startAt === undefined ? ctx.clock.now() - THIRTY_DAYS_MS : typeof spec.startAt === 'number' ? spec.startAt : Date.parse(spec.startAt);
  let clockMs = startMs;
  let associations = 0;
  const created: Record<string, SeededRange> = {};
  const has = (t: ObjectTypeInfo, prop: string) => ctx.state.properties[t.objectTypeId]?.[prop] !== undefined;

  const insertAll = (label: string, t: ObjectTypeInfo, n: number, props: (i: number) => Record<string, string>): StoredRecord[] => {
    const bucket = recordsOf(ctx, t);
    const uniqueProps = ctx.index.uniqueProps(t.objectTypeId);
    const out: StoredRecord[] = [];
    for (let i = 0; i < n; i++) {
      const id = String(ctx.state.nextId++);
      const at = new Date(clockMs).toISOString();
      clockMs += spec.stepMs;
      const properties = { ...props(i), hs_object_id: id, createdate: at, [t.lastModifiedProperty]: at, ...(t.custom ? { hs_createdate: at } : {}) };
      const r: StoredRecord = { id, properties, createdAt: at, updatedAt: at, archived: false };
      bucket[id] = r;
      ctx.index.put(t.objectTypeId, r, undefined, uniqueProps);
      ctx.search.putNow(t.objectTypeId, r);
      out.push(r);
    }
    created[label] = { objectTypeId: t.objectTypeId, count: n, ...(n > 0 ? { firstId: out[0]?.id, lastId: out.at(-1)?.id } : {}) };
    return out;
  };
  const link = (from: ObjectTypeInfo, records: StoredRecord[], to: ObjectTypeInfo, targets: StoredRecord[], pick: (i: number) => number) => {
    if (records.length === 0 || targets.length === 0) return;
    const types = linkTypes(ctx, from, to);
    records.forEach((r, i) => {
      const target = targets[pick(i) % targets.length];
      if (!target) return;
      linkSilently(ctx, from.objectTypeId, r.id, to.objectTypeId, target.id, types.fwd, types.back);
      associations++;
    });
  };

  const [company, contact, deal, ticket] = ['companies', 'contacts', 'deals', 'tickets'].map((n) => standardType(ctx, n)) as [ObjectTypeInfo, ObjectTypeInfo, ObjectTypeInfo, ObjectTypeInfo];
  const ban = (i: number) => `BAN${pad(i + 1, 7)}`;
  const companies = insertAll('companies', company, spec.companies, (i) => ({
    name: `Company ${i + 1}`, domain: `company${i + 1}.example`, ...(has(company, 'warp_ban') ? { warp_ban: ban(i) } : {}),
  }));
  const companyOf = (i: number) => i % Math.max(1, companies.length);
  const contacts = insertAll('contacts', contact, spec.contacts, (i) => ({
    email: `contact${i + 1}@company${companyOf(i) + 1}.example`, firstname: `First${i + 1}`, lastname: `Last${i + 1}`,
    ...(has(contact, 'warp_user_id') ? { warp_user_id: `usr_${pad(i + 1, 7)}` } : {}),
  }));
  link(contact, contacts, company, companies, companyOf);
  const deals = insertAll('deals', deal, spec.deals, (i) => ({ dealname: `Deal ${i + 1}`, amount: String(1000 + (i % 50) * 100), pipeline: 'default', dealstage: i % 3 === 0 ? 'closedwon' : 'appointmentscheduled', hs_is_closed_won: String(i % 3 === 0) }));
  link(deal, deals, company, companies, companyOf);
  const tickets = insertAll('tickets', ticket, spec.tickets, (i) => ({ subject: `Ticket ${i + 1}`, hs_pipeline: '0', hs_pipeline_stage: i % 4 === 3 ? '4' : '1', hs_ticket_priority: ['LOW', 'MEDIUM', 'HIGH'][i % 3] ?? 'LOW' }));
  link(ticket, tickets, company, companies, companyOf);

  if (spec.trunks > 0 || spec.numbers > 0) {
    const trunk = customType(ctx, 'trunks');
    const trunks = insertAll('trunks', trunk, spec.trunks, (i) => ({
      name: `Trunk ${i + 1}`, trunk_id: `trunk_${pad(i + 1, 7)}`, company_id: ban(companyOf(i)), status: TRUNK_STATUSES[i % TRUNK_STATUSES.length] ?? 'active',
    }));
    link(trunk, trunks, company, companies, companyOf);
    if (spec.numbers > 0) {
      const number = customType(ctx, 'numbers');
      const trunkOf = (i: number) => i % Math.max(1, trunks.length);
      const numbers = insertAll('numbers', number, spec.numbers, (i) => ({
        number: `+1555${pad(i + 1, 7)}`, company_id: ban(companyOf(trunkOf(i))), trunk_id: trunks.length > 0 ? `trunk_${pad(trunkOf(i) + 1, 7)}` : '', type: 'local',
      }));
      // A number belongs to its trunk's company.
      link(number, numbers, company, companies, (i) => companyOf(trunkOf(i)));
      link(number, numbers, trunk, trunks, trunkOf);
    }
  }
  ctx.changed();
  const report: SeedReport = { created, associations, elapsedMs: 0 };
  if (spec.drift) report.drift = injectDrift(ctx, spec.drift, spec.seed);
  report.elapsedMs = Date.now() - started;
  return report;
}
