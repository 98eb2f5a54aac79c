/**
 * Browse queries: markets, events and series filtered by one search box (ticker prefix or
 * full-text on titles), categories, status, frequency and close date, with keyset pagination on
 * the ticker (primary key order) or, for markets, on (sort key, ticker) — so page N costs the
 * same as page 1 on millions of rows. Markets are read from the `market_research` view.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import { type Fragment, type KeysetCursor, keysetPage, type SortOrder } from "./keyset.ts";
import type { EventSummary, MarketSummary, SeriesSummary } from "./types.ts";

/** Keys markets can be sorted by (columns of `market_research`). */
export const MARKET_SORTS = [
  "volume",
  "volume_24h",
  "open_interest",
  "close_time",
  "change",
] as const;

/** A market sort key. */
export type MarketSort = (typeof MARKET_SORTS)[number];

/** A market in browse lists: its summary, price change and (sorted lists) its key's text. */
export type BrowseMarket = MarketSummary & { change: string | null; sort_key?: string | null };

/** Kalshi's market statuses (the status filter's choices); defined once in `lib/scope`. */
export { MARKET_STATUSES } from "@kalshi-data/lib/scope";

/** What to list. */
export type BrowseKind = "markets" | "events" | "series";

/** Filters of {@linkcode browse}. */
export interface BrowseQuery {
  kind: BrowseKind;
  /** Ticker prefix (case-insensitive) or words of the title. */
  q?: string;
  /** Any of these categories (markets: the series' category; events and series: their own). */
  categories?: string[];
  /** Markets whose series has any of these frequencies. */
  frequencies?: string[];
  /** Market status (markets only). */
  status?: string;
  /** Markets of one series, or events of one series. */
  series?: string;
  /** Markets of one event. */
  event?: string;
  /** Markets closing at or after this time. */
  closesAfter?: Date;
  /** Markets closing before this time. */
  closesBefore?: Date;
  /** The hours of `closes_within` that set closesAfter/closesBefore (echoed by the form). */
  closesWithin?: number;
  /** Keyset cursor: the last ticker of the previous page. */
  after?: string;
  /** Sorted markets: the previous page's last key (exact text; null when it was NULL). */
  afterKey?: string | null;
  /** Markets sorted by this key (NULLs last), then ticker; default ticker order. */
  sort?: MarketSort;
  /** Direction of `sort`. */
  order?: SortOrder;
  /** Page size. */
  limit: number;
}

/** A page of results. */
export type BrowsePage =
  | { kind: "markets"; items: BrowseMarket[]; next: string | null; next_key?: string | null }
  | { kind: "events"; items: EventSummary[]; next: string | null }
  | { kind: "series"; items: SeriesSummary[]; next: string | null };

/** An exact ticker match for a pasted ticker. */
export interface ExactMatch {
  kind: "market" | "event" | "series";
  ticker: string;
}

