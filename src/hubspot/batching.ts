import { describeSensitive, findSensitiveValue } from '../domain/outgoing-guard.js';
import { isHubSpotError } from './errors.js';
import type { HubSpotErrorEnvelope, HubSpotObject } from './schemas.js';
import type { BatchFailure, BatchResult } from './types.js';

/** Documented maxima per request (docs/hubspot-facts.md "Records, batches, search", "Objects and associations"). */
export const BATCH_LIMITS = {
  objects: 100,
  associationsRead: 1_000,
  associationsCreate: 2_000,
  /** Not documented; the read limit is the safe choice. */
  associationsArchive: 1_000,
} as const;

/** How many chunks of one batch call are in flight at once; the shared budget paces them anyway. */
export const DEFAULT_CHUNK_CONCURRENCY = 4;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Runs `work` over the chunks with at most `concurrency` in flight; results in chunk order. */
export async function mapChunks<T, R>(chunks: T[][], concurrency: number, work: (chunk: T[], offset: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(chunks.length);
  const offsets = chunks.map((_, i) => chunks.slice(0, i).reduce((n, c) => n + c.length, 0));
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, chunks.length) }, async () => {
    while (next < chunks.length) {
      const at = next++;
      results[at] = await work(chunks[at]!, offsets[at]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/** A trace id per input so a 207 error names its input; unique within one request, as HubSpot asks. */
export const traceIdFor = (index: number): string => `warp-${index}`;

const contextList = (error: HubSpotErrorEnvelope, key: string): string[] => {
  const values = error.context?.[key];
  return Array.isArray(values) ? values.map(String) : [];
};

/**
 * Turns one chunk's answer (200/201, or 207 with `errors[]`) into per-input results and failures.
 * Failed inputs are found by the `objectWriteTraceId` we sent, or by `context.ids` (batch read,
 * and update/upsert without trace ids). An error that names no input applies to the whole chunk.
 */
export function splitBatchResponse<I>(input: {
  inputs: I[];
  offset: number;
  status: number;
  results: HubSpotObject[];
  errors: HubSpotErrorEnvelope[];
  idOf: (input: I) => string | undefined;
  traceIdOf: (input: I, index: number) => string | undefined;
}): BatchResult<I> {
  const { inputs, offset } = input;
  const byTrace = new Map<string, number>();
  const byId = new Map<string, number>();
  inputs.forEach((item, i) => {
    const trace = input.traceIdOf(item, offset + i);
    if (trace) byTrace.set(trace, offset + i);
    const id = input.idOf(item);
    if (id !== undefined) byId.set(id, offset + i);
  });
  const results = input.results.map((record) => ({
    ...record,
    inputIndex: record.objectWriteTraceId !== undefined ? byTrace.get(record.objectWriteTraceId) : undefined,
  }));
  const failures: Array<BatchFailure<I>> = [];
  for (const error of input.errors) {
    const traced = contextList(error, 'objectWriteTraceId').map((t) => byTrace.get(t));
    const byIds = contextList(error, 'ids').map((id) => byId.get(id));
    let indexes = [...traced, ...byIds].filter((i): i is number => i !== undefined);
    if (indexes.length === 0) indexes = inputs.map((_, i) => offset + i);
    for (const index of new Set(indexes)) {
      const failed = inputs[index - offset]!;
      failures.push({
        index,
        input: failed,
        category: error.category ?? 'UNKNOWN',
        message: error.message ?? 'no message',
        objectWriteTraceId: input.traceIdOf(failed, index),
        details: error.errors ?? [],
        status: input.status,
        retryable: false,
      });
    }
  }
  return { results, failures };
}

/**
 * A chunk HubSpot refused as a whole (after the gateway's own retries) fails every input in it,
 * so the caller can retry or report exactly those. Auth errors are thrown instead: no other chunk
 * can succeed either, and the operator must fix the token.
 */
export function failChunk<I>(inputs: I[], offset: number, error: unknown, traceIdOf: (input: I, index: number) => string | undefined): BatchResult<I> {
  if (!isHubSpotError(error) || error.kind === 'auth' || error.kind === 'unexpected') throw error;
  return {
    results: [],
    failures: inputs.map((item, i) => ({
      index: offset + i,
      input: item,
      category: error.category ?? error.kind,
      message: error.message,
      objectWriteTraceId: traceIdOf(item, offset + i),
      details: error.details,
      status: error.status,
      retryable: error.kind === 'retryable' || error.kind === 'rate_limited',
    })),
  };
}

/** Category of inputs the outgoing guard refused (never sent; see client.ts). */
export const OUTGOING_GUARD_CATEGORY = 'OUTGOING_GUARD';

/**
 * Splits off the inputs the outgoing guard refuses (a card number or an API key anywhere in them,
 * ids included), each as its own failure, so one such record fails alone instead of taking its
 * chunk down with it. The client checks every body again before it is sent.
 */
export function screenOutgoing<I>(inputs: readonly I[]): { send: Array<{ input: I; index: number }>; refused: Array<BatchFailure<I>> } {
  const send: Array<{ input: I; index: number }> = [];
  const refused: Array<BatchFailure<I>> = [];
  inputs.forEach((input, index) => {
    const found = findSensitiveValue(input);
    if (!found) send.push({ input, index });
    else {
      refused.push({
        index,
        input,
        category: OUTGOING_GUARD_CATEGORY,
        message: `Refused to send input ${index}: ${found.path || 'its id'} looks like ${describeSensitive(found.kind)}`,
        details: [],
        status: 0,
        retryable: false,
      });
    }
  });
  return { send, refused };
}

/** A result over the screened inputs, with indexes into the caller's full array again. */
export function withScreened<I>(result: BatchResult<I>, screened: ReturnType<typeof screenOutgoing<I>>): BatchResult<I> {
  const original = (i: number | undefined): number | undefined => (i === undefined ? undefined : screened.send[i]?.index);
  return {
    results: result.results.map((r) => ({ ...r, inputIndex: original(r.inputIndex) })),
    failures: [...result.failures.map((f) => ({ ...f, index: original(f.index) ?? f.index })), ...screened.refused].sort((a, b) => a.index - b.index),
  };
}

export function mergeResults<I>(parts: Array<BatchResult<I>>): BatchResult<I> {
  return {
    results: parts.flatMap((p) => p.results),
    failures: parts.flatMap((p) => p.failures).sort((a, b) => a.index - b.index),
  };
}
