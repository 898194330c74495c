/**
 * CRM search (docs/hubspot-facts.md "Records, batches, search"): filter groups (ORed) of filters (ANDed), ≤ 5 groups, ≤ 6 filters
 * per group, ≤ 18 in total; one sort; ≤ 200 per page; 10,000-result paging cap; 3,000-character
 * body; `query` over default searchable properties. Reads the (lagging) search index, not the store.
 * Rate limiting (5/s, no headers) is applied by the server hook.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../body.js';
import { objectScopes, requireScopes } from '../auth.js';
import type { SimContext } from '../context.js';
import { HubSpotError, validation } from '../errors.js';
import type { PropertyDef } from '../property-defs.js';
import { renderRecord } from '../render.js';
import type { StoredRecord } from '../state.js';
import { listAssociated } from '../associations-store.js';
import { resolveObjectType } from '../state.js';
import { OBJECT_PREFIXES, text, objectType, params, routeAll } from './common.js';

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_DEFAULT_LIMIT = 10;
export const SEARCH_MAX_RESULTS = 10_000;
export const SEARCH_MAX_GROUPS = 5;
export const SEARCH_MAX_FILTERS_PER_GROUP = 6;
export const SEARCH_MAX_FILTERS_TOTAL = 18;
export const SEARCH_MAX_BODY_CHARS = 3_000;

export const searchOperators = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;
type Operator = (typeof searchOperators)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** `PublicObjectSearchRequest`; a filter needs `propertyName` and `operator` (checked against the operators below). */
const filterSchema = z.looseObject({ propertyName: z.string(), operator: z.string(), value: scalar.optional(), values: z.array(scalar).optional(), highValue: scalar.optional() });
const searchBody = z.looseObject({
  filterGroups: z.array(z.looseObject({ filters: z.array(filterSchema) })).optional(),
  sorts: z.array(z.union([z.string(), z.looseObject({ propertyName: z.string().optional(), direction: z.string().optional() })])).optional(),
  query: z.string().optional(), properties: z.array(z.string()).optional(), limit: z.number().optional(), after: z.union([z.string(), z.number()]).optional(),
});
type Filter = z.output<typeof filterSchema>;
type SearchBody = z.output<typeof searchBody>;

const SEARCHABLE: Readonly<Record<string, readonly string[]>> = {
  '0-1': ['firstname', 'lastname', 'email', 'phone', 'company', 'hs_object_id'],
  '0-2': ['name', 'domain', 'website', 'phone', 'hs_object_id'],
  '0-3': ['dealname', 'hs_object_id'],
  '0-5': ['subject', 'content', 'hs_object_id'],
};