/** Escapes LIKE wildcards so user text is matched literally. */
export function likePrefix(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`) + "%";
}

function whereClause(sql: Sql, conditions: Fragment[]): Fragment {
  if (conditions.length === 0) return sql``;
  return sql`WHERE ${conditions.reduce((all, c) => sql`${all} AND ${c}`)}`;
}

const MARKET_COLUMNS = `r.ticker, r.event_ticker, r.title, r.yes_sub_title, r.status, r.result,
  r.close_time, r.last_price, r.yes_bid, r.yes_ask, r.volume, r.volume_24h, r.open_interest,
  r.change`;

function marketConditions(sql: Sql, query: BrowseQuery): Fragment[] {
  const q = query.q?.trim();
  const c: Fragment[] = [];
  if (q) {
    c.push(sql`(r.ticker LIKE ${likePrefix(q.toUpperCase())} OR
      to_tsvector('english', coalesce(r.title, '')) @@ websearch_to_tsquery('english', ${q}))`);
  }
  if (query.status) c.push(sql`r.status = ${query.status}`);
  if (query.series) c.push(sql`r.series_ticker = ${query.series}`);
  if (query.event) c.push(sql`r.event_ticker = ${query.event}`);
  if (query.closesAfter) c.push(sql`r.close_time >= ${query.closesAfter}`);
  if (query.closesBefore) c.push(sql`r.close_time < ${query.closesBefore}`);
  if (query.categories?.length) c.push(sql`r.category = ANY(${query.categories})`);
  if (query.frequencies?.length) c.push(sql`r.frequency = ANY(${query.frequencies})`);
  return c;
}

async function browseMarkets(sql: Sql, query: BrowseQuery): Promise<BrowsePage> {
  const c = marketConditions(sql, query);
  if (query.sort) {
    const after: KeysetCursor | undefined = query.after
      ? { key: query.afterKey ?? null, id: query.after }
      : undefined;
    const page = await keysetPage<BrowseMarket & { sort_key: string | null }>(sql, {
      columns: sql.unsafe(MARKET_COLUMNS),
      from: sql`market_research r`,
      conditions: c,
      sort: {
        key: `r.${query.sort}`,
        type: query.sort === "close_time" ? "timestamptz" : "numeric",
        id: "r.ticker",
        order: query.order ?? "desc",
      },
      after,
      limit: query.limit,
    });
    return {
      kind: "markets",
      items: page.items,
      next: page.next?.id ?? null,
      next_key: page.next?.key ?? null,
    };
  }
  if (query.after) c.push(sql`r.ticker > ${query.after}`);
  const rows = await sql<BrowseMarket[]>`
    SELECT ${sql.unsafe(MARKET_COLUMNS)} FROM market_research r ${whereClause(sql, c)}
    ORDER BY r.ticker LIMIT ${query.limit + 1}`;
  return { kind: "markets", ...page(rows, query.limit, (r) => r.ticker) };
}

/** Lists one page of markets, events or series. */
export async function browse(sql: Sql, query: BrowseQuery): Promise<BrowsePage> {
  const q = query.q?.trim();
  const prefix = q ? likePrefix(q.toUpperCase()) : undefined;
  const take = query.limit + 1;
  if (query.kind === "markets") return await browseMarkets(sql, query);
  if (query.kind === "events") {
    const c: Fragment[] = [];
    if (q) {
      c.push(sql`(e.event_ticker LIKE ${prefix!} OR to_tsvector('english', coalesce(e.title, ''))
        @@ websearch_to_tsquery('english', ${q}))`);
    }
    if (query.categories?.length) c.push(sql`e.category = ANY(${query.categories})`);
    if (query.series) c.push(sql`e.series_ticker = ${query.series}`);
    if (query.after) c.push(sql`e.event_ticker > ${query.after}`);
    const rows = await sql<EventSummary[]>`
      SELECT e.event_ticker, e.series_ticker, e.title, e.sub_title, e.category, e.strike_date,
             (SELECT count(*)::int FROM markets m WHERE m.event_ticker = e.event_ticker) AS markets
      FROM events e ${whereClause(sql, c)}
      ORDER BY e.event_ticker LIMIT ${take}`;
    return { kind: "events", ...page(rows, query.limit, (r) => r.event_ticker) };
  }
  const c: Fragment[] = [];
  if (q) {
    c.push(sql`(s.ticker LIKE ${prefix!} OR to_tsvector('english', coalesce(s.title, ''))
      @@ websearch_to_tsquery('english', ${q}))`);
  }
  if (query.categories?.length) c.push(sql`s.category = ANY(${query.categories})`);
  if (query.after) c.push(sql`s.ticker > ${query.after}`);
  const rows = await sql<SeriesSummary[]>`
    SELECT s.ticker, s.title, s.category, s.frequency,
           (SELECT count(*)::int FROM events e WHERE e.series_ticker = s.ticker) AS events
    FROM series s ${whereClause(sql, c)}
    ORDER BY s.ticker LIMIT ${take}`;
  return { kind: "series", ...page(rows, query.limit, (r) => r.ticker) };
}

function page<T>(rows: T[], limit: number, key: (row: T) => string) {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? key(items[items.length - 1]) : null };
}

/** Finds a market, event or series whose ticker is exactly `text` (case-insensitive). */
export async function exactTicker(sql: Sql, text: string): Promise<ExactMatch | undefined> {
  const ticker = text.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9._-]{0,127}$/.test(ticker)) return undefined;
  const rows = await sql<ExactMatch[]>`
    SELECT 'market' AS kind, ticker FROM markets WHERE ticker = ${ticker}
    UNION ALL SELECT 'event', event_ticker FROM events WHERE event_ticker = ${ticker}
    UNION ALL SELECT 'series', ticker FROM series WHERE ticker = ${ticker}
    LIMIT 1`;
  return rows[0];
}

/** Distinct series categories and frequencies for the filter menus (series is a small table). */
export async function browseChoices(
  sql: Sql,
): Promise<{ categories: string[]; frequencies: string[] }> {
  const [categories, frequencies] = await Promise.all([
    sql<{ v: string }[]>`
      SELECT DISTINCT category AS v FROM series WHERE category IS NOT NULL ORDER BY 1 LIMIT 200`,
    sql<{ v: string }[]>`
      SELECT DISTINCT frequency AS v FROM series WHERE frequency IS NOT NULL ORDER BY 1 LIMIT 200`,
  ]);
  return { categories: categories.map((r) => r.v), frequencies: frequencies.map((r) => r.v) };
}
