/**
 * Recent prices of many markets in one query, for the sparklines of a list (no request per row):
 * each market's latest hourly candles (its daily ones when it has no hourly), as the bid/ask
 * midpoint when both quotes closed the period, else the last trade.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";

/** Points per sparkline at most. */
export const SPARKLINE_POINTS = 48;

/** Prices (decimal strings, oldest first) per market ticker; markets without candles are absent. */
export async function loadSparklines(
  sql: Sql,
  tickers: readonly string[],
): Promise<Map<string, string[]>> {
  if (tickers.length === 0) return new Map();
  const rows = await sql<{ ticker: string; prices: string[] }[]>`
    SELECT t.ticker, array_agg(p.price::text ORDER BY p.end_period_ts) AS prices
    FROM unnest(${tickers as string[]}::text[]) AS t (ticker)
    CROSS JOIN LATERAL (
      SELECT period_minutes FROM candles
      WHERE market_ticker = t.ticker AND period_minutes IN (60, 1440)
      ORDER BY period_minutes LIMIT 1
    ) per
    CROSS JOIN LATERAL (
      SELECT end_period_ts,
             CASE WHEN yes_bid_close IS NOT NULL AND yes_ask_close IS NOT NULL
                  THEN trim_scale((yes_bid_close + yes_ask_close) / 2) ELSE price_close END AS price
      FROM candles
      WHERE market_ticker = t.ticker AND period_minutes = per.period_minutes
      ORDER BY end_period_ts DESC LIMIT ${SPARKLINE_POINTS}
    ) p
    WHERE p.price IS NOT NULL
    GROUP BY t.ticker`;
  return new Map(rows.map((r) => [r.ticker, r.prices]));
}
