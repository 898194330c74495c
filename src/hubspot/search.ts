import { z } from 'zod';

import { segment } from './client.js';
import { callSpec, type OperationContext, parseEachRecord, type UnparsedRecord } from './objects.js';
import { type HubSpotObject, pagingSchema, searchPageSchema } from './schemas.js';
import type { CallOptions, SearchFilter, SearchPage, SearchRequest } from './types.js';

/**
 * CRM search (docs/hubspot-facts.md "Records, batches, search"): its own limit of 5 requests per second per account, at most 200
 * per page, and no paging past 10,000 results of one query. `searchAll` gets around the cap by
 * windowing: it sorts by `hs_object_id` and, when a query's 10,000 are used up, starts a new query
 * for ids greater than the last one seen, so no record is skipped or repeated.
 */

export const SEARCH_MAX_PAGE_SIZE = 200;
/** "limited to 10,000 total results for any given query. Attempting to page beyond 10,000 will result in a 400 error." */
export const SEARCH_MAX_RESULTS = 10_000;
const MAX_FILTERS_PER_GROUP = 6;

const searchRequest = (ctx: OperationContext, objectType: string, request: SearchRequest, options?: CallOptions) => ({
  method: 'POST' as const,
  path: `/crm/v3/objects/${segment(objectType)}/search`,
  operation: `search ${objectType}`,
  bucket: 'search' as const,
  body: { ...request, limit: Math.min(request.limit ?? SEARCH_MAX_PAGE_SIZE, SEARCH_MAX_PAGE_SIZE) },
  ...callSpec(ctx, options),
});

export async function search(ctx: OperationContext, objectType: string, request: SearchRequest, options?: CallOptions): Promise<SearchPage> {
  const { data } = await ctx.http.requestParsed(searchRequest(ctx, objectType, request, options), searchPageSchema);
  return { total: data.total, results: data.results, ...(data.paging?.next ? { after: data.paging.next.after } : {}) };
}

/** One search page whose records are checked one by one, like `listObjectsChecked`. */
export async function searchChecked(
  ctx: OperationContext,
  objectType: string,
  request: SearchRequest,
  options?: CallOptions,
): Promise<SearchPage & { invalid: UnparsedRecord[] }> {
  const { data } = await ctx.http.requestParsed(searchRequest(ctx, objectType, request, options), z.object({ total: z.number(), results: z.array(z.unknown()), paging: pagingSchema }));
  return { total: data.total, ...parseEachRecord(data.results), ...(data.paging?.next ? { after: data.paging.next.after } : {}) };
}

/** Adds `hs_object_id > lastId` to every filter group (or makes it the only group). */
function windowed(filterGroups: SearchRequest['filterGroups'], lastId: string | undefined): Array<{ filters: SearchFilter[] }> {
  if (lastId === undefined) return filterGroups ?? [];
  const bound: SearchFilter = { propertyName: 'hs_object_id', operator: 'GT', value: lastId };
  if (!filterGroups || filterGroups.length === 0) return [{ filters: [bound] }];
  return filterGroups.map((g) => ({ filters: [...g.filters, bound] }));
}

/**
 * Every record matching `request`, in `hs_object_id` order, however many there are. `sorts` and
 * `after` of the request are ignored (the window needs id order). Each filter group may hold at
 * most 5 filters, leaving room for the window bound.
 */
export async function* searchAll(
  ctx: OperationContext,
  objectType: string,
  request: Omit<SearchRequest, 'sorts' | 'after'>,
  options?: CallOptions,
): AsyncGenerator<HubSpotObject> {
  if ((request.filterGroups ?? []).some((g) => g.filters.length >= MAX_FILTERS_PER_GROUP)) {
    throw new RangeError(`searchAll needs room for one more filter per group: at most ${MAX_FILTERS_PER_GROUP - 1} filters per group`);
  }
  const pageSize = Math.min(request.limit ?? SEARCH_MAX_PAGE_SIZE, SEARCH_MAX_PAGE_SIZE);
  let lastId: string | undefined;
  for (;;) {
    // The bound stays fixed for the whole window; `lastId` moves on as records arrive.
    const windowStart = lastId;
    let offset = 0;
    let seenInWindow = 0;
    let exhausted = false;
    // One window: page while the next page stays within the 10,000 cap.
    while (offset + pageSize <= SEARCH_MAX_RESULTS) {
      const page = await search(
        ctx,
        objectType,
        {
          ...request,
          filterGroups: windowed(request.filterGroups, windowStart),
          sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
          limit: pageSize,
          ...(offset > 0 ? { after: String(offset) } : {}),
        },
        options,
      );
      for (const record of page.results) {
        lastId = record.id;
        yield record;
      }
      seenInWindow += page.results.length;
      if (!page.after || page.results.length === 0) {
        exhausted = true;
        break;
      }
      offset = Number(page.after);
    }
    if (exhausted || seenInWindow === 0) return;
  }
}
