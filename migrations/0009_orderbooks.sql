-- 0009_orderbooks: order-book snapshots and deltas (issue 16; lib/orderbook writes and reads them).
--   * orderbook_markets: a small dictionary, ticker -> integer id, so a stored delta carries 4
--     bytes instead of its ticker text.
--   * orderbook_snapshots: a full book (both sides' bids) when a subscription starts, after a
--     resync, and every few minutes as a checkpoint built from the maintained book. Levels are
--     parallel arrays: prices in 1/10000 dollar (smallint), sizes in 1/100 contract (bigint).
--   * orderbook_deltas: one row per signed level change, 48-byte tuples (see docs/database.md):
--     no text, no NULL, a btree on market_id alone (deduplicated into posting lists) and a BRIN
--     on ts instead of a btree on (market_id, ts).
--   Both are range-partitioned by day on `ts`; ensure_orderbook_partitions creates the days.
--   Order: the rows of one market are ordered by (ts, ord); `ord` breaks ties between rows that
--   share a millisecond (the frame's seq, or a receive ordinal). The book at T is the latest
--   snapshot with ts <= T plus the deltas after it in (ts, ord) with ts <= T (orderbook_at).

CREATE TABLE orderbook_markets (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  market_ticker  text NOT NULL UNIQUE
);

CREATE TABLE orderbook_snapshots (
  market_id  integer NOT NULL,             -- orderbook_markets.id
  ts         timestamptz NOT NULL,
  ord        integer NOT NULL CHECK (ord >= 0),
  kind       text NOT NULL CHECK (kind IN ('subscribe', 'resync', 'checkpoint')),
  yes_price  smallint[] NOT NULL,          -- YES bids, ascending price, 1/10000 dollar
  yes_size   bigint[] NOT NULL,            -- their sizes, 1/100 contract
  no_price   smallint[] NOT NULL,          -- NO bids
  no_size    bigint[] NOT NULL,
  CHECK (cardinality(yes_price) = cardinality(yes_size)),
  CHECK (cardinality(no_price) = cardinality(no_size))
) PARTITION BY RANGE (ts);
CREATE INDEX orderbook_snapshots_market_ts_idx ON orderbook_snapshots (market_id, ts);
CREATE INDEX orderbook_snapshots_ts_idx ON orderbook_snapshots USING brin (ts);
CREATE TABLE orderbook_snapshots_default PARTITION OF orderbook_snapshots DEFAULT;

-- Column order packs the tuple: 8 + 4 + 4 + 4 + 2 + 1 = 23 data bytes after a 24-byte header.
CREATE TABLE orderbook_deltas (
  ts         timestamptz NOT NULL,         -- exchange time (ts_ms)
  market_id  integer NOT NULL,             -- orderbook_markets.id
  ord        integer NOT NULL CHECK (ord >= 0),
  delta      integer NOT NULL CHECK (delta <> 0),  -- signed change, 1/100 contract
  price      smallint NOT NULL CHECK (price BETWEEN 0 AND 10000),  -- 1/10000 dollar
  side       "char" NOT NULL CHECK (side IN ('y', 'n'))             -- YES or NO bids
) PARTITION BY RANGE (ts);
CREATE INDEX orderbook_deltas_market_idx ON orderbook_deltas (market_id);
CREATE INDEX orderbook_deltas_ts_idx ON orderbook_deltas USING brin (ts);
CREATE TABLE orderbook_deltas_default PARTITION OF orderbook_deltas DEFAULT;

-- Creates the daily partitions <table>_pYYYYMMDD of orderbook_snapshots and orderbook_deltas for
-- `days` days from the UTC day containing `from_ts`, moving rows of those days out of DEFAULT in
-- the same transaction (as ensure_tick_partitions does for ticks). Returns the number created.
CREATE FUNCTION ensure_orderbook_partitions(from_ts timestamptz, days integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
  first_day timestamptz := date_trunc('day', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  parent    text;
  lo        timestamptz;
  hi        timestamptz;
  part      text;
  range_sql text;
  moved     boolean;
  created   integer := 0;
BEGIN
  IF days IS NULL OR days < 1 OR days > 3660 THEN
    RAISE EXCEPTION 'ensure_orderbook_partitions: days must be between 1 and 3660, got %', days;
  END IF;
  PERFORM pg_advisory_xact_lock(7240001009);
  FOREACH parent IN ARRAY ARRAY['orderbook_snapshots', 'orderbook_deltas'] LOOP
    FOR i IN 0 .. days - 1 LOOP
      lo := first_day + make_interval(days => i);
      hi := lo + interval '1 day';
      part := parent || '_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD');
      CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
      range_sql := format('FOR VALUES FROM (%L) TO (%L)',
        to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00',
        to_char(hi AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00');
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE ts >= $1 AND ts < $2)',
                     parent || '_default') INTO moved USING lo, hi;
      IF moved THEN
        -- Attaching requires DEFAULT to hold no row of the range: move them first.
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       part, parent);
        EXECUTE format('WITH m AS (DELETE FROM %I WHERE ts >= $1 AND ts < $2 RETURNING *) '
                       'INSERT INTO %I SELECT * FROM m', parent || '_default', part) USING lo, hi;
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I %s', parent, part, range_sql);
      ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF %I %s', part, parent, range_sql);
      END IF;
      created := created + 1;
    END LOOP;
  END LOOP;
  RETURN created;
END
$fn$;
REVOKE ALL ON FUNCTION ensure_orderbook_partitions(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_orderbook_partitions(timestamptz, integer) TO kalshi_writer;

SELECT ensure_orderbook_partitions(now() - interval '1 day', 9);

-- The book of `p_ticker` at `p_at`: (side 'yes'|'no', price in dollars, size in contracts), one
-- row per level with a non-zero size, by side then ascending price. It is the latest snapshot
-- with ts <= p_at plus every delta after it in (ts, ord) order with ts <= p_at, summed per
-- level. No row when the market is unknown or has no snapshot at or before p_at. A negative size
-- is returned as is: it means stored deltas disagree with their snapshot (lib/orderbook reports
-- the same delta instead of applying it). plpgsql so each query prunes partitions by its bounds.
CREATE FUNCTION orderbook_at(p_ticker text, p_at timestamptz)
RETURNS TABLE (side text, price numeric, size numeric)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $fn$
DECLARE
  mid  integer;
  snap orderbook_snapshots%ROWTYPE;
BEGIN
  SELECT id INTO mid FROM orderbook_markets WHERE market_ticker = p_ticker;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT * INTO snap FROM orderbook_snapshots s
  WHERE s.market_id = mid AND s.ts <= p_at ORDER BY s.ts DESC, s.ord DESC LIMIT 1;
  IF NOT FOUND THEN RETURN; END IF;
  RETURN QUERY
  SELECT l.side, round(l.price / 10000.0, 4), round(sum(l.size) / 100.0, 2)
  FROM (
    SELECT 'yes' AS side, u.p::integer AS price, u.q AS size
    FROM unnest(snap.yes_price, snap.yes_size) AS u(p, q)
    UNION ALL
    SELECT 'no', u.p::integer, u.q FROM unnest(snap.no_price, snap.no_size) AS u(p, q)
    UNION ALL
    SELECT CASE d.side WHEN 'y' THEN 'yes' ELSE 'no' END, d.price::integer, d.delta::bigint
    FROM orderbook_deltas d
    WHERE d.market_id = mid AND d.ts >= snap.ts AND d.ts <= p_at
      AND (d.ts, d.ord) > (snap.ts, snap.ord)
  ) AS l
  GROUP BY l.side, l.price
  HAVING sum(l.size) <> 0
  ORDER BY l.side DESC, l.price;
END
$fn$;
GRANT EXECUTE ON FUNCTION orderbook_at(text, timestamptz) TO kalshi_writer, kalshi_reader;

GRANT SELECT, INSERT, UPDATE, DELETE ON orderbook_markets, orderbook_snapshots, orderbook_deltas
  TO kalshi_writer;
GRANT SELECT ON orderbook_markets, orderbook_snapshots, orderbook_deltas TO kalshi_reader;
