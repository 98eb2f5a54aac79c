/** Cursor pagination as async iteration: every page once, ends on absent/null/"" cursor. */
import { KalshiPaginationError } from "./errors.ts";

/** One page: its items and the cursor Kalshi returned. */
export interface Page<T> {
  /** The page's items. */
  items: T[];
  /** Cursor of the next page; absent, null or empty on the last page. */
  cursor: string | null | undefined;
}

/** Pagination settings. */
export interface PaginateOptions {
  /** Endpoint label for errors. */
  endpoint: string;
  /** Cursor to start from (resume), default none. */
  startCursor?: string;
  /** Stop after this many pages (a safety cap), default unlimited. */
  maxPages?: number;
}

/**
 * Walks pages by calling `fetchPage(cursor)` until the cursor is absent, null or "". A cursor
 * seen before raises `KalshiPaginationError` instead of looping.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  options: PaginateOptions,
): AsyncGenerator<Page<T>, void, undefined> {
  const seen = new Set<string>();
  let cursor: string | undefined = options.startCursor;
  if (cursor !== undefined) seen.add(cursor);
  let pages = 0;
  for (;;) {
    const page = await fetchPage(cursor);
    pages++;
    yield page;
    const next = page.cursor;
    if (next === undefined || next === null || next === "") return;
    if (seen.has(next)) throw new KalshiPaginationError(options.endpoint, next, pages);
    if (options.maxPages !== undefined && pages >= options.maxPages) return;
    seen.add(next);
    cursor = next;
  }
}
