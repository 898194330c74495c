import type { Pool } from '../../src/db/pool.js';

/**
 * The reference for the usage property test: roll-ups recomputed in plain TypeScript from the
 * records that are current (highest version of each id), straight from the definitions in docs/usage.md "Figures",
 * sharing no code with the service. Money is exact: costs are whole units of 0.0001.
 */

export interface ModelCall {
  kind: 'call';
  id: string;
  version: number;
  trunkIndex: number;
  outbound: boolean;
  startedAtMs: number;
  answered: boolean;
  billableSeconds: number;
  costUnits: number;
}

export interface ModelMessage {
  kind: 'message';
  id: string;
  version: number;
  trunkIndex: number;
  outbound: boolean;
  sentAtMs: number;
  failed: boolean;
  costUnits: number;
}

export type ModelRecord = ModelCall | ModelMessage;

export interface Figures {
  calls_attempted: number;
  calls_completed: number;
  outbound_answered: number;
  outbound_answered_seconds: number;
  billable_seconds: number;
  sms_sent: number;
  /** Units of 0.0001. */
  spend: bigint;
}

const zero = (): Figures => ({
  calls_attempted: 0,
  calls_completed: 0,
  outbound_answered: 0,
  outbound_answered_seconds: 0,
  billable_seconds: 0,
  sms_sent: 0,
  spend: 0n,
});

function figuresOf(r: ModelRecord): Figures {
  const f = zero();
  f.spend = BigInt(r.costUnits);
  if (r.kind === 'call') {
    f.calls_attempted = r.outbound ? 1 : 0;
    f.calls_completed = r.answered ? 1 : 0;
    f.outbound_answered = r.outbound && r.answered ? 1 : 0;
    f.outbound_answered_seconds = r.outbound && r.answered ? r.billableSeconds : 0;
    f.billable_seconds = r.billableSeconds;
  } else {
    f.sms_sent = r.outbound && !r.failed ? 1 : 0;
  }
  return f;
}

const add = (a: Figures, b: Figures): void => {
  a.calls_attempted += b.calls_attempted;
  a.calls_completed += b.calls_completed;
  a.outbound_answered += b.outbound_answered;
  a.outbound_answered_seconds += b.outbound_answered_seconds;
  a.billable_seconds += b.billable_seconds;
  a.sms_sent += b.sms_sent;
  a.spend += b.spend;
};

const isZero = (f: Figures): boolean =>
  f.calls_attempted === 0 && f.calls_completed === 0 && f.billable_seconds === 0 && f.sms_sent === 0 && f.spend === 0n && f.outbound_answered === 0;

/** The current version of each id. */
export function currentVersions(deliveries: readonly ModelRecord[]): ModelRecord[] {
  const best = new Map<string, ModelRecord>();
  for (const r of deliveries) {
    const key = `${r.kind}:${r.id}`;
    const seen = best.get(key);
    if (!seen || r.version > seen.version) best.set(key, r);
  }
  return [...best.values()];
}

export interface ModelRollups {
  trunkHours: Map<string, Figures>;
  customerDays: Map<string, Figures>;
  customerMonths: Map<string, Figures>;
}

/** Keys: `trunkIndex|hourIso`, `customerIndex|YYYY-MM-DD`, `customerIndex|YYYY-MM`. */
export function expectedRollups(current: readonly ModelRecord[], customerOf: (trunkIndex: number) => number): ModelRollups {
  const levels: ModelRollups = { trunkHours: new Map(), customerDays: new Map(), customerMonths: new Map() };
  const bump = (map: Map<string, Figures>, key: string, f: Figures) => {
    const row = map.get(key) ?? zero();
    add(row, f);
    map.set(key, row);
  };
  for (const r of current) {
    const at = new Date(r.kind === 'call' ? r.startedAtMs : r.sentAtMs).toISOString();
    const f = figuresOf(r);
    const customer = customerOf(r.trunkIndex);
    bump(levels.trunkHours, `${r.trunkIndex}|${at.slice(0, 13)}:00:00.000Z`, f);
    bump(levels.customerDays, `${customer}|${at.slice(0, 10)}`, f);
    bump(levels.customerMonths, `${customer}|${at.slice(0, 7)}`, f);
  }
  for (const map of [levels.trunkHours, levels.customerDays, levels.customerMonths]) for (const [key, f] of map) if (isZero(f)) map.delete(key);
  return levels;
}

/** Roll-up spend back to units of 0.0001; it can only carry the inputs' four decimals. */
const toUnits = (decimal: string): bigint => {
  const [whole, fraction = ''] = decimal.split('.');
  if (fraction.replace(/0+$/, '').length > 4) throw new Error(`spend ${decimal} has more decimals than any input`);
  return BigInt(whole! + fraction.padEnd(4, '0').slice(0, 4));
};

interface DbRow {
  key: string;
  calls_attempted: string;
  calls_completed: string;
  outbound_answered: string;
  outbound_answered_seconds: string;
  billable_seconds: string;
  sms_sent: string;
  spend: string;
}

const rowFigures = (r: DbRow): Figures => ({
  calls_attempted: Number(r.calls_attempted),
  calls_completed: Number(r.calls_completed),
  outbound_answered: Number(r.outbound_answered),
  outbound_answered_seconds: Number(r.outbound_answered_seconds),
  billable_seconds: Number(r.billable_seconds),
  sms_sent: Number(r.sms_sent),
  spend: toUnits(r.spend),
});

/** The service's roll-ups in the model's key space (rows whose figures are all zero left out). */
export async function actualRollups(pool: Pool, trunkIndexOf: Map<string, number>, customerIndexOf: Map<string, number>): Promise<ModelRollups> {
  const read = async (sql: string, key: (r: DbRow & { a: string; b: string }) => string): Promise<Map<string, Figures>> => {
    const { rows } = await pool.query<DbRow & { a: string; b: string }>(sql);
    const map = new Map<string, Figures>();
    for (const r of rows) {
      const f = rowFigures(r);
      if (!isZero(f)) map.set(key(r), f);
    }
    return map;
  };
  const cols = 'calls_attempted, calls_completed, outbound_answered, outbound_answered_seconds, billable_seconds, sms_sent, spend::text AS spend';
  return {
    trunkHours: await read(`SELECT trunk_id AS a, to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS b, ${cols} FROM usage_trunk_hours`, (r) => `${trunkIndexOf.get(String(r.a))}|${r.b}`),
    customerDays: await read(`SELECT customer_id AS a, to_char(day, 'YYYY-MM-DD') AS b, ${cols} FROM usage_customer_days`, (r) => `${customerIndexOf.get(String(r.a))}|${r.b}`),
    customerMonths: await read(`SELECT customer_id AS a, to_char(month, 'YYYY-MM') AS b, ${cols} FROM usage_customer_months`, (r) => `${customerIndexOf.get(String(r.a))}|${r.b}`),
  };
}
