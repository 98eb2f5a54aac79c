-- 0005_research_views: convenience views for researchers (read-only; kalshi_reader may SELECT).
--   market_latest_price    one row per market: the newest price we hold, from the latest WebSocket
--                          tick when it is newer than the REST row, else from the markets row.
--   event_leading_outcome  one row per event: the market with the highest implied yes price
--                          (settled: the market that resolved yes).
--   market_candle_coverage one row per market and candle period: stored candles and the state of
--                          the backfill jobs that fetch them.
-- Prices are numeric dollars, as everywhere in the schema.

CREATE VIEW market_latest_price AS
SELECT
  m.ticker AS market_ticker,
  m.event_ticker,
  m.series_ticker,
  m.status,
  m.result,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN 'tick' ELSE 'market' END AS source,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN t.ts ELSE m.updated_at END AS as_of,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN t.price ELSE m.last_price END
    AS last_price,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN t.yes_bid ELSE m.yes_bid END
    AS yes_bid,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN t.yes_ask ELSE m.yes_ask END
    AS yes_ask,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN t.volume ELSE m.volume END AS volume,
  CASE WHEN t.ts IS NOT NULL AND t.ts >= m.updated_at THEN t.open_interest ELSE m.open_interest END
    AS open_interest
FROM markets m
LEFT JOIN LATERAL (
  SELECT ts, price, yes_bid, yes_ask, volume, open_interest
  FROM ticks
  WHERE ticks.market_ticker = m.ticker
  ORDER BY ts DESC
  LIMIT 1
) t ON true;

-- Implied yes price: 1 / 0 once resolved, else the bid/ask midpoint when a two-sided book exists,
-- else the last trade price.
CREATE VIEW event_leading_outcome AS
SELECT DISTINCT ON (p.event_ticker)
  p.event_ticker,
  e.series_ticker,
  e.title AS event_title,
  p.market_ticker,
  m.yes_sub_title AS outcome,
  p.implied_yes_price,
  p.status,
  p.as_of
FROM (
  SELECT
    l.*,
    CASE
      WHEN l.result = 'yes' THEN 1::numeric
      WHEN l.result = 'no' THEN 0::numeric
      WHEN l.yes_bid > 0 AND l.yes_ask < 1 AND l.yes_ask >= l.yes_bid
        THEN (l.yes_bid + l.yes_ask) / 2
      ELSE l.last_price
    END AS implied_yes_price
  FROM market_latest_price l
) p
JOIN markets m ON m.ticker = p.market_ticker
LEFT JOIN events e ON e.event_ticker = p.event_ticker
ORDER BY p.event_ticker, p.implied_yes_price DESC NULLS LAST, p.market_ticker;

CREATE VIEW market_candle_coverage AS
SELECT
  m.ticker AS market_ticker,
  per.period_minutes,
  m.status,
  m.open_time,
  m.close_time,
  c.candles,
  c.first_end_period_ts,
  c.last_end_period_ts,
  coalesce(j.pending, 0) AS jobs_pending,
  coalesce(j.running, 0) AS jobs_running,
  coalesce(j.succeeded, 0) AS jobs_succeeded,
  coalesce(j.dead, 0) AS jobs_dead,
  (coalesce(j.succeeded, 0) > 0 AND coalesce(j.pending, 0) + coalesce(j.running, 0)
    + coalesce(j.dead, 0) = 0) AS backfilled
FROM markets m
CROSS JOIN (VALUES (1::smallint), (60::smallint), (1440::smallint)) AS per (period_minutes)
LEFT JOIN LATERAL (
  SELECT count(*) AS candles, min(end_period_ts) AS first_end_period_ts,
         max(end_period_ts) AS last_end_period_ts
  FROM candles
  WHERE candles.market_ticker = m.ticker AND candles.period_minutes = per.period_minutes
) c ON true
LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
         count(*) FILTER (WHERE state = 'running') AS running,
         count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
         count(*) FILTER (WHERE state = 'dead') AS dead
  FROM backfill_jobs b
  WHERE b.payload ->> 'ticker' = m.ticker AND b.kind = 'candles'
    AND (b.payload ->> 'period_minutes')::int = per.period_minutes
) j ON true;

GRANT SELECT ON market_latest_price, event_leading_outcome, market_candle_coverage
  TO kalshi_reader, kalshi_writer;
