// The invariants `npm run chaos` checks once everything has drained: what was acknowledged is in
// the database, the database is in HubSpot exactly once with its final values, associations are
// exact, usage roll-ups equal a recomputation, no duplicate rows, the burst limit held, and dead
// letters are only of permanent failures. Each check returns its violation count and examples.
import type { Pool } from '../src/db/pool.js';
import { crmProperty, propertiesOf, sameValue } from '../src/domain/crm-catalogue.js';
import type { CrmObject } from '../src/domain/hubspot-objects.js';
import { findAccounts } from '../src/store/accounts.js';
import { findNumbers } from '../src/store/numbers.js';
import { findTrunks } from '../src/store/trunks.js';
import { findWarpUsers } from '../src/store/warp-users.js';
import { companyProperties, contactProperties, eventMarker, numberProperties, type OutgoingProperties, trunkProperties } from '../src/sync/outbound/mapping.js';
import { recomputeRange } from '../src/usage/recompute.js';
import { utcDay } from '../src/usage/days.js';
import { maxInWindow } from './hubspot-support.js';
import type { Ledger } from './chaos-load.js';

export interface Finding {
  name: string;
  kind: 'lost' | 'duplicated' | 'stale_associations' | 'missing_associations' | 'rollups' | 'other';
  count: number;
  examples: string[];
}

interface SimRecord {
  id: string;
  properties: Record<string, string>;
  archived: boolean;
}
export interface SimState {
  objects: Record<string, Record<string, SimRecord>>;
  schemas: Record<string, { name: string; objectTypeId: string; archived: boolean }>;
  associations: Record<string, Record<string, Record<string, number[]>>>;
}

class Tally {
  readonly findings: Finding[] = [];
  add(name: string, kind: Finding['kind'], problems: string[]): void {
    this.findings.push({ name, kind, count: problems.length, examples: problems.slice(0, 3) });
  }
}

const COMPANIES = '0-2';
const CONTACTS = '0-1';
const NOTES = '0-46';
const DEALS = '0-3';

function live(state: SimState, typeId: string): SimRecord[] {
  return Object.values(state.objects[typeId] ?? {}).filter((r) => !r.archived);
}
const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
};
const associated = (state: SimState, fromTypeId: string, fromId: string, toTypeId: string): string[] => Object.keys(state.associations[`${fromTypeId}:${fromId}`]?.[toTypeId] ?? {});

/** Property values that differ between what WARP sends and what HubSpot holds. */
function differences(object: CrmObject, expected: OutgoingProperties, record: SimRecord): string[] {
  return Object.entries(expected).flatMap(([name, value]) => {
    const property = crmProperty(object, name);
    const have = record.properties[name] ?? '';
    const want = value === null ? '' : String(value);
    if (!property || have === want || (have !== '' && want !== '' && sameValue(property, property.parse(have) ?? have, property.parse(want) ?? want))) return [];
    return [`${name}: HubSpot ${JSON.stringify(have)}, WARP ${JSON.stringify(want)}`];
  });
}

async function column(pool: Pool, sql: string, params: unknown[] = []): Promise<string[]> {
  return (await pool.query<{ v: string }>(sql, params)).rows.map((r) => String(r.v));
}

