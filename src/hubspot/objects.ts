import { z } from 'zod';

import { BATCH_LIMITS, chunk, failChunk, mapChunks, mergeResults, screenOutgoing, splitBatchResponse, traceIdFor, withScreened } from './batching.js';
import { type HttpClient, segment } from './client.js';
import { batchResponseSchema, hubSpotObjectSchema, type HubSpotObject, objectPageSchema, pagingSchema } from './schemas.js';
import type {
  AssociationSpec,
  BatchCreateInput,
  BatchResult,
  BatchUpdateInput,
  BatchUpsertInput,
  CallOptions,
  ListOptions,
  Page,
  Priority,
  PropertyValues,
  ReadOptions,
} from './types.js';

/** CRM records of any type: single calls, list paging and batches (docs/hubspot-facts.md "Records, batches, search"). */

export interface OperationContext {
  http: HttpClient;
  defaultPriority: Priority;
  chunkConcurrency: number;
}

const OBJECTS = '/crm/v3/objects';

/** HubSpot stores every value as a string; we send numbers and booleans the way it reads them. */
export function toHubSpotValues(values: PropertyValues): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function associationsBody(associations: AssociationSpec[] | undefined): unknown[] | undefined {
  return associations?.map((a) => ({
    to: { id: a.toObjectId },
    types: [{ associationCategory: a.associationCategory ?? 'HUBSPOT_DEFINED', associationTypeId: a.associationTypeId }],
  }));
}

export function callSpec(ctx: OperationContext, options: CallOptions | undefined): { priority: Priority; signal: AbortSignal | undefined } {
  return { priority: options?.priority ?? ctx.defaultPriority, signal: options?.signal };
}

export async function getObject(ctx: OperationContext, objectType: string, id: string, options?: ReadOptions): Promise<HubSpotObject> {
  const { data } = await ctx.http.requestParsed(
    {
      method: 'GET',
      path: `${OBJECTS}/${segment(objectType)}/${segment(id)}`,
      operation: `getObject ${objectType}`,
      query: {
        properties: options?.properties,
        associations: options?.associations,
        archived: options?.archived,
        idProperty: options?.idProperty,
      },
      ...callSpec(ctx, options),
    },
    hubSpotObjectSchema,
  );
  return data;
}

export async function createObject(
  ctx: OperationContext,
  objectType: string,
  input: BatchCreateInput,
  options?: CallOptions,
): Promise<HubSpotObject> {
  const { data } = await ctx.http.requestParsed(
    {
      method: 'POST',
      path: `${OBJECTS}/${segment(objectType)}`,
      operation: `createObject ${objectType}`,
      createsRecords: true,
      body: { properties: toHubSpotValues(input.properties), associations: associationsBody(input.associations) ?? [] },
      ...callSpec(ctx, options),
    },
    hubSpotObjectSchema,
  );
  return data;
}

export async function updateObject(
  ctx: OperationContext,
  objectType: string,
  id: string,
  properties: PropertyValues,
  options?: CallOptions & { idProperty?: string },
): Promise<HubSpotObject> {
  const { data } = await ctx.http.requestParsed(
    {
      method: 'PATCH',
      path: `${OBJECTS}/${segment(objectType)}/${segment(id)}`,
      operation: `updateObject ${objectType}`,
      query: { idProperty: options?.idProperty },
      body: { properties: toHubSpotValues(properties) },
      ...callSpec(ctx, options),
    },
    hubSpotObjectSchema,
  );
  return data;
}

export async function archiveObject(ctx: OperationContext, objectType: string, id: string, options?: CallOptions): Promise<void> {
  await ctx.http.request({
    method: 'DELETE',
    path: `${OBJECTS}/${segment(objectType)}/${segment(id)}`,
    operation: `archiveObject ${objectType}`,
    ...callSpec(ctx, options),
  });
}

/** The request of one list page (`listObjects` and `listObjectsChecked` differ only in how they parse it). */
const listPageRequest = (ctx: OperationContext, objectType: string, options?: ListOptions) => ({
  method: 'GET' as const,
  path: `${OBJECTS}/${segment(objectType)}`,
  operation: `listObjects ${objectType}`,
  query: {
    limit: Math.min(options?.limit ?? 100, 100),
    after: options?.after,
    properties: options?.properties,
    associations: options?.associations,
    archived: options?.archived,
  },
  ...callSpec(ctx, options),
});