export function registerSearchRoutes(app: FastifyInstance, ctx: SimContext): void {
  routeAll(app, 'POST', OBJECT_PREFIXES, '/:objectType/search', (req) => {
    const type = objectType(ctx, params(req).objectType);
    requireScopes(req, objectScopes(type.objectTypeId, type.custom, false));
    if ((req.simRawBody ?? '').length > SEARCH_MAX_BODY_CHARS) {
      throw validation(`The request body is too long: a search query can contain at most ${SEARCH_MAX_BODY_CHARS} characters.`);
    }
    const b = req.body === undefined ? {} : parseBody(req, 'PublicObjectSearchRequest', searchBody);
    const groups = b.filterGroups ?? [];
    const total = groups.reduce((n, g) => n + (g.filters?.length ?? 0), 0);
    if (groups.length > SEARCH_MAX_GROUPS || groups.some((g) => (g.filters?.length ?? 0) > SEARCH_MAX_FILTERS_PER_GROUP) || total > SEARCH_MAX_FILTERS_TOTAL) {
      throw validation(`Search supports a maximum of ${SEARCH_MAX_GROUPS} filterGroups with up to ${SEARCH_MAX_FILTERS_PER_GROUP} filters each and ${SEARCH_MAX_FILTERS_TOTAL} filters in total (got ${groups.length} groups, ${total} filters).`);
    }
    if ((b.sorts?.length ?? 0) > 1) throw validation('Only one sort is supported per search.');
    const limit = b.limit ?? SEARCH_DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 0 || limit > SEARCH_MAX_LIMIT) throw validation(`limit must be between 0 and ${SEARCH_MAX_LIMIT}`);
    const afterRaw = b.after === undefined || b.after === '' ? '0' : String(b.after);
    if (!/^\d+$/.test(afterRaw)) throw validation('after must be an integer string');
    const after = Number(afterRaw);
    if (after + limit > SEARCH_MAX_RESULTS) {
      throw new HubSpotError(400, 'VALIDATION_ERROR', `Cannot page beyond ${SEARCH_MAX_RESULTS} results (after=${after}, limit=${limit}).`);
    }
    const defs = ctx.state.properties[type.objectTypeId] ?? {};
    for (const f of groups.flatMap((g) => g.filters ?? [])) validateFilter(f, defs);
    const hits = cachedHits(ctx, type.objectTypeId, b, () => {
      let found = ctx.search.records(type.objectTypeId).filter((r) => groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => matchFilter(ctx, type.objectTypeId, r, f, defs))));
      if (b.query) {
        // Custom objects search "up to 20 selected properties": the schema's searchableProperties.
        const schema = type.custom ? ctx.state.schemas[type.objectTypeId] : undefined;
        const searchable = schema?.searchableProperties.length ? schema.searchableProperties : SEARCHABLE[type.objectTypeId] ?? Object.keys(defs);
        found = found.filter((r) => matchQuery(r, b.query ?? '', searchable));
      }
      const sort = parseSort(b.sorts?.[0]);
      return sort ? sortBy(found, sort.propertyName, sort.direction, defs[sort.propertyName]) : found;
    });
    const page = hits.slice(after, after + limit);
    const out: Record<string, unknown> = { total: hits.length, results: page.map((r) => renderRecord(ctx, type, r, { properties: b.properties })) };
    if (after + limit < hits.length) out.paging = { next: { after: String(after + limit) } };
    return out;
  });
}

function validateFilter(f: Filter, defs: Record<string, PropertyDef>): void {
  if (!f.propertyName) throw validation('filter propertyName is required');
  if (!searchOperators.includes(f.operator as Operator)) throw validation(`Unknown operator ${String(f.operator)}; expected one of ${searchOperators.join(', ')}`);
  if (!f.propertyName.startsWith('associations.') && !defs[f.propertyName]) {
    throw validation(`There was a problem with the request. Property ${f.propertyName} does not exist`, [{ message: `Property "${f.propertyName}" does not exist`, code: 'PROPERTY_DOESNT_EXIST' }]);
  }
}

function comparable(v: string, def: PropertyDef | undefined): number | string {
  if (def?.type === 'number') return Number(v);
  if (def?.type === 'datetime' || def?.type === 'date') return /^\d+$/.test(v) ? Number(v) : new Date(v).getTime();
  return v;
}

