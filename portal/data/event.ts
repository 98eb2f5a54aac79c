/**
 * The event page's data: the event and its markets with prices, volume, status, result and
 * implied probability, and the implied probabilities' sum.
 */
import type { Sql } from "@kalshi-data/lib/db";
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
  markets: (MarketSummary & { implied: string | null })[];
  /** True when the event has more markets than were listed. */
  truncated: boolean;
  /** Sum of every market's implied probability (`implied`), or null when none has one. */
  implied_sum: string | null;
}

/**
 * Implied YES probability of a market row: 1 / 0 once resolved, else the bid/ask midpoint of a
 * two-sided book, else the last trade (as the event_leading_outcome view defines it).
 */
const IMPLIED = `trim_scale(CASE
  WHEN result = 'yes' THEN 1::numeric
  WHEN result = 'no' THEN 0::numeric
  WHEN yes_bid > 0 AND yes_ask < 1 AND yes_ask >= yes_bid THEN (yes_bid + yes_ask) / 2
  ELSE last_price END)`;

/** Loads an event, or undefined when unknown. */
export async function loadEvent(sql: Sql, ticker: string): Promise<EventDetail | undefined> {
  const [events, markets, [sum]] = await Promise.all([
    sql<EventDetail["event"][]>`
      SELECT e.event_ticker, e.series_ticker, s.title AS series_title, e.title, e.sub_title,
             e.category, e.mutually_exclusive, e.is_multivariate, e.strike_date, e.updated_at
      FROM events e LEFT JOIN series s ON s.ticker = e.series_ticker
      WHERE e.event_ticker = ${ticker}`,
    sql<EventDetail["markets"]>`
      SELECT ticker, event_ticker, title, yes_sub_title, status, result, close_time, last_price,
             yes_bid, yes_ask, volume, volume_24h, open_interest,
             ${sql.unsafe(IMPLIED)}::text AS implied
      FROM markets WHERE event_ticker = ${ticker}
      ORDER BY ticker LIMIT ${EVENT_MARKET_LIMIT + 1}`,
    sql<{ implied_sum: string | null }[]>`
      SELECT trim_scale(sum(${sql.unsafe(IMPLIED)}))::text AS implied_sum
      FROM markets WHERE event_ticker = ${ticker}`,
  ]);
  if (events.length === 0) return undefined;
  return {
    event: events[0],
    markets: markets.slice(0, EVENT_MARKET_LIMIT),
    truncated: markets.length > EVENT_MARKET_LIMIT,
    implied_sum: sum.implied_sum,
  };
}
