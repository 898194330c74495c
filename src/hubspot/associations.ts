import { BATCH_LIMITS, chunk, failChunk, mapChunks } from './batching.js';
import { segment } from './client.js';
import { callSpec, type OperationContext } from './objects.js';
import {
  associationBatchReadSchema,
  associationBatchWriteSchema,
  associationPageSchema,
  type AssociationTarget,
  type HubSpotErrorEnvelope,
} from './schemas.js';
import type { AssociationPair, BatchFailure, CallOptions, LabeledAssociationInput } from './types.js';

/**
 * Associations v4 (docs/hubspot-facts.md "Objects and associations"): default (unlabeled) and labeled, single and batch, read and
 * remove. Batches are chunked to the documented limits (read 1,000, create 2,000 inputs).
 */

const OBJECTS = '/crm/v4/objects';
const ASSOCIATIONS = '/crm/v4/associations';

export interface AssociationWriteResult<I> {
  /** Only the pairs HubSpot refused, each with its reason. */
  failures: Array<BatchFailure<I>>;
}

export async function associateDefault(
  ctx: OperationContext,
  from: { objectType: string; id: string },
  to: { objectType: string; id: string },
  options?: CallOptions,
): Promise<void> {
  await ctx.http.request({
    method: 'PUT',
    path: `${OBJECTS}/${segment(from.objectType)}/${segment(from.id)}/associations/default/${segment(to.objectType)}/${segment(to.id)}`,
    operation: `associateDefault ${from.objectType}->${to.objectType}`,
    ...callSpec(ctx, options),
  });
}

/** Sets the labels of one pair: send all labels the pair should keep (labels are replaced). */
export async function associate(
  ctx: OperationContext,
  from: { objectType: string; id: string },
  to: { objectType: string; id: string },
  types: LabeledAssociationInput['types'],
  options?: CallOptions,
): Promise<void> {
  await ctx.http.request({
    method: 'PUT',
    path: `${OBJECTS}/${segment(from.objectType)}/${segment(from.id)}/associations/${segment(to.objectType)}/${segment(to.id)}`,
    operation: `associate ${from.objectType}->${to.objectType}`,
    body: types,
    ...callSpec(ctx, options),
  });
}

/** Removes every association between the pair. */
export async function removeAssociation(
  ctx: OperationContext,
  from: { objectType: string; id: string },
  to: { objectType: string; id: string },
  options?: CallOptions,
): Promise<void> {
  await ctx.http.request({
    method: 'DELETE',
    path: `${OBJECTS}/${segment(from.objectType)}/${segment(from.id)}/associations/${segment(to.objectType)}/${segment(to.id)}`,
    operation: `removeAssociation ${from.objectType}->${to.objectType}`,
    ...callSpec(ctx, options),
  });
}

/** All records of `toObjectType` associated with one record, with their association types. */
export async function listAssociations(
  ctx: OperationContext,
  from: { objectType: string; id: string },
  toObjectType: string,
  options?: CallOptions,
): Promise<AssociationTarget[]> {
  const all: AssociationTarget[] = [];
  let after: string | undefined;
  do {
    const { data } = await ctx.http.requestParsed(
      {
        method: 'GET',
        path: `${OBJECTS}/${segment(from.objectType)}/${segment(from.id)}/associations/${segment(toObjectType)}`,
        operation: `listAssociations ${from.objectType}->${toObjectType}`,
        query: { limit: 500, after },
        ...callSpec(ctx, options),
      },
      associationPageSchema,
    );
    all.push(...data.results);
    after = data.paging?.next?.after;
  } while (after);
  return all;
}

/** Failed pairs are named by `context.fromObjectId` (and `toObjectId`) in HubSpot's errors. */
function pairFailures<I extends AssociationPair>(inputs: I[], offset: number, status: number, errors: HubSpotErrorEnvelope[]): Array<BatchFailure<I>> {
  return errors.flatMap((error) => {
    const fromIds = error.context?.['fromObjectId'] ?? [];
    const toIds = error.context?.['toObjectId'] ?? [];
    const matches = inputs
      .map((input, i) => ({ input, index: offset + i }))
      .filter(({ input }) => fromIds.includes(input.fromId) && (toIds.length === 0 || toIds.includes(input.toId)));
    const hit = matches.length > 0 ? matches : inputs.map((input, i) => ({ input, index: offset + i }));
    return hit.map(({ input, index }) => ({
      index,
      input,
      category: error.category ?? 'UNKNOWN',
      message: error.message ?? 'no message',
      details: error.errors ?? [],
      status,
      retryable: false,
    }));
  });
}

