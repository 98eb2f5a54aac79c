-- 0007_archive: the Parquet archive's bookkeeping and tick retention (lib/archive, issue 17).
--   * archive_days: one row per exported (table, UTC day): row count and checksum of what was
--     written, the files, when it was last verified and what differed. `deno task status` and
--     retention read it; the export writes it.
--   * archive_row_hash: the row hash of the archive checksum (lib/archive/checksum.ts builds
--     every table's row text around it; DuckDB computes the same value over the Parquet files).
--   * drop_archived_tick_partition(day): retention. SECURITY DEFINER (the writer role cannot drop
--     a partition), it refuses — naming the day — unless the day's archive verified recently and
--     the partition, locked against writes, still holds exactly the verified rows.
--   * candles_end_period_ts_idx: finding the days that hold candles is an index walk, not a scan.

CREATE TABLE archive_days (
  table_name    text NOT NULL,
  day           date NOT NULL,            -- UTC day (snapshot tables: the day it was taken)
  row_count     bigint NOT NULL CHECK (row_count >= 0),
  checksum      numeric NOT NULL,         -- sum of row hashes (lib/archive/checksum.ts)
  files         jsonb NOT NULL,           -- [{ "name", "bytes", "sha256" }], relative to the day folder
  exported_at   timestamptz NOT NULL,
  verified_at   timestamptz,              -- last time Parquet and database (or manifest) matched
  verify_error  text,                     -- the last verification's difference; NULL when it matched
  dropped_at    timestamptz,              -- retention dropped the day from the database
  PRIMARY KEY (table_name, day)
);
CREATE INDEX archive_days_day_idx ON archive_days (day);

CREATE INDEX candles_end_period_ts_idx ON candles (end_period_ts);

-- The first 15 hex digits of a row text's MD5 as a bigint (0 <= h < 2^60). The row text itself
-- is built inline by lib/archive/checksum.ts for each table (see docs/archive.md).
CREATE FUNCTION archive_row_hash(row_text text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('x0' || substr(md5(row_text), 1, 15))::bit(64)::bigint $$;

-- Row count and checksum of the ticks in [lo, hi); equal to lib/archive's fingerprint of ticks
-- (a test keeps the two equal).
CREATE FUNCTION archive_ticks_fingerprint(lo timestamptz, hi timestamptz,
                                          OUT row_count bigint, OUT checksum numeric)
LANGUAGE sql STABLE
AS $$
  SELECT count(*), coalesce(sum(archive_row_hash(
    coalesce(replace(replace(market_ticker, '\', '\\'), '|', '\|'), '\N') || '|' ||
    coalesce((extract(epoch FROM ts) * 1000000)::bigint::text, '\N') || '|' ||
    coalesce(round(price, 4)::text, '\N') || '|' ||
    coalesce(round(yes_bid, 4)::text, '\N') || '|' ||
    coalesce(round(yes_ask, 4)::text, '\N') || '|' ||
    coalesce(round(volume, 2)::text, '\N') || '|' ||
    coalesce(round(open_interest, 2)::text, '\N') || '|' ||
    coalesce(round(yes_bid_size, 2)::text, '\N') || '|' ||
    coalesce(round(yes_ask_size, 2)::text, '\N') || '|' ||
    coalesce(round(last_trade_size, 2)::text, '\N') || '|' ||
    coalesce(round(dollar_volume, 4)::text, '\N') || '|' ||
    coalesce(round(dollar_open_interest, 4)::text, '\N') || '|' ||
    coalesce((extract(epoch FROM received_at) * 1000000)::bigint::text, '\N') || '|' ||
    coalesce(replace(replace(batch_id, '\', '\\'), '|', '\|'), '\N') || '|' ||
    coalesce(replace(replace(extra::text, '\', '\\'), '|', '\|'), '\N'))), 0)
  FROM ticks WHERE ts >= lo AND ts < hi
$$;

-- Drops the ticks of UTC day `p_day` (its partition ticks_pYYYYMMDD and any of its rows left in
-- ticks_default) when, and only when, archive_days says the day's archive verified within
-- `max_verify_age` without a difference, and the rows — locked against writes first — still have
-- the archived count and checksum. Otherwise it raises object_not_in_prerequisite_state (55000)
-- with a message naming the day and what to do. Returns the number of rows dropped.
CREATE FUNCTION drop_archived_tick_partition(p_day date,
                                             max_verify_age interval DEFAULT interval '1 day')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
  part     text := 'ticks_p' || to_char(p_day, 'YYYYMMDD');
  lo       timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
  hi       timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
  rec      archive_days%ROWTYPE;
  fp       record;
  has_part boolean;
BEGIN
  IF p_day IS NULL OR max_verify_age IS NULL THEN
    RAISE EXCEPTION 'drop_archived_tick_partition: day and max_verify_age must not be NULL';
  END IF;
  -- Serialised with ensure_tick_partitions, which creates and attaches partitions.
  PERFORM pg_advisory_xact_lock(7240001001);
  SELECT * INTO rec FROM archive_days WHERE table_name = 'ticks' AND day = p_day FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'refusing to drop the ticks of %: the day was never archived (no archive_days row); run `deno task export --from % --to %` first', p_day, p_day, p_day
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF rec.verify_error IS NOT NULL THEN
    RAISE EXCEPTION 'refusing to drop the ticks of %: its archive did not verify (%); run `deno task export --from % --to %` to rewrite it', p_day, rec.verify_error, p_day, p_day
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF rec.verified_at IS NULL OR rec.verified_at < now() - max_verify_age THEN
    RAISE EXCEPTION 'refusing to drop the ticks of %: its archive was last verified at %, longer than % ago; verify it again first', p_day, coalesce(rec.verified_at::text, 'never'), max_verify_age
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  has_part := to_regclass(format('public.%I', part)) IS NOT NULL;
  -- No write may land in the day between the comparison and the drop.
  IF has_part THEN
    EXECUTE format('LOCK TABLE %I IN SHARE MODE', part);
  END IF;
  IF EXISTS (SELECT 1 FROM ticks_default WHERE ts >= lo AND ts < hi) THEN
    LOCK TABLE ticks_default IN SHARE MODE;
  END IF;
  SELECT * INTO fp FROM archive_ticks_fingerprint(lo, hi);
  IF fp.row_count <> rec.row_count OR fp.checksum <> rec.checksum THEN
    RAISE EXCEPTION 'refusing to drop the ticks of %: the database now holds % rows (checksum %), the archive % rows (checksum %); run `deno task export --from % --to %` to archive the change first', p_day, fp.row_count, fp.checksum, rec.row_count, rec.checksum, p_day, p_day
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF has_part THEN
    EXECUTE format('ALTER TABLE ticks DETACH PARTITION %I', part);
    EXECUTE format('DROP TABLE %I', part);
  END IF;
  DELETE FROM ticks_default WHERE ts >= lo AND ts < hi;
  UPDATE archive_days SET dropped_at = now() WHERE table_name = 'ticks' AND day = p_day;
  RETURN fp.row_count;
END
$fn$;
REVOKE ALL ON FUNCTION drop_archived_tick_partition(date, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION drop_archived_tick_partition(date, interval) TO kalshi_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON archive_days TO kalshi_writer;
GRANT SELECT ON archive_days TO kalshi_reader;
