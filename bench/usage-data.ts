import type { GeneratedCall } from '../src/usage/generate.js';

/**
 * The rows of the usage-ingest benchmark, generated deterministically so the API phase (JSON in
 * a load child) and the COPY ceiling (text in the main process) send the same records. A batch
 * holds fresh calls plus a share of resends (duplicates) and re-rated versions (corrections) of
 * calls sent in earlier batches of the same stream. Ids are time-ordered per trunk, as a switch
 * makes them (`benchCallId`; the history of the full-database phase uses the same scheme), so
 * new ids land all over the registry's index, not at one end of it.
 */

export type BenchCall = Omit<GeneratedCall, 'currency'>;

/** `call_<trunk>_<start, hex ms>_<suffix>`; bench/usage-ingest.ts writes the history's ids the same way in SQL. */
export const benchCallId = (trunkId: string, startMs: number, suffix: string): string => `call_${trunkId.slice(6)}_${startMs.toString(16)}_${suffix}`;

const phone = (rand: () => number): string => `+1555${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`;

export interface StreamSpec {
  /** Distinguishes streams (clients, phases): ids never collide across them. */
  stream: string;
  trunkIds: readonly string[];
  batchSize: number;
  duplicateShare: number;
  correctionShare: number;
  /** Calls start within the two hours before this. */
  nowMs: number;
}

/** The stream's batches, one per call. */
export function batchSource(spec: StreamSpec): () => BenchCall[] {
  const source = batches(spec);
  return () => source.next().value as BenchCall[];
}

function* batches(spec: StreamSpec): Generator<BenchCall[], void, undefined> {
  const sent: BenchCall[] = [];
  let n = 0;
  let state = 0x9e3779b9 ^ [...spec.stream].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619), 2_166_136_261);
  const rand = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 4_294_967_296;
  };
  for (;;) {
    const batch: BenchCall[] = [];
    for (let i = 0; i < spec.batchSize; i++) {
      const roll = rand();
      const pick = Math.floor(rand() * sent.length);
      const earlier = sent[pick];
      if (earlier && roll < spec.duplicateShare) batch.push(earlier);
      else if (earlier && roll < spec.duplicateShare + spec.correctionShare) {
        const corrected = { ...earlier, version: earlier.version + 1, cost: (Number(earlier.cost) * 1.1).toFixed(6) };
        sent[pick] = corrected;
        batch.push(corrected);
      } else {
        const startMs = spec.nowMs - Math.floor(rand() * 7_200_000);
        const answered = rand() < 0.6;
        const seconds = answered ? 6 * (1 + Math.floor(rand() * 40)) : 0;
        const trunkId = spec.trunkIds[Math.floor(rand() * spec.trunkIds.length)]!;
        const call: BenchCall = {
          callId: benchCallId(trunkId, startMs, `${spec.stream}-${(n++).toString(36)}`),
          trunkId,
          direction: rand() < 0.65 ? 'outbound' : 'inbound',
          startedAt: new Date(startMs).toISOString(),
          answeredAt: answered ? new Date(startMs + 4000).toISOString() : null,
          endedAt: new Date(startMs + 4000 + seconds * 1000).toISOString(),
          billableSeconds: seconds,
          sipCode: answered ? 200 : 486,
          cost: ((seconds / 60) * 0.0125).toFixed(6),
          version: 1,
          from: phone(rand),
          to: phone(rand),
        };
        sent.push(call);
        batch.push(call);
      }
    }
    yield batch;
  }
}