async function batchWrite<I extends AssociationPair>(
  ctx: OperationContext,
  fromObjectType: string,
  toObjectType: string,
  action: 'associate/default' | 'create' | 'archive',
  inputs: I[],
  toInput: (input: I) => unknown,
  limit: number,
  options: CallOptions | undefined,
): Promise<AssociationWriteResult<I>> {
  const parts = await mapChunks(chunk(inputs, limit), ctx.chunkConcurrency, async (part, offset) => {
    try {
      const { status, body } = await ctx.http.request({
        method: 'POST',
        path: `${ASSOCIATIONS}/${segment(fromObjectType)}/${segment(toObjectType)}/batch/${action}`,
        operation: `batchAssociations ${action} ${fromObjectType}->${toObjectType}`,
        body: { inputs: part.map(toInput) },
        ...callSpec(ctx, options),
      });
      const parsed = associationBatchWriteSchema.safeParse(body ?? {});
      return pairFailures(part, offset, status, parsed.success ? (parsed.data.errors ?? []) : []);
    } catch (error) {
      return failChunk(part, offset, error, () => undefined).failures;
    }
  });
  return { failures: parts.flat().sort((a, b) => a.index - b.index) };
}

export function batchAssociateDefault(
  ctx: OperationContext,
  fromObjectType: string,
  toObjectType: string,
  pairs: AssociationPair[],
  options?: CallOptions,
): Promise<AssociationWriteResult<AssociationPair>> {
  return batchWrite(ctx, fromObjectType, toObjectType, 'associate/default', pairs,
    (p) => ({ from: { id: p.fromId }, to: { id: p.toId } }), BATCH_LIMITS.associationsCreate, options);
}

export function batchAssociate(
  ctx: OperationContext,
  fromObjectType: string,
  toObjectType: string,
  inputs: LabeledAssociationInput[],
  options?: CallOptions,
): Promise<AssociationWriteResult<LabeledAssociationInput>> {
  return batchWrite(ctx, fromObjectType, toObjectType, 'create', inputs,
    (p) => ({ from: { id: p.fromId }, to: { id: p.toId }, types: p.types }), BATCH_LIMITS.associationsCreate, options);
}

export function batchRemoveAssociations(
  ctx: OperationContext,
  fromObjectType: string,
  toObjectType: string,
  pairs: AssociationPair[],
  options?: CallOptions,
): Promise<AssociationWriteResult<AssociationPair>> {
  return batchWrite(ctx, fromObjectType, toObjectType, 'archive', pairs,
    (p) => ({ from: { id: p.fromId }, to: [{ id: p.toId }] }), BATCH_LIMITS.associationsArchive, options);
}

/**
 * Associations of many records at once: a map from each `from` id to its targets. A record with
 * no associations maps to an empty list (HubSpot reports it as an error; it is not one for us).
 */
export async function batchReadAssociations(
  ctx: OperationContext,
  fromObjectType: string,
  toObjectType: string,
  ids: string[],
  options?: CallOptions,
): Promise<Map<string, AssociationTarget[]>> {
  const out = new Map<string, AssociationTarget[]>(ids.map((id) => [id, []]));
  await mapChunks(chunk(ids, BATCH_LIMITS.associationsRead), ctx.chunkConcurrency, async (part) => {
    const { data } = await ctx.http.requestParsed(
      {
        method: 'POST',
        path: `${ASSOCIATIONS}/${segment(fromObjectType)}/${segment(toObjectType)}/batch/read`,
        operation: `batchReadAssociations ${fromObjectType}->${toObjectType}`,
        body: { inputs: part.map((id) => ({ id })) },
        ...callSpec(ctx, options),
      },
      associationBatchReadSchema,
    );
    for (const result of data.results) out.set(result.from.id, result.to);
  });
  return out;
}