export async function checkInvariants(pool: Pool, state: SimState, ledger: Ledger): Promise<Finding[]> {
  const t = new Tally();
  const typeOf = (name: string): string => Object.values(state.schemas).find((s) => s.name === name && !s.archived)?.objectTypeId ?? '';
  const TRUNKS = typeOf('trunks');
  const NUMBERS = typeOf('numbers');

  // 1. Acknowledged changes are in the database with their last acknowledged values.
  const present = async (sql: string, keys: Iterable<string>) => new Set(await column(pool, sql, [[...keys]]));
  const trunksInDb = await present('SELECT trunk_id AS v FROM trunks WHERE trunk_id = ANY($1)', ledger.createdTrunks);
  const numbersInDb = await present('SELECT number AS v FROM numbers WHERE number = ANY($1)', ledger.createdNumbers);
  const usersInDb = await present('SELECT user_id AS v FROM users WHERE user_id = ANY($1)', ledger.createdUsers.keys());
  const callsInDb = await present('SELECT call_id AS v FROM usage_calls WHERE call_id = ANY($1)', ledger.calls);
  const finals: string[] = [];
  for (const [key, expected] of ledger.finals) {
    if (expected.uncertain) continue;
    const [table, id, field] = key.split(':') as [string, string, string];
    let actual: string | null | undefined;
    if (table === 'trunks') [actual] = await column(pool, `SELECT ${field}::text AS v FROM trunks WHERE trunk_id = $1`, [id]);
    else if (table === 'users') [actual] = await column(pool, `SELECT ${field}::text AS v FROM users WHERE user_id = $1`, [id]);
    else if (table === 'customers') [actual] = await column(pool, `SELECT ${field}::text AS v FROM customers WHERE ban = $1`, [id]);
    else {
      const rows = (await pool.query<{ v: string | null; gone: boolean }>(
        `SELECT t.trunk_id AS v, (n.status = 'released' OR t.deleted_at IS NOT NULL) AS gone FROM numbers n LEFT JOIN trunks t ON t.id = n.trunk_id WHERE n.number = $1`, [id])).rows;
      if (rows[0]?.gone || (expected.value && ledger.deletedTrunks.has(expected.value))) continue;
      actual = rows[0]?.v ?? null;
    }
    if ((actual ?? null) !== expected.value) finals.push(`${key}: acknowledged ${JSON.stringify(expected.value)}, database ${JSON.stringify(actual ?? null)}`);
  }
  t.add('acknowledged API writes and UI edits missing from the database', 'lost', [
    ...[...ledger.createdTrunks].filter((k) => !trunksInDb.has(k)).map((k) => `trunk ${k}`),
    ...[...ledger.createdNumbers].filter((k) => !numbersInDb.has(k)).map((k) => `number ${k}`),
    ...[...ledger.createdUsers.keys()].filter((k) => !usersInDb.has(k)).map((k) => `user ${k}`),
    ...[...ledger.calls].filter((k) => !callsInDb.has(k)).map((k) => `call ${k}`),
    ...finals,
  ]);

  // 2. The database is in HubSpot exactly once, with its final values.
  const accounts = new Map((await findAccounts(pool, await column(pool, 'SELECT id AS v FROM customers WHERE ban IS NOT NULL'))).map((a) => [a.id, a]));
  const byProperty = (typeId: string, name: string) => groupBy(live(state, typeId).filter((r) => r.properties[name]), (r) => r.properties[name]!.toLowerCase());
  const hubspotTrunks = byProperty(TRUNKS, 'trunk_id');
  const hubspotNumbers = byProperty(NUMBERS, 'number');
  const hubspotContacts = byProperty(CONTACTS, 'email');
  const lost: string[] = [];
  const duplicated: string[] = [];
  const expectedPairs = new Set<string>();
  const managed: Array<{ typeId: string; id: string; toTypeIds: string[] }> = [];
  const once = (label: string, found: SimRecord[] | undefined, shouldExist: boolean): SimRecord | undefined => {
    const n = found?.length ?? 0;
    if (shouldExist && n === 0) lost.push(`${label}: not in HubSpot`);
    if (!shouldExist && n > 0) lost.push(`${label}: deleted in WARP, still in HubSpot`);
    if (n > 1) duplicated.push(`${label}: ${n} records in HubSpot`);
    return found?.[0];
  };
  const compare = (label: string, object: CrmObject, expected: OutgoingProperties, record: SimRecord | undefined) => {
    if (record) for (const diff of differences(object, expected, record)) lost.push(`${label} ${diff}`);
  };

  const trunks = await findTrunks(pool, await column(pool, 'SELECT trunk_id AS v FROM trunks'));
  const trunkHubspotIds = new Map<string, string>();
  for (const trunk of trunks) {
    const account = accounts.get(trunk.customerId);
    if (!account?.hubspotCompanyId) continue;
    const record = once(`trunk ${trunk.trunkId}`, hubspotTrunks.get(trunk.trunkId.toLowerCase()), trunk.deletedAt === null);
    if (!record || trunk.deletedAt) continue;
    compare(`trunk ${trunk.trunkId}`, 'trunk', trunkProperties(trunk, account), record);
    trunkHubspotIds.set(trunk.trunkId, record.id);
    expectedPairs.add(`${TRUNKS}:${record.id}>${COMPANIES}:${account.hubspotCompanyId}`);
    managed.push({ typeId: TRUNKS, id: record.id, toTypeIds: [COMPANIES] });
  }
  for (const number of await findNumbers(pool, await column(pool, 'SELECT number AS v FROM numbers'))) {
    const account = accounts.get(number.customerId);
    if (!account?.hubspotCompanyId) continue;
    const alive = number.deletedAt === null && number.status !== 'released';
    const record = once(`number ${number.number}`, hubspotNumbers.get(number.number), alive);
    if (!record || !alive) continue;
    compare(`number ${number.number}`, 'number', numberProperties(number, account), record);
    expectedPairs.add(`${NUMBERS}:${record.id}>${COMPANIES}:${account.hubspotCompanyId}`);
    const trunkHubspotId = number.trunkId ? trunkHubspotIds.get(number.trunkId) : undefined;
    if (trunkHubspotId) expectedPairs.add(`${NUMBERS}:${record.id}>${TRUNKS}:${trunkHubspotId}`);
    managed.push({ typeId: NUMBERS, id: record.id, toTypeIds: [COMPANIES, TRUNKS] });
  }
  for (const user of await findWarpUsers(pool, await column(pool, 'SELECT user_id AS v FROM users WHERE user_id IS NOT NULL'))) {
    const account = user.customerId ? accounts.get(user.customerId) : undefined;
    if (!account?.hubspotCompanyId || !user.email) continue;
    const record = once(`user ${user.userId}`, hubspotContacts.get(user.email.toLowerCase()), true);
    if (!record) continue;
    compare(`user ${user.userId}`, 'contact', contactProperties(user), record);
    expectedPairs.add(`${CONTACTS}:${record.id}>${COMPANIES}:${account.hubspotCompanyId}`);
    managed.push({ typeId: CONTACTS, id: record.id, toTypeIds: [COMPANIES] });
  }
  const companyRows = new Map((await pool.query<{ id: string; row: Record<string, string | null> }>(`SELECT id::text, to_jsonb(c) AS row FROM customers c WHERE ban IS NOT NULL`)).rows.map((r) => [r.id, r.row]));
  const hubspotOwned = propertiesOf('company').filter((p) => p.owner === 'hubspot' && p.column !== null);
  for (const account of accounts.values()) {
    const record = account.hubspotCompanyId ? state.objects[COMPANIES]?.[account.hubspotCompanyId] : undefined;
    if (!record || record.archived) {
      lost.push(`company of BAN ${account.ban}: not in HubSpot`);
      continue;
    }
    compare(`company of BAN ${account.ban}`, 'company', companyProperties(account, []), record);
    for (const p of hubspotOwned) {
      const cached = companyRows.get(account.id)?.[p.column] ?? null;
      const parsed = p.parse(record.properties[p.name] ?? '');
      if (parsed !== undefined && !sameValue(p, parsed, cached === null ? null : String(cached))) lost.push(`BAN ${account.ban} ${p.name}: HubSpot ${JSON.stringify(record.properties[p.name] ?? '')}, cache ${JSON.stringify(cached)}`);
    }
  }
  const notes = groupBy(live(state, NOTES).flatMap((n) => /\[warp-event-(\d+)\]/.exec(n.properties['hs_note_body'] ?? '')?.[1] ?? []), (id) => id);
  for (const id of await column(pool, 'SELECT id::text AS v FROM account_events')) {
    const n = notes.get(id)?.length ?? 0;
    if (n === 0) lost.push(`account event ${id} (${eventMarker(id)}): no note in HubSpot`);
    if (n > 1) duplicated.push(`account event ${id}: ${n} notes in HubSpot`);
  }
  t.add('database records missing from HubSpot or with other values', 'lost', lost);

  // 3. Duplicates: in HubSpot (above), in the database, and per won deal.
  for (const dealId of ledger.wonDeals) {
    const name = state.objects[DEALS]?.[dealId]?.properties['dealname'];
    const companies = live(state, COMPANIES).filter((c) => c.properties['name'] === name);
    const customers = await column(pool, `SELECT id::text AS v FROM customers WHERE ban IS NOT NULL AND hubspot_company_id = ANY($1)`, [companies.map((c) => c.id)]);
    if (companies.length > 1 || customers.length > 1) duplicated.push(`deal ${dealId}: ${companies.length} companies, ${customers.length} customers`);
    if (customers.length === 0) lost.push(`deal ${dealId}: never onboarded`);
  }
  const splitUsers = await column(pool, `SELECT lower(email) || ' ×' || count(*) AS v FROM users WHERE deleted_at IS NULL AND email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1`);
  t.add('records twice (HubSpot duplicates, two rows for one person, two companies for one deal)', 'duplicated', [...duplicated, ...splitUsers.map((u) => `users rows ${u}`)]);

  // 4. Associations exactly as WARP's rows say: none missing, none stale.
  const observed = new Set(managed.flatMap((m) => m.toTypeIds.flatMap((to) => associated(state, m.typeId, m.id, to).map((toId) => `${m.typeId}:${m.id}>${to}:${toId}`))));
  t.add('associations missing', 'missing_associations', [...expectedPairs].filter((p) => !observed.has(p)));
  t.add('associations stale (not in WARP any more)', 'stale_associations', [...observed].filter((p) => !expectedPairs.has(p)));
  return t.findings;
}

