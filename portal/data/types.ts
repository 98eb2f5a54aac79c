/**
 * Row shapes the portal reads. Prices are decimal strings in dollars (numeric from PostgreSQL,
 * e.g. "0.5600"), counts decimal strings in contracts; times are Date objects (ISO in JSON).
 * @module
 */

/** A decimal string or null, exactly as stored. */
export type Decimal = string | null;

/** A market in lists. */
export interface MarketSummary {
  ticker: string;
  event_ticker: string;
  title: string | null;
  yes_sub_title: string | null;
  status: string;
  result: string | null;
  close_time: Date | null;
  last_price: Decimal;
  yes_bid: Decimal;
  yes_ask: Decimal;
  volume: Decimal;
  volume_24h: Decimal;
  open_interest: Decimal;
}

/** An event in lists. */
export interface EventSummary {
  event_ticker: string;
  series_ticker: string;
  title: string | null;
  sub_title: string | null;
  category: string | null;
  strike_date: Date | null;
  markets: number;
}

/** A series in lists. */
export interface SeriesSummary {
  ticker: string;
  title: string | null;
  category: string | null;
  frequency: string | null;
  events: number;
}
