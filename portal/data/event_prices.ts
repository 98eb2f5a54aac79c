/**
 * The event chart's data: every market of an event as a price line over the event's whole life
 * (or a given range), from candles of one period — the bid/ask midpoint when both quotes closed
 * the period, else the last trade. A line with more points than its share of the budget is
 * thinned to every k-th point (its last point always kept); no market is ever dropped.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import type { Period } from "./market.ts";
import { cancellableQuery } from "./transaction.ts";

/** Points of all lines together an answer aims at (each line keeps at least MIN_LINE_POINTS). */
export const EVENT_POINT_BUDGET = 20_000;

/** Points a line keeps however many markets share the budget. */
export const MIN_LINE_POINTS = 50;

/** The range and period of {@linkcode loadEventPrices}. */
export interface EventPriceQuery {
  period: Period;
  /** Default: no bound (the event's whole life: every candle its markets have). */
  from?: Date;
  /** Default: no bound. */
  to?: Date;
  /** Cancels the statement when it aborts (the request's signal). */
  signal?: AbortSignal;
}

/**
 * The answer as JSON text built by PostgreSQL —
 * `{"markets":[{"ticker":…,"points":[[unix_seconds,"price"],…]},…]}`, markets in ticker order —
 * or undefined when the event is unknown.
 */
export async function loadEventPrices(
  sql: Sql,
  event: string,
  query: EventPriceQuery,
): Promise<string | undefined> {
  const [row] = await cancellableQuery(
    sql,
    query.signal,
    (q) =>
      q<{ exists: boolean; json: string }[]>`
    WITH m AS (
      SELECT ticker FROM markets WHERE event_ticker = ${event}
    ), budget AS (
      SELECT greatest(${MIN_LINE_POINTS}, ${EVENT_POINT_BUDGET} / greatest(count(*), 1))::int AS n
      FROM m
    ), priced AS (
      SELECT c.market_ticker, c.end_period_ts,
             CASE WHEN c.yes_bid_close IS NOT NULL AND c.yes_ask_close IS NOT NULL
                  THEN trim_scale((c.yes_bid_close + c.yes_ask_close) / 2)
                  ELSE c.price_close END AS price
      FROM m JOIN candles c ON c.market_ticker = m.ticker AND c.period_minutes = ${query.period}
      ${query.from ? sql`AND c.end_period_ts >= ${query.from}` : sql``}
      ${query.to ? sql`AND c.end_period_ts < ${query.to}` : sql``}
    ), numbered AS (
      SELECT market_ticker, end_period_ts, price,
             row_number() OVER (PARTITION BY market_ticker ORDER BY end_period_ts) AS rn,
             count(*) OVER (PARTITION BY market_ticker) AS total
      FROM priced WHERE price IS NOT NULL
    ), kept AS (
      SELECT numbered.* FROM numbered CROSS JOIN budget
      WHERE rn = total OR (rn - 1) % ceil(total::numeric / budget.n)::int = 0
    ), lines AS (
      SELECT m.ticker,
             coalesce(json_agg(json_build_array(extract(epoch FROM k.end_period_ts)::bigint,
                                                k.price::text) ORDER BY k.end_period_ts)
                        FILTER (WHERE k.rn IS NOT NULL), '[]') AS points
      FROM m LEFT JOIN kept k ON k.market_ticker = m.ticker
      GROUP BY m.ticker
    )
    SELECT EXISTS (SELECT 1 FROM events WHERE event_ticker = ${event}) AS exists,
           json_build_object('markets', coalesce(
             (SELECT json_agg(json_build_object('ticker', ticker, 'points', points)
                              ORDER BY ticker) FROM lines), '[]'))::text AS json`,
  );
  return row.exists ? row.json : undefined;
}