/** Usage roll-ups rebuilt from the raw records: rows the rebuild had to change were wrong. */
export async function checkRollups(pool: Pool): Promise<Finding> {
  const today = utcDay(Date.now());
  const results = await recomputeRange(pool, utcDay(Date.now() - 86_400_000), today);
  const changed = results.flatMap((r) => (r.status === 'recomputed' && r.changedRows > 0 ? [`${r.day}: ${r.changedRows} roll-up rows differed`] : []));
  return { name: 'usage roll-up rows that differ from a recomputation', kind: 'rollups', count: changed.length, examples: changed };
}

/** One request as the simulator logged its arrival. */
export interface ArrivedRequest {
  atMs: number;
  method: string;
  path: string;
  status: number;
  /** The HubSpot limit it counts toward (the simulator's `RequestLimit`). */
  limit: 'burst' | 'search';
  fault?: string;
}

export interface BusiestWindows {
  /** Most requests of the burst limit in any rolling burst window. */
  burst: number;
  /** Most search requests in any rolling second. */
  search: number;
  /** 429s HubSpot (the simulator) answered itself, not injected: each one is a request over a limit. */
  refused: number;
}

/**
 * The busiest windows as HubSpot (the simulator) saw the requests arrive, per limit, as HubSpot
 * counts them (docs/hubspot-facts.md "Rate limits"): the burst limit over a rolling
 * (`TEN_SECONDLY_ROLLING`) window, not a fixed one, so every window is looked at; search requests
 * have their own limit of 5 a second and are not part of the burst count. Everything we sent counts,
 * including requests answered with an injected fault and those HubSpot refused with its own 429
 * (leaving those out would hide an overrun: HubSpot refuses exactly what is over the limit).
 */
