-- 0001_core: the whole data model of the Kalshi capture platform.
--
-- Conventions (docs/database.md explains the model):
--   * Prices are numeric dollars (0.5600), counts numeric contracts (10.00), strikes and fees numeric.
--     No real / double precision column exists anywhere (a test checks it).
--   * Timestamps are timestamptz. Kalshi's Unix seconds / milliseconds are converted at the edge.
--   * Current-state tables (series, events, markets) keep the full payload in `raw` so no field
--     Kalshi adds is lost; typed columns exist for what queries filter on.
--   * No foreign keys between ingested tables: messages arrive in any order (a trade may precede the
--     discovery of its market). The coverage audit checks completeness instead.
-- Runs unchanged on PostgreSQL 15 through 18.

-- ---------------------------------------------------------------------------------------------
-- Roles. Cluster-wide, so several databases in one cluster (parallel tests) may create them at
-- the same moment: the loser of that race gets duplicate_object or unique_violation, which is
-- swallowed. Both are NOLOGIN group roles; deployments create login roles that are members, e.g.
--   CREATE ROLE ingest LOGIN PASSWORD '...' IN ROLE kalshi_writer;
--   CREATE ROLE portal LOGIN PASSWORD '...' IN ROLE kalshi_reader;
DO $roles$
BEGIN
  BEGIN
    CREATE ROLE kalshi_writer NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
  END;
  BEGIN
    CREATE ROLE kalshi_reader NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
  END;
END
$roles$;

-- ---------------------------------------------------------------------------------------------
-- Reference data: current state, upserted by discovery and lifecycle messages.