function cmp(a: string, b: string, def: PropertyDef | undefined): number {
  const x = comparable(a, def);
  const y = comparable(b, def);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  // Values compare case-insensitively, except enumerations (search guide).
  const sx = def?.type === 'enumeration' ? String(x) : String(x).toLowerCase();
  const sy = def?.type === 'enumeration' ? String(y) : String(y).toLowerCase();
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function tokens(s: string): string[] {
  return s.toLowerCase().split(/[^\p{L}\p{N}@._-]+/u).flatMap((t) => [t, ...t.split(/[@._-]+/)]).filter(Boolean);
}

function tokenMatch(value: string, needle: string): boolean {
  const re = new RegExp(`^${needle.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return tokens(value).some((t) => re.test(t)) || re.test(value.toLowerCase());
}

function matchFilter(ctx: SimContext, typeId: string, r: StoredRecord, f: Filter, defs: Record<string, PropertyDef>): boolean {
  const name = f.propertyName ?? '';
  if (name.startsWith('associations.')) {
    const to = resolveObjectType(ctx.state, name.slice('associations.'.length), ctx.opts.portalId);
    const ids = to ? listAssociated(ctx, typeId, r.id, to.objectTypeId).map(([id]) => id) : [];
    const want = text(f.value);
    return f.operator === 'NEQ' ? !ids.includes(want) : ids.includes(want);
  }
  const def = defs[name];
  const raw = r.properties[name];
  const has = raw !== undefined && raw !== '';
  const v = raw ?? '';
  const value = text(f.value);
  const values = (f.values ?? []).map((x) => String(x as string));
  switch (f.operator as Operator) {
    case 'HAS_PROPERTY': return has;
    case 'NOT_HAS_PROPERTY': return !has;
    case 'EQ': return has && cmp(v, value, def) === 0;
    case 'NEQ': return !has || cmp(v, value, def) !== 0;
    case 'LT': return has && cmp(v, value, def) < 0;
    case 'LTE': return has && cmp(v, value, def) <= 0;
    case 'GT': return has && cmp(v, value, def) > 0;
    case 'GTE': return has && cmp(v, value, def) >= 0;
    case 'BETWEEN': return has && cmp(v, value, def) >= 0 && cmp(v, text(f.highValue), def) <= 0;
    case 'IN': return has && values.some((x) => cmp(v, x, def) === 0 || (def?.type === 'enumeration' && v.split(';').includes(x)));
    case 'NOT_IN': return !has || !values.some((x) => cmp(v, x, def) === 0);
    case 'CONTAINS_TOKEN': return has && tokenMatch(v, value);
    case 'NOT_CONTAINS_TOKEN': return !has || !tokenMatch(v, value);
  }
}

function matchQuery(r: StoredRecord, q: string, props: readonly string[]): boolean {
  const needle = q.toLowerCase().trim();
  return props.some((p) => {
    const v = r.properties[p];
    return v !== undefined && (v.toLowerCase().startsWith(needle) || tokens(v).some((t) => t.startsWith(needle)));
  });
}

function parseSort(s: unknown): { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' } | undefined {
  if (s === undefined) return undefined;
  // The SDK types sorts as string[]; accept "prop", "-prop" and {propertyName, direction}.
  if (typeof s === 'string') return s.startsWith('-') ? { propertyName: s.slice(1), direction: 'DESCENDING' } : { propertyName: s, direction: 'ASCENDING' };
  const o = s as { propertyName?: string; direction?: string };
  return { propertyName: o.propertyName ?? 'hs_object_id', direction: o.direction === 'DESCENDING' ? 'DESCENDING' : 'ASCENDING' };
}

/** Sorts on precomputed keys (a date is parsed once per record, not per comparison); ties by id. */
function sortBy(rs: StoredRecord[], prop: string, dir: 'ASCENDING' | 'DESCENDING', def: PropertyDef | undefined): StoredRecord[] {
  const sign = dir === 'DESCENDING' ? -1 : 1;
  const keyed = rs.map((r) => {
    const v = r.properties[prop] ?? '';
    const k = v === '' ? '' : comparable(v, def);
    return { r, k: typeof k === 'string' && def?.type !== 'enumeration' ? k.toLowerCase() : k, id: Number(r.id) };
  });
  keyed.sort((a, b) => {
    if (a.k === '' && b.k !== '') return 1;
    if (b.k === '' && a.k !== '') return -1;
    const c = typeof a.k === 'number' && typeof b.k === 'number' ? a.k - b.k : a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
    return sign * c || a.id - b.id;
  });
  return keyed.map((x) => x.r);
}

/**
 * The hits of one query are kept while what search sees is unchanged, so paging through 10,000
 * results filters and sorts once, not once per page. A few queries are kept (oldest dropped).
 */
const HIT_CACHE_ENTRIES = 8;
const hitCache = new WeakMap<SimContext, Map<string, StoredRecord[]>>();

function cachedHits(ctx: SimContext, typeId: string, b: SearchBody, compute: () => StoredRecord[]): StoredRecord[] {
  let cache = hitCache.get(ctx);
  if (!cache) hitCache.set(ctx, (cache = new Map<string, StoredRecord[]>()));
  const key = JSON.stringify([typeId, ctx.search.version(), b.filterGroups ?? [], b.sorts ?? [], b.query ?? '']);
  const hit = cache.get(key);
  if (hit) return hit;
  const computed = compute();
  cache.set(key, computed);
  if (cache.size > HIT_CACHE_ENTRIES) cache.delete(cache.keys().next().value ?? '');
  return computed;
}