export function busiestWindows(requests: readonly ArrivedRequest[], burstWindowMs: number, searchWindowMs: number): BusiestWindows {
  const arrivals = (limit: ArrivedRequest['limit']) => requests.filter((r) => r.limit === limit).map((r) => r.atMs);
  return {
    burst: maxInWindow(arrivals('burst'), burstWindowMs),
    search: maxInWindow(arrivals('search'), searchWindowMs),
    refused: requests.filter((r) => r.status === 429 && !r.fault).length,
  };
}

const TRANSIENT = /timed out|timeout|connection|ECONN|socket|fetch failed|rate limit|budget/i;

/** Open dead letters whose last failure was a passing one (5xx, 429, timeout, connection). */
export async function transientDeadLetters(pool: Pool): Promise<{ open: number; transient: string[] }> {
  const { rows } = await pool.query<{ object_type: string; record_key: string; errors: Array<{ status?: number; message: string }> }>(`SELECT object_type, record_key, errors FROM dead_letters WHERE status = 'open'`);
  const transient = rows.filter((r) => {
    const last = r.errors.at(-1);
    return last !== undefined && ((last.status !== undefined && (last.status >= 500 || last.status === 429)) || (last.status === undefined && TRANSIENT.test(last.message)));
  });
  return { open: rows.length, transient: transient.map((r) => `${r.object_type} ${r.record_key}: ${r.errors.at(-1)?.message.slice(0, 120)}`) };
}

