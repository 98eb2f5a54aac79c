/**
 * The markets to watch: open and about-to-open markets in scope, read from the database that
 * discovery (and lifecycle messages) keep current. Markets drop out once closed by time or by a
 * lifecycle message.
 */
import type { Sql } from "@kalshi-data/lib/db";
import { marketInScope, type Scope } from "@kalshi-data/lib/scope";

/** The columns {@linkcode storedRowInScope} reads: a market joined with its event and series. */
export interface ScopeColumns {
  ticker: string;
  event_ticker: string;
  series_ticker: string | null;
  status: string;
  mve_collection_ticker: string | null;
  is_multivariate: boolean;
  /** events.series_ticker */
  e_series: string | null;
  /** events.category */
  category: string | null;
  strike_period: string | null;
  /** series.category */
  s_category: string | null;
  s_categories: string[] | null;
  frequency: string | null;
}

/** Whether a stored market (with its event and series columns) is in `scope`, status aside. */
export function storedRowInScope(scope: Scope, r: ScopeColumns): boolean {
  const seriesTicker = r.series_ticker ?? r.e_series;
  const market = {
    ticker: r.ticker,
    eventTicker: r.event_ticker,
    seriesTicker,
    status: r.status,
    mveCollectionTicker: r.mve_collection_ticker ?? (r.is_multivariate ? r.ticker : null),
  };
  const event = r.e_series === null ? undefined : {
    eventTicker: r.event_ticker,
    seriesTicker: r.e_series,
    category: r.category,
    strikePeriod: r.strike_period,
  };
  const series = seriesTicker === null || (r.s_category === null && r.frequency === null)
    ? undefined
    : {
      ticker: seriesTicker,
      category: r.s_category,
      categories: r.s_categories,
      frequency: r.frequency,
    };
  return marketInScope(scope, market, event, series, { ignoreStatus: true });
}

/** Options of {@linkcode loadWatchEntries}. */
export interface WatchOptions {
  /** Current time, Unix ms (the exchange's clock in tests). */
  nowMs: number;
  /** Watch markets opening within this many ms (default 1 hour). */
  leadMs?: number;
}

/** A watched market and when it opens and closes (Unix ms; null when unknown). */
export interface WatchEntry {
  ticker: string;
  openMs: number | null;
  closeMs: number | null;
  /** Its series (for `WS_ORDERBOOK_SCOPE=series:…`), or null. */
  seriesTicker?: string | null;
  /** `volume_24h` as decimal text (for `WS_ORDERBOOK_SCOPE=top:N`), or null. */
  volume24h?: string | null;
}

/** Whether a watched market is open at `nowMs`. */
export function isOpenAt(entry: WatchEntry, nowMs: number): boolean {
  return (entry.openMs === null || entry.openMs <= nowMs) &&
    (entry.closeMs === null || entry.closeMs > nowMs);
}

/** The watched markets with their open and close times, sorted by ticker. */
export async function loadWatchEntries(
  sql: Sql,
  scope: Scope,
  options: WatchOptions,
): Promise<WatchEntry[]> {
  const now = new Date(options.nowMs);
  const until = new Date(options.nowMs + (options.leadMs ?? 3_600_000));
  const rows = await sql<
    (ScopeColumns & {
      open_time: Date | null;
      close_time: Date | null;
      volume_24h: string | null;
    })[]
  >`
    SELECT m.ticker, m.event_ticker, m.open_time, m.close_time, m.volume_24h::text AS volume_24h, m.series_ticker, m.status, m.mve_collection_ticker,
           m.is_multivariate, e.category, e.strike_period, e.series_ticker AS e_series,
           s.category AS s_category, s.categories AS s_categories, s.frequency
    FROM markets m
    LEFT JOIN events e ON e.event_ticker = m.event_ticker
    LEFT JOIN series s ON s.ticker = COALESCE(m.series_ticker, e.series_ticker)
    WHERE m.status IN ('initialized', 'active', 'inactive')
      AND (m.open_time IS NULL OR m.open_time <= ${until})
      AND (m.close_time IS NULL OR m.close_time > ${now})
    ORDER BY m.ticker`;
  return rows.filter((r) => storedRowInScope(scope, r)).map((r) => ({
    ticker: r.ticker,
    openMs: r.open_time?.getTime() ?? null,
    closeMs: r.close_time?.getTime() ?? null,
    seriesTicker: r.series_ticker ?? r.e_series,
    volume24h: r.volume_24h,
  }));
}
