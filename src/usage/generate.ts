import { DAY_MS, dayStartMs, daysBetween } from './days.js';

/**
 * Demo data: a realistic month of rated call records for some trunks, as a switch would send
 * them (docs/usage.md "Demo data"). Deterministic for a seed. Business-hours traffic (Central
 * European working day, in UTC), quieter weekends, 65 % outbound, an answer-seizure ratio of
 * 45–70 % per trunk, log-normal talk times billed in 6-second increments, per-minute rates, and a
 * small share of resends (duplicates) and re-rated records (version 2, sent at the end as late
 * corrections).
 */

export interface GeneratorTrunk {
  trunkId: string;
  concurrentCalls: number;
}

export interface GenerateOptions {
  month: string;
  trunks: readonly GeneratorTrunk[];
  /** Calls end before this (a current month stops at the present). */
  untilMs: number;
  seed?: number;
  /** Multiplies the volume (1: about 25 calls per channel on a working day). */
  scale?: number;
  duplicateShare?: number;
  correctionShare?: number;
}

export interface GeneratedCall {
  callId: string;
  trunkId: string;
  direction: 'outbound' | 'inbound';
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  billableSeconds: number;
  sipCode: number;
  cost: string;
  currency: 'USD';
  version: number;
  from: string;
  to: string;
}

/** Mulberry32: small, fast, good enough for demo data, reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// Share of a day's calls per UTC hour: a working day in Central Europe, a little evening traffic.
const HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.5, 1.5, 4, 8, 10, 10, 9, 8, 9, 10, 9, 8, 6, 4, 3, 2.5, 2, 1.5, 1.2, 1];
const HOUR_TOTAL = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
const FAILURE_CODES = [
  [486, 0.4],
  [487, 0.3],
  [480, 0.2],
  [503, 0.1],
] as const;
// Per-minute rates in micro-dollars: outbound 1.25 ¢, inbound 0.45 ¢.
const RATE_MICROS = { outbound: 12_500, inbound: 4_500 };

const microsToDecimal = (micros: number): string => `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;

function pickHour(rand: () => number): number {
  let target = rand() * HOUR_TOTAL;
  for (let hour = 0; hour < 24; hour++) {
    target -= HOUR_WEIGHTS[hour]!;
    if (target <= 0) return hour;
  }
  return 23;
}

const phone = (rand: () => number): string => `+1555${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`;

function makeCall(rand: () => number, trunk: GeneratorTrunk, asr: number, startMs: number, n: number): GeneratedCall {
  const outbound = rand() < 0.65;
  const answered = rand() < (outbound ? asr : 0.8);
  const ringMs = Math.round((3 + rand() * 22) * 1000);
  const iso = (ms: number) => new Date(ms).toISOString();
  let billableSeconds = 0;
  let endMs = startMs + ringMs;
  let sipCode = 200;
  if (answered) {
    // Log-normal talk time, median about 2 minutes, capped at 2 hours.
    const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const talkSeconds = Math.min(7200, Math.max(1, Math.round(Math.exp(Math.log(120) + 0.9 * normal))));
    billableSeconds = Math.ceil(talkSeconds / 6) * 6;
    endMs = startMs + ringMs + talkSeconds * 1000;
  } else {
    let pick = rand();
    sipCode = FAILURE_CODES.find(([, share]) => (pick -= share) <= 0)?.[0] ?? 486;
  }
  const rate = RATE_MICROS[outbound ? 'outbound' : 'inbound'];
  return {
    callId: `call_${trunk.trunkId.slice(6, 14)}_${startMs.toString(36)}_${n.toString(36)}`,
    trunkId: trunk.trunkId,
    direction: outbound ? 'outbound' : 'inbound',
    startedAt: iso(startMs),
    answeredAt: answered ? iso(startMs + ringMs) : null,
    endedAt: iso(endMs),
    billableSeconds,
    sipCode,
    cost: microsToDecimal(Math.round((billableSeconds * rate) / 60)),
    currency: 'USD',
    version: 1,
    from: phone(rand),
    to: phone(rand),
  };
}

/** The month's calls, day by day in time order; then the re-rated versions. */
export function* generateMonth(options: GenerateOptions): Generator<GeneratedCall> {
  const rand = random(options.seed ?? 1);
  const scale = options.scale ?? 1;
  const first = `${options.month}-01`;
  const last = new Date(Date.UTC(Number(options.month.slice(0, 4)), Number(options.month.slice(5, 7)), 0)).toISOString().slice(0, 10);
  const asrOf = new Map(options.trunks.map((t) => [t.trunkId, 0.45 + rand() * 0.25]));
  const corrections: GeneratedCall[] = [];
  let n = 0;
  for (const day of daysBetween(first, last)) {
    const dayMs = dayStartMs(day);
    if (dayMs >= options.untilMs) break;
    const weekend = [0, 6].includes(new Date(dayMs).getUTCDay());
    const calls: GeneratedCall[] = [];
    for (const trunk of options.trunks) {
      const volume = Math.round(trunk.concurrentCalls * 25 * scale * (weekend ? 0.35 : 1) * (0.85 + rand() * 0.3));
      for (let i = 0; i < volume; i++) {
        const startMs = dayMs + pickHour(rand) * 3_600_000 + Math.floor(rand() * 3_600_000);
        const call = makeCall(rand, trunk, asrOf.get(trunk.trunkId)!, startMs, n++);
        if (Date.parse(call.endedAt) < options.untilMs && startMs < dayMs + DAY_MS) calls.push(call);
      }
    }
    calls.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (const call of calls) {
      yield call;
      if (rand() < (options.duplicateShare ?? 0.005)) yield call;
      if (call.billableSeconds > 0 && rand() < (options.correctionShare ?? 0.005)) {
        // Re-rated at a 10 % higher rate: a later version of the same call.
        const micros = Math.round(Number(call.cost.replace('.', '')) * 1.1);
        corrections.push({ ...call, version: 2, cost: microsToDecimal(micros) });
      }
    }
  }
  yield* corrections;
}

export const CALL_CSV_COLUMNS = ['callId', 'trunkId', 'direction', 'startedAt', 'answeredAt', 'endedAt', 'billableSeconds', 'sipCode', 'cost', 'currency', 'version', 'from', 'to'] as const;

export const toCsvLine = (call: GeneratedCall): string => CALL_CSV_COLUMNS.map((column) => call[column] ?? '').join(',');