CREATE TABLE series (
  ticker            text PRIMARY KEY,
  title             text,
  category          text,
  categories        text[],
  tags              text[],
  frequency         text,
  fee_type          text,
  fee_multiplier    numeric,
  volume            numeric,           -- contracts (volume_fp), when requested
  exchange_index    integer,
  last_updated_ts   timestamptz,       -- Kalshi's; Go zero time stored as NULL
  raw               jsonb NOT NULL,
  first_seen_at     timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX series_category_idx ON series (category);

CREATE TABLE events (
  event_ticker            text PRIMARY KEY,
  series_ticker           text NOT NULL,
  title                   text,
  sub_title               text,
  category                text,
  collateral_return_type  text,
  mutually_exclusive      boolean,
  is_multivariate         boolean NOT NULL DEFAULT false,
  strike_date             timestamptz,
  strike_period           text,
  fee_type_override       text,
  fee_multiplier_override numeric,
  exchange_index          integer,
  last_updated_ts         timestamptz,
  raw                     jsonb NOT NULL,
  first_seen_at           timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_series_ticker_idx ON events (series_ticker);

CREATE TABLE markets (
  ticker                    text PRIMARY KEY,
  event_ticker              text NOT NULL,
  series_ticker             text,      -- from the event; NULL until the event is known
  status                    text NOT NULL,
  market_type               text,
  title                     text,
  subtitle                  text,
  yes_sub_title             text,
  no_sub_title              text,
  result                    text,
  can_close_early           boolean,
  is_multivariate           boolean NOT NULL DEFAULT false,
  mve_collection_ticker     text,
  created_time              timestamptz,
  updated_time              timestamptz,
  open_time                 timestamptz,
  close_time                timestamptz,
  expected_expiration_time  timestamptz,
  latest_expiration_time    timestamptz,
  expiration_time           timestamptz,
  occurrence_datetime       timestamptz,
  determination_ts          timestamptz,
  settlement_ts             timestamptz,
  settlement_timer_seconds  integer,
  -- prices, numeric dollars
  yes_bid                   numeric,
  yes_ask                   numeric,
  no_bid                    numeric,
  no_ask                    numeric,
  last_price                numeric,
  previous_yes_bid          numeric,
  previous_yes_ask          numeric,
  previous_price            numeric,
  notional_value            numeric,
  settlement_value          numeric,
  -- counts, numeric contracts
  yes_bid_size              numeric,
  yes_ask_size              numeric,
  volume                    numeric,
  volume_24h                numeric,
  open_interest             numeric,
  -- strikes
  strike_type               text,
  floor_strike              numeric,
  cap_strike                numeric,
  functional_strike         text,
  custom_strike             jsonb,
  price_level_structure     text,
  price_ranges              jsonb,
  rules_primary             text,
  rules_secondary           text,
  exchange_index            integer,
  raw                       jsonb NOT NULL,
  first_seen_at             timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX markets_event_ticker_idx ON markets (event_ticker);
CREATE INDEX markets_series_ticker_idx ON markets (series_ticker);
CREATE INDEX markets_status_idx ON markets (status);
CREATE INDEX markets_close_time_idx ON markets (close_time);

-- ---------------------------------------------------------------------------------------------
-- Ticks: every WebSocket ticker message. Range-partitioned by day (UTC) on ts; a DEFAULT
-- partition catches anything no daily partition covers, so an insert never fails for want of
-- a partition. ensure_tick_partitions() creates upcoming days and moves rows out of DEFAULT.

CREATE TABLE ticks (
  market_ticker         text NOT NULL,
  ts                    timestamptz NOT NULL,  -- exchange time (ts_ms)
  price                 numeric,               -- last trade, dollars
  yes_bid               numeric,
  yes_ask               numeric,
  volume                numeric,               -- contracts
  open_interest         numeric,
  yes_bid_size          numeric,
  yes_ask_size          numeric,
  last_trade_size       numeric,
  dollar_volume         numeric,               -- whole dollars
  dollar_open_interest  numeric,
  received_at           timestamptz NOT NULL DEFAULT now(),
  batch_id              text,                  -- ingested_batches.batch_id
  extra                 jsonb                  -- payload fields without a column, else NULL
) PARTITION BY RANGE (ts);
CREATE INDEX ticks_market_ticker_ts_idx ON ticks (market_ticker, ts);
CREATE TABLE ticks_default PARTITION OF ticks DEFAULT;
-- Lets ensure_tick_partitions find rows of a day in DEFAULT without a full scan.
CREATE INDEX ticks_default_ts_idx ON ticks_default (ts);

-- Creates the daily partitions ticks_pYYYYMMDD covering [day, day + 1) UTC for `days` days
-- starting at the day containing `from_ts`. Rows already sitting in ticks_default for such a day
-- are moved into the new partition in the same transaction. Returns the number created.
-- Serialised by a transaction-level advisory lock so concurrent callers never collide.
CREATE FUNCTION ensure_tick_partitions(from_ts timestamptz, days integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
  first_day timestamptz := date_trunc('day', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  lo        timestamptz;
  hi        timestamptz;
  part      text;
  lo_text   text;
  hi_text   text;
  created   integer := 0;
BEGIN
  IF days IS NULL OR days < 1 OR days > 3660 THEN
    RAISE EXCEPTION 'ensure_tick_partitions: days must be between 1 and 3660, got %', days;
  END IF;
  PERFORM pg_advisory_xact_lock(7240001001);
  FOR i IN 0 .. days - 1 LOOP
    lo := first_day + make_interval(days => i);
    hi := lo + interval '1 day';
    part := 'ticks_p' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD');
    CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
    lo_text := to_char(lo AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00';
    hi_text := to_char(hi AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00';
    IF EXISTS (SELECT 1 FROM ticks_default WHERE ts >= lo AND ts < hi) THEN
      -- Attaching requires the DEFAULT partition to hold no row of the range: move them first.
      EXECUTE format('CREATE TABLE %I (LIKE ticks INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
      EXECUTE format(
        'WITH moved AS (DELETE FROM ticks_default WHERE ts >= $1 AND ts < $2 RETURNING *) '
        'INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
      EXECUTE format('ALTER TABLE ticks ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                     part, lo_text, hi_text);
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF ticks FOR VALUES FROM (%L) TO (%L)',
                     part, lo_text, hi_text);
    END IF;
    created := created + 1;
  END LOOP;
  RETURN created;
END
$fn$;
REVOKE ALL ON FUNCTION ensure_tick_partitions(timestamptz, integer) FROM PUBLIC;

-- Yesterday through a week ahead at migration time; services call the routine daily.
SELECT ensure_tick_partitions(now() - interval '1 day', 9);

-- ---------------------------------------------------------------------------------------------
-- Trades (WebSocket and REST/historical endpoints), one row per Kalshi trade_id.

CREATE TABLE trades (
  trade_id            text PRIMARY KEY,
  market_ticker       text NOT NULL,
  created_time        timestamptz NOT NULL,
  yes_price           numeric,          -- dollars
  no_price            numeric,
  count               numeric,          -- contracts
  taker_side          text,
  taker_outcome_side  text,
  taker_book_side     text,
  is_block_trade      boolean,
  source              text NOT NULL CHECK (source IN ('ws', 'rest', 'historical')),
  received_at         timestamptz NOT NULL DEFAULT now(),
  batch_id            text,
  raw                 jsonb NOT NULL
);
CREATE INDEX trades_market_ticker_created_time_idx ON trades (market_ticker, created_time);
CREATE INDEX trades_created_time_idx ON trades (created_time);

-- Every lifecycle message (market_lifecycle_v2, multivariate_market_lifecycle, event_lifecycle,
-- event_fee_update), append-only.
CREATE TABLE market_lifecycle (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_type   text NOT NULL,       -- WS `type`
  event_type     text,                -- msg.event_type (created, determined, ...)
  market_ticker  text,
  event_ticker   text,
  sid            integer,
  seq            bigint,
  event_ts       timestamptz,         -- the message's own timestamp when it has one
  received_at    timestamptz NOT NULL,
  batch_id       text,
  raw            jsonb NOT NULL,
  CHECK (market_ticker IS NOT NULL OR event_ticker IS NOT NULL)
);
CREATE INDEX market_lifecycle_market_ticker_idx ON market_lifecycle (market_ticker, received_at);
CREATE INDEX market_lifecycle_event_ticker_idx ON market_lifecycle (event_ticker, received_at);
CREATE INDEX market_lifecycle_received_at_idx ON market_lifecycle (received_at);

-- Candlesticks exactly as Kalshi returned them (sparse; forward-fill at query time).
CREATE TABLE candles (
  market_ticker    text NOT NULL,
  period_minutes   smallint NOT NULL CHECK (period_minutes IN (1, 60, 1440)),
  end_period_ts    timestamptz NOT NULL,
  yes_bid_open     numeric,
  yes_bid_low      numeric,
  yes_bid_high     numeric,
  yes_bid_close    numeric,
  yes_ask_open     numeric,
  yes_ask_low      numeric,
  yes_ask_high     numeric,
  yes_ask_close    numeric,
  price_open       numeric,          -- trade prices; NULL when no trade in the period
  price_low        numeric,
  price_high       numeric,
  price_close      numeric,
  price_mean       numeric,
  price_previous   numeric,
  volume           numeric,          -- contracts
  open_interest    numeric,
  source           text NOT NULL CHECK (source IN ('live', 'historical')),
  fetched_at       timestamptz NOT NULL DEFAULT now(),
  extra            jsonb,            -- payload fields without a column, else NULL
  PRIMARY KEY (market_ticker, period_minutes, end_period_ts)
);

-- ---------------------------------------------------------------------------------------------
-- Backfill work queue. Claim: pending jobs whose run_after has passed, or running jobs whose
-- lease expired, with FOR UPDATE SKIP LOCKED; a job whose attempts reach max_attempts is dead.

CREATE TABLE backfill_jobs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              text NOT NULL,                 -- e.g. 'candles', 'trades'
  job_key           text NOT NULL UNIQUE,          -- idempotent scheduling key
  payload           jsonb NOT NULL DEFAULT '{}'::jsonb,
  state             text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'succeeded', 'dead')),
  priority          integer NOT NULL DEFAULT 0,    -- higher first
  run_after         timestamptz NOT NULL DEFAULT now(),
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts      integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
  lease_owner       text,
  lease_expires_at  timestamptz,
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  CHECK (state <> 'running' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- The two halves of the claim query, each an index range scan in claim order.
CREATE INDEX backfill_jobs_claim_pending_idx
  ON backfill_jobs (priority DESC, run_after, id) WHERE state = 'pending';
CREATE INDEX backfill_jobs_claim_expired_idx
  ON backfill_jobs (lease_expires_at, id) WHERE state = 'running';
CREATE INDEX backfill_jobs_kind_state_idx ON backfill_jobs (kind, state);

-- ---------------------------------------------------------------------------------------------
-- Resume points. The key set is defined and documented in lib/db/ingest_state.ts (one zod schema
-- per key); this CHECK mirrors it, and a test keeps the two equal. `scope` qualifies per-item keys
-- (e.g. '<market_ticker>:<period_minutes>' for candle high-water marks), '' for global ones.

CREATE TABLE ingest_state (
  key         text NOT NULL CHECK (key IN (
                'discovery.series_synced',
                'discovery.events_synced',
                'discovery.markets_synced',
                'historical.cutoff',
                'candles.high_water',
                'trades.high_water',
                'ws.session',
                'coverage.audited_through'
              )),
  scope       text NOT NULL DEFAULT '',
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, scope)
);

-- Exactly-once WebSocket writes: a batch's rows and its id commit in one transaction; a replayed
-- batch (spool, retry) finds its id and is skipped.
CREATE TABLE ingested_batches (
  batch_id     text PRIMARY KEY,
  source       text NOT NULL,            -- e.g. 'ws:ticker', 'ws:lifecycle', 'spool'
  row_count    integer NOT NULL CHECK (row_count >= 0),
  first_ts     timestamptz,
  last_ts      timestamptz,
  ingested_at  timestamptz NOT NULL DEFAULT now()
);

-- Spans during which live capture missed messages (disconnects, crashes). The coverage audit
-- fills them from REST (candles, trades) and stamps filled_at.
CREATE TABLE capture_gaps (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel         text NOT NULL,          -- 'ticker', 'trade', 'market_lifecycle_v2', ...
  market_tickers  text[],                 -- the market set affected; NULL = every subscribed market
  gap_start       timestamptz NOT NULL,
  gap_end         timestamptz NOT NULL,
  reason          text NOT NULL,          -- 'disconnect', 'crash', 'seq_gap', 'buffer_overflow', ...
  detail          jsonb,
  detected_at     timestamptz NOT NULL DEFAULT now(),
  filled_at       timestamptz,
  CHECK (gap_end >= gap_start)
);
CREATE INDEX capture_gaps_open_idx ON capture_gaps (gap_start) WHERE filled_at IS NULL;
CREATE INDEX capture_gaps_span_idx ON capture_gaps (gap_start, gap_end);

-- Payloads that failed validation, kept verbatim (text: they may not even be JSON).
CREATE TABLE dead_letters (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source       text NOT NULL,           -- e.g. 'ws:ticker', 'rest:/markets'
  error        text NOT NULL,
  payload      text NOT NULL,
  context      jsonb,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_received_at_idx ON dead_letters (received_at);
CREATE INDEX dead_letters_source_idx ON dead_letters (source, received_at);

-- ---------------------------------------------------------------------------------------------
-- Analytics service output.

CREATE TABLE predictions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  market_ticker  text NOT NULL,
  model          text NOT NULL,
  predicted_at   timestamptz NOT NULL,
  probability    numeric NOT NULL CHECK (probability >= 0 AND probability <= 1),  -- P(yes)
  market_price   numeric,               -- yes price (dollars) at prediction time, for comparison
  rationale      text,
  inputs         jsonb,
  outcome        numeric,               -- 1 yes, 0 no, fair value for scalar; set when scored
  brier_score    numeric,
  log_score      numeric,
  scored_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (market_ticker, model, predicted_at)
);
CREATE INDEX predictions_unscored_idx ON predictions (market_ticker) WHERE scored_at IS NULL;

-- Embeddings as little-endian float32 bytes (no float column; pgvector is optional and not
-- assumed). subject_kind/subject_key name what was embedded (e.g. 'market', ticker).
CREATE TABLE embeddings (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject_kind    text NOT NULL,
  subject_key     text NOT NULL,
  model           text NOT NULL,
  dimensions      integer NOT NULL CHECK (dimensions > 0),
  vector          bytea NOT NULL CHECK (octet_length(vector) = 4 * dimensions),
  content_sha256  text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subject_kind, subject_key, model)
);

-- ---------------------------------------------------------------------------------------------
-- Privileges, per database. Default privileges cover tables created later by the migrating
-- role, including tick partitions created by ensure_tick_partitions (SECURITY DEFINER).

DO $grants$
BEGIN
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO kalshi_writer', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO kalshi_reader', current_database());
END
$grants$;

GRANT USAGE ON SCHEMA public TO kalshi_writer, kalshi_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kalshi_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO kalshi_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO kalshi_reader;
GRANT EXECUTE ON FUNCTION ensure_tick_partitions(timestamptz, integer) TO kalshi_writer;

ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kalshi_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO kalshi_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT ON TABLES TO kalshi_reader;