export async function listObjects(ctx: OperationContext, objectType: string, options?: ListOptions): Promise<Page<HubSpotObject>> {
  const { data } = await ctx.http.requestParsed(listPageRequest(ctx, objectType, options), objectPageSchema);
  return { results: data.results, ...(data.paging?.next ? { after: data.paging.next.after } : {}) };
}

/** A record of a list page that did not parse, with why (the rest of its page is kept). */
export interface UnparsedRecord {
  /** The record's id when it has a readable one. */
  id: string | undefined;
  reason: string;
}

/**
 * The records of a page checked one by one: one that does not parse is returned in `invalid`, with
 * its id when readable and why, instead of failing the page (reconcile reports it and goes on).
 */
export function parseEachRecord(raw: readonly unknown[]): { results: HubSpotObject[]; invalid: UnparsedRecord[] } {
  const results: HubSpotObject[] = [];
  const invalid: UnparsedRecord[] = [];
  for (const record of raw) {
    const parsed = hubSpotObjectSchema.safeParse(record);
    if (parsed.success) results.push(parsed.data);
    else {
      const id = (record as { id?: unknown } | null)?.id;
      invalid.push({ id: typeof id === 'string' ? id : undefined, reason: parsed.error.issues.slice(0, 2).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    }
  }
  return { results, invalid };
}

/** One list page whose records are checked one by one (`parseEachRecord`). */
export async function listObjectsChecked(
  ctx: OperationContext,
  objectType: string,
  options?: ListOptions,
): Promise<Page<HubSpotObject> & { invalid: UnparsedRecord[] }> {
  const { data } = await ctx.http.requestParsed(listPageRequest(ctx, objectType, options), z.object({ results: z.array(z.unknown()), paging: pagingSchema }));
  return { ...parseEachRecord(data.results), ...(data.paging?.next ? { after: data.paging.next.after } : {}) };
}

/** Every record of a type, page by page (100 per request). */
export async function* iterateObjects(ctx: OperationContext, objectType: string, options?: Omit<ListOptions, 'after'>): AsyncGenerator<HubSpotObject> {
  let after: string | undefined;
  do {
    const page = await listObjects(ctx, objectType, { ...options, ...(after ? { after } : {}) });
    yield* page.results;
    after = page.after;
  } while (after);
}

type BatchAction = 'create' | 'update' | 'upsert' | 'read';

/** Shared by the four batch writes/reads: screen, chunk to 100, send, split 207s, merge. */
async function runObjectBatch<I>(
  ctx: OperationContext,
  objectType: string,
  action: BatchAction,
  inputs: I[],
  toBody: (chunkInputs: I[], offset: number) => unknown,
  keys: { idOf: (input: I) => string | undefined; traceIdOf: (input: I, index: number) => string | undefined },
  options: CallOptions | undefined,
): Promise<BatchResult<I>> {
  const screened = screenOutgoing(inputs);
  const toSend = screened.send.map((s) => s.input);
  const parts = await mapChunks(chunk(toSend, BATCH_LIMITS.objects), ctx.chunkConcurrency, async (part, offset) => {
    try {
      const { status, data } = await ctx.http.requestParsed(
        {
          method: 'POST',
          path: `${OBJECTS}/${segment(objectType)}/batch/${action}`,
          operation: `batch${action[0]!.toUpperCase()}${action.slice(1)} ${objectType}`,
          body: toBody(part, offset),
          createsRecords: action === 'create',
          ...callSpec(ctx, options),
        },
        batchResponseSchema,
      );
      return splitBatchResponse({ inputs: part, offset, status, results: data.results, errors: data.errors ?? [], ...keys });
    } catch (error) {
      return failChunk(part, offset, error, keys.traceIdOf);
    }
  });
  return withScreened(mergeResults(parts), screened);
}

const withTrace = <I extends { objectWriteTraceId?: string }>(input: I, index: number): string => input.objectWriteTraceId ?? traceIdFor(index);

/**
 * Creates records, 100 per request. Every input carries an `objectWriteTraceId` (ours unless the
 * caller gave one), which makes HubSpot answer 207 with per-input errors instead of failing the chunk.
 */
export function batchCreate(
  ctx: OperationContext,
  objectType: string,
  inputs: Array<BatchCreateInput & { objectWriteTraceId?: string }>,
  options?: CallOptions,
): Promise<BatchResult<BatchCreateInput & { objectWriteTraceId?: string }>> {
  return runObjectBatch(ctx, objectType, 'create', inputs, (part, offset) => ({
    inputs: part.map((input, i) => ({
      properties: toHubSpotValues(input.properties),
      associations: associationsBody(input.associations) ?? [],
      objectWriteTraceId: withTrace(input, offset + i),
    })),
  }), { idOf: () => undefined, traceIdOf: withTrace }, options);
}

export function batchUpdate(
  ctx: OperationContext,
  objectType: string,
  inputs: Array<BatchUpdateInput & { objectWriteTraceId?: string }>,
  options?: CallOptions,
): Promise<BatchResult<BatchUpdateInput & { objectWriteTraceId?: string }>> {
  return runObjectBatch(ctx, objectType, 'update', inputs, (part, offset) => ({
    inputs: part.map((input, i) => ({
      id: input.id,
      ...(input.idProperty ? { idProperty: input.idProperty } : {}),
      properties: toHubSpotValues(input.properties),
      objectWriteTraceId: withTrace(input, offset + i),
    })),
  }), { idOf: (input) => input.id, traceIdOf: withTrace }, options);
}

/** Creates or updates by a unique property (or `email` for contacts); results carry `new`. */
export function batchUpsert(
  ctx: OperationContext,
  objectType: string,
  inputs: Array<BatchUpsertInput & { objectWriteTraceId?: string }>,
  options?: CallOptions,
): Promise<BatchResult<BatchUpsertInput & { objectWriteTraceId?: string }>> {
  return runObjectBatch(ctx, objectType, 'upsert', inputs, (part, offset) => ({
    inputs: part.map((input, i) => ({
      id: input.id,
      idProperty: input.idProperty,
      properties: toHubSpotValues(input.properties),
      objectWriteTraceId: withTrace(input, offset + i),
    })),
  }), { idOf: (input) => input.id, traceIdOf: withTrace }, options);
}

/** Reads records by id (or by `idProperty` values); ids HubSpot does not know come back as failures. */
export async function batchRead(
  ctx: OperationContext,
  objectType: string,
  ids: string[],
  options?: CallOptions & { properties?: string[]; idProperty?: string; archived?: boolean },
): Promise<BatchResult<string>> {
  const result = await runObjectBatch(ctx, objectType, 'read', ids, (part) => ({
    inputs: part.map((id) => ({ id })),
    properties: options?.properties ?? [],
    ...(options?.idProperty ? { idProperty: options.idProperty } : {}),
  }), { idOf: (id) => id, traceIdOf: () => undefined }, options);
  // Reads have no trace ids: match results to inputs by id (or by the idProperty value).
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  return {
    failures: result.failures,
    results: result.results.map((r) => ({
      ...r,
      inputIndex: indexOf.get(options?.idProperty ? (r.properties[options.idProperty] ?? '') : r.id),
    })),
  };
}

/** Archives records, 100 per request (HubSpot answers 204 with no per-input detail). */
export async function batchArchive(ctx: OperationContext, objectType: string, ids: string[], options?: CallOptions): Promise<BatchResult<string>> {
  const parts = await mapChunks(chunk(ids, BATCH_LIMITS.objects), ctx.chunkConcurrency, async (part, offset) => {
    try {
      await ctx.http.request({
        method: 'POST',
        path: `${OBJECTS}/${segment(objectType)}/batch/archive`,
        operation: `batchArchive ${objectType}`,
        body: { inputs: part.map((id) => ({ id })) },
        ...callSpec(ctx, options),
      });
      return { results: [], failures: [] };
    } catch (error) {
      return failChunk(part, offset, error, () => undefined);
    }
  });
  return mergeResults(parts);
}
