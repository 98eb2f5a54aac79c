/**
 * Browse queries: markets, events and series filtered by one search box (ticker prefix or
 * full-text on titles), category, status and close date, with keyset pagination on the ticker
 * (primary key order), so page N costs the same as page 1 on millions of rows.
 * @module
 */
import type { Sql } from "../../lib/db/pool.ts";
import type { EventSummary, MarketSummary, SeriesSummary } from "./types.ts";

/** Kalshi's market statuses (the status filter's choices); defined once in `lib/scope`. */
export { MARKET_STATUSES } from "../../lib/scope/scope.ts";

/** What to list. */
export type BrowseKind = "markets" | "events" | "series";

/** Filters of {@linkcode browse}. */
export interface BrowseQuery {
  kind: BrowseKind;
  /** Ticker prefix (case-insensitive) or words of the title. */
  q?: string;
  category?: string;
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
  /** Keyset cursor: the last ticker of the previous page. */
  after?: string;
  /** Page size. */
  limit: number;
}

/** A page of results. */
export type BrowsePage =
  | { kind: "markets"; items: MarketSummary[]; next: string | null }
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

type Fragment = ReturnType<Sql>;

function whereClause(sql: Sql, conditions: Fragment[]): Fragment {
  if (conditions.length === 0) return sql``;
  return sql`WHERE ${conditions.reduce((all, c) => sql`${all} AND ${c}`)}`;
}

/** Lists one page of markets, events or series. */
export async function browse(sql: Sql, query: BrowseQuery): Promise<BrowsePage> {
  const q = query.q?.trim();
  const prefix = q ? likePrefix(q.toUpperCase()) : undefined;
  const take = query.limit + 1;
  if (query.kind === "markets") {
    const c: Fragment[] = [];
    if (q) {
      c.push(sql`(m.ticker LIKE ${prefix!} OR to_tsvector('english', coalesce(m.title, ''))
        @@ websearch_to_tsquery('english', ${q}))`);
    }
    if (query.status) c.push(sql`m.status = ${query.status}`);
    if (query.series) c.push(sql`m.series_ticker = ${query.series}`);
    if (query.event) c.push(sql`m.event_ticker = ${query.event}`);
    if (query.closesAfter) c.push(sql`m.close_time >= ${query.closesAfter}`);
    if (query.closesBefore) c.push(sql`m.close_time < ${query.closesBefore}`);
    if (query.category) {
      c.push(sql`EXISTS (SELECT 1 FROM events e WHERE e.event_ticker = m.event_ticker
        AND e.category = ${query.category})`);
    }
    if (query.after) c.push(sql`m.ticker > ${query.after}`);
    const rows = await sql<MarketSummary[]>`
      SELECT m.ticker, m.event_ticker, m.title, m.yes_sub_title, m.status, m.result, m.close_time,
             m.last_price, m.yes_bid, m.yes_ask, m.volume, m.volume_24h, m.open_interest
      FROM markets m ${whereClause(sql, c)}
      ORDER BY m.ticker LIMIT ${take}`;
    return { kind: "markets", ...page(rows, query.limit, (r) => r.ticker) };
  }
  if (query.kind === "events") {
    const c: Fragment[] = [];
    if (q) {
      c.push(sql`(e.event_ticker LIKE ${prefix!} OR to_tsvector('english', coalesce(e.title, ''))
        @@ websearch_to_tsquery('english', ${q}))`);
    }
    if (query.category) c.push(sql`e.category = ${query.category}`);
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
  if (query.category) c.push(sql`s.category = ${query.category}`);
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

/** Distinct series categories for the filter menu (series is a small table). */
export async function browseCategories(sql: Sql): Promise<string[]> {
  const rows = await sql<{ category: string }[]>`
    SELECT DISTINCT category FROM series WHERE category IS NOT NULL ORDER BY category LIMIT 200`;
  return rows.map((r) => r.category);
}
