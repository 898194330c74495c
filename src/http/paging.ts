import { z } from 'zod';

import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type PageRequest } from '../lib/paging.js';
import { numericId, pageLimit } from './schemas.js';

/**
 * The query and response shape of every list route (lib/paging.ts): `?limit=&cursor=` in,
 * `{"<items>": […], "nextCursor": "…" | null}` out. Digits only (schemas.ts): `0x10` or ` 10` is
 * no limit, and a cursor fits a bigint, so neither reaches the database as something it refuses.
 */
export const pageQuery = {
  limit: pageLimit(MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT).describe(`Items per page, 1–${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})`),
  cursor: numericId('the nextCursor of a previous page').optional().describe('The `nextCursor` of the previous page; omit for the first page'),
};

export const pageRequest = (query: { limit: number; cursor?: string | undefined }): PageRequest => ({ limit: query.limit, cursor: query.cursor });

type PageShape<K extends string, S extends z.ZodType> = { [P in K]: z.ZodArray<S> } & { nextCursor: z.ZodNullable<z.ZodString> };

/** The response schema of a list of `item`s under `key`. */
export const pageSchema = <K extends string, S extends z.ZodType>(key: K, item: S) =>
  z.object({ [key]: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') } as PageShape<K, S>);

/** A page as its response body: the items presented, under `key`. */
export const presentPage = <K extends string, T, U>(key: K, page: Page<T>, present: (item: T) => U) =>
  ({ [key]: page.items.map(present), nextCursor: page.nextCursor }) as { [P in K]: U[] } & { nextCursor: string | null };
