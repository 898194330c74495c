/**
 * Keyset pagination, the one shape every list uses: a page is at most `limit` rows after a cursor,
 * in a fixed order, and `nextCursor` is null on the last page. The cursor is the sort key of the
 * page's last row (a row id): stable while rows are added, and unlike an offset it never skips or
 * repeats a row. Clients treat it as opaque and pass it back unchanged.
 */

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;

export interface PageRequest {
  limit: number;
  /** The previous page's `nextCursor`; undefined for the first page. */
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Rows to fetch for a page: one more than asked, so the last page is known without a count. */
export const fetchLimit = (page: PageRequest): number => page.limit + 1;

/** The page from rows fetched with `fetchLimit`, in page order. */
export function toPage<T>(rows: readonly T[], page: PageRequest, cursorOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > page.limit && last !== undefined ? cursorOf(last) : null };
}

export const mapPage = <T, U>(page: Page<T>, map: (item: T) => U): Page<U> => ({ items: page.items.map(map), nextCursor: page.nextCursor });
