-- 0010_market_research: research views the portal and researchers share (docs/database.md).
--   market_research            one row per market with its event's strike date/period and
--                              mutual exclusivity, and its series' category and frequency; plus
--                              `change` = last_price - previous_price.
--   price_series_1m(t, from, to) forward-filled 1-minute prices of one market: candles are stored
--                              sparse (a minute without quotes or trades has no row).
--   Indexes behind the portal's sorted browse: keyset pages on (key, ticker) per sort key.
-- Prices are numeric dollars, counts numeric contracts, as everywhere in the schema.

CREATE VIEW market_research AS
SELECT
  m.ticker,
  m.event_ticker,
  coalesce(m.series_ticker, e.series_ticker) AS series_ticker,
  m.status,
  m.result,
  m.title,
  m.yes_sub_title,
  m.open_time,
  m.close_time,
  m.last_price,
  m.previous_price,
  m.last_price - m.previous_price AS change,
  m.yes_bid,
  m.yes_ask,
  m.yes_bid_size,
  m.yes_ask_size,
  m.volume,
  m.volume_24h,
  m.open_interest,
  m.is_multivariate,
  e.title AS event_title,
  e.mutually_exclusive,
  e.strike_date,
  nullif(e.strike_period, '') AS strike_period,
  coalesce(s.category, e.category) AS category,
  s.frequency
FROM markets m
LEFT JOIN events e ON e.event_ticker = m.event_ticker
LEFT JOIN series s ON s.ticker = coalesce(m.series_ticker, e.series_ticker);

-- One row per minute of [p_from, p_to) (minutes on the UTC grid), each column carrying the last
-- value a 1-minute candle ending at or before that minute held: `price` the last trade
-- (price_close), `yes_bid`/`yes_ask` the closing quotes. `observed` says a candle ended at that
-- very minute. Values from before p_from carry into the range.
CREATE FUNCTION price_series_1m(p_ticker text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (minute timestamptz, price numeric, yes_bid numeric, yes_ask numeric,
               observed boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH grid AS (
    SELECT g AS minute
    FROM generate_series(date_trunc('minute', p_from + interval '59.999999 seconds'), p_to,
                         interval '1 minute') g
    WHERE g < p_to
  ),
  joined AS (
    SELECT grid.minute, c.price_close, c.yes_bid_close, c.yes_ask_close,
           c.end_period_ts IS NOT NULL AS observed,
           count(c.price_close) OVER w AS price_group,
           count(c.yes_bid_close) OVER w AS bid_group,
           count(c.yes_ask_close) OVER w AS ask_group
    FROM grid
    LEFT JOIN candles c ON c.market_ticker = p_ticker AND c.period_minutes = 1
      AND c.end_period_ts = grid.minute
    WINDOW w AS (ORDER BY grid.minute)
  ),
  prior AS (
    SELECT
      (SELECT price_close FROM candles WHERE market_ticker = p_ticker AND period_minutes = 1
         AND end_period_ts < (SELECT min(minute) FROM grid) AND price_close IS NOT NULL
       ORDER BY end_period_ts DESC LIMIT 1) AS price,
      (SELECT yes_bid_close FROM candles WHERE market_ticker = p_ticker AND period_minutes = 1
         AND end_period_ts < (SELECT min(minute) FROM grid) AND yes_bid_close IS NOT NULL
       ORDER BY end_period_ts DESC LIMIT 1) AS yes_bid,
      (SELECT yes_ask_close FROM candles WHERE market_ticker = p_ticker AND period_minutes = 1
         AND end_period_ts < (SELECT min(minute) FROM grid) AND yes_ask_close IS NOT NULL
       ORDER BY end_period_ts DESC LIMIT 1) AS yes_ask
  )
  SELECT j.minute,
         CASE WHEN j.price_group = 0 THEN prior.price
              ELSE first_value(j.price_close) OVER (PARTITION BY j.price_group ORDER BY j.minute)
         END,
         CASE WHEN j.bid_group = 0 THEN prior.yes_bid
              ELSE first_value(j.yes_bid_close) OVER (PARTITION BY j.bid_group ORDER BY j.minute)
         END,
         CASE WHEN j.ask_group = 0 THEN prior.yes_ask
              ELSE first_value(j.yes_ask_close) OVER (PARTITION BY j.ask_group ORDER BY j.minute)
         END,
         j.observed
  FROM joined j CROSS JOIN prior
  ORDER BY j.minute
$fn$;

-- Keyset pages of the portal's browse, sorted by one key then the ticker, in either direction:
-- the non-NULL keys are walked on these indexes, the NULLs (listed last) on their ticker.
CREATE INDEX markets_volume_sort_idx ON markets (volume, ticker);
CREATE INDEX markets_volume_24h_sort_idx ON markets (volume_24h, ticker);
CREATE INDEX markets_open_interest_sort_idx ON markets (open_interest, ticker);
CREATE INDEX markets_close_time_sort_idx ON markets (close_time, ticker);
CREATE INDEX markets_change_sort_idx ON markets ((last_price - previous_price), ticker);

GRANT SELECT ON market_research TO kalshi_reader, kalshi_writer;
GRANT EXECUTE ON FUNCTION price_series_1m(text, timestamptz, timestamptz)
  TO kalshi_reader, kalshi_writer;
