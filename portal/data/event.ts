/** The event page's data: the event and its markets with prices, volume, status and result. */
import type { Sql } from "../../lib/db/pool.ts";
import type { MarketSummary } from "./types.ts";

/** Markets listed per event page at most (multivariate events can have thousands). */
export const EVENT_MARKET_LIMIT = 500;

/** An event with its markets. */
export interface EventDetail {
  event: {
    event_ticker: string;
    series_ticker: string;
    series_title: string | null;
    title: string | null;
    sub_title: string | null;
    category: string | null;
    mutually_exclusive: boolean | null;
    is_multivariate: boolean;
    strike_date: Date | null;
    updated_at: Date;
  };
  markets: MarketSummary[];
  /** True when the event has more markets than were listed. */
  truncated: boolean;
}

/** Loads an event, or undefined when unknown. */
export async function loadEvent(sql: Sql, ticker: string): Promise<EventDetail | undefined> {
  const [events, markets] = await Promise.all([
    sql<EventDetail["event"][]>`
      SELECT e.event_ticker, e.series_ticker, s.title AS series_title, e.title, e.sub_title,
             e.category, e.mutually_exclusive, e.is_multivariate, e.strike_date, e.updated_at
      FROM events e LEFT JOIN series s ON s.ticker = e.series_ticker
      WHERE e.event_ticker = ${ticker}`,
    sql<MarketSummary[]>`
      SELECT ticker, event_ticker, title, yes_sub_title, status, result, close_time, last_price,
             yes_bid, yes_ask, volume, volume_24h, open_interest
      FROM markets WHERE event_ticker = ${ticker}
      ORDER BY ticker LIMIT ${EVENT_MARKET_LIMIT + 1}`,
  ]);
  if (events.length === 0) return undefined;
  return {
    event: events[0],
    markets: markets.slice(0, EVENT_MARKET_LIMIT),
    truncated: markets.length > EVENT_MARKET_LIMIT,
  };
}
