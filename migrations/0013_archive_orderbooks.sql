-- 0013_archive_orderbooks: retention for the archived order books (lib/archive, issues 16 + 17).
--   * archive_orderbook_snapshots_fingerprint / archive_orderbook_deltas_fingerprint: row count and
--     checksum of a span of each table, equal to lib/archive's fingerprint of its archive table
--     (ticker instead of market id, exact decimals, levels as `price:size,…`; a test keeps them
--     equal).
--   * drop_archived_orderbook_partitions(day): retention. SECURITY DEFINER (the writer role cannot
--     drop a partition), it drops both order-book tables of a UTC day together, and refuses —
--     naming the day — unless each table holding rows that day has an archive that verified
--     recently and, locked against writes, still holds exactly the archived rows.

CREATE FUNCTION archive_orderbook_snapshots_fingerprint(lo timestamptz, hi timestamptz,
                                                        OUT row_count bigint,
                                                        OUT checksum numeric)
LANGUAGE sql STABLE
AS $$
  SELECT count(*), coalesce(sum(archive_row_hash(
    coalesce(replace(replace(m.market_ticker, '\', '\\'), '|', '\|'), '\N') || '|' ||
    coalesce((extract(epoch FROM s.ts) * 1000000)::bigint::text, '\N') || '|' ||
    coalesce(s.ord::text, '\N') || '|' ||
    coalesce(replace(replace(s.kind, '\', '\\'), '|', '\|'), '\N') || '|' ||
    (SELECT coalesce(string_agg(round(u.p / 10000.0, 4)::text || ':' || round(u.q / 100.0, 2)::text,
                                ',' ORDER BY u.i), '')
     FROM unnest(s.yes_price, s.yes_size) WITH ORDINALITY AS u(p, q, i)) || '|' ||
    (SELECT coalesce(string_agg(round(u.p / 10000.0, 4)::text || ':' || round(u.q / 100.0, 2)::text,
                                ',' ORDER BY u.i), '')
     FROM unnest(s.no_price, s.no_size) WITH ORDINALITY AS u(p, q, i)))), 0)
  FROM orderbook_snapshots s LEFT JOIN orderbook_markets m ON m.id = s.market_id
  WHERE s.ts >= lo AND s.ts < hi
$$;

CREATE FUNCTION archive_orderbook_deltas_fingerprint(lo timestamptz, hi timestamptz,
                                                     OUT row_count bigint, OUT checksum numeric)
LANGUAGE sql STABLE
AS $$
  SELECT count(*), coalesce(sum(archive_row_hash(
    coalesce(replace(replace(m.market_ticker, '\', '\\'), '|', '\|'), '\N') || '|' ||
    coalesce((extract(epoch FROM d.ts) * 1000000)::bigint::text, '\N') || '|' ||
    coalesce(d.ord::text, '\N') || '|' ||
    CASE d.side WHEN 'y' THEN 'yes' WHEN 'n' THEN 'no' ELSE '\N' END || '|' ||
    round(d.price / 10000.0, 4)::text || '|' ||
    round(d.delta / 100.0, 2)::text)), 0)
  FROM orderbook_deltas d LEFT JOIN orderbook_markets m ON m.id = d.market_id
  WHERE d.ts >= lo AND d.ts < hi
$$;

-- Drops the order books of UTC day `p_day` (the partitions orderbook_snapshots_pYYYYMMDD and
-- orderbook_deltas_pYYYYMMDD, and any of the day's rows left in the DEFAULT partitions) when,
-- and only when, each of the two tables either holds no row of the day or has an archive_days
-- record verified within `max_verify_age` without a difference whose count and checksum the rows
-- — locked against writes first — still have. Otherwise it raises
-- object_not_in_prerequisite_state (55000) naming the day and what to do. Returns the number of
-- rows dropped (both tables).
CREATE FUNCTION drop_archived_orderbook_partitions(p_day date,
                                                   max_verify_age interval DEFAULT interval '1 day')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
  lo      timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
  hi      timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
  tables  text[] := ARRAY['orderbook_snapshots', 'orderbook_deltas'];
  tbl     text;
  part    text;
  rec     archive_days%ROWTYPE;
  fp      record;
  total   bigint := 0;
  in_default boolean;
BEGIN
  IF p_day IS NULL OR max_verify_age IS NULL THEN
    RAISE EXCEPTION 'drop_archived_orderbook_partitions: day and max_verify_age must not be NULL';
  END IF;
  -- Serialised with ensure_orderbook_partitions, which creates and attaches partitions.
  PERFORM pg_advisory_xact_lock(7240001009);
  FOREACH tbl IN ARRAY tables LOOP
    part := tbl || '_p' || to_char(p_day, 'YYYYMMDD');
    -- No write may land in the day between the comparison and the drop.
    IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
      EXECUTE format('LOCK TABLE %I IN SHARE MODE', part);
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE ts >= $1 AND ts < $2)', tbl || '_default')
      INTO in_default USING lo, hi;
    IF in_default THEN
      EXECUTE format('LOCK TABLE %I IN SHARE MODE', tbl || '_default');
    END IF;
    EXECUTE format('SELECT * FROM archive_%s_fingerprint($1, $2)', tbl) INTO fp USING lo, hi;
    SELECT * INTO rec FROM archive_days WHERE table_name = tbl AND day = p_day FOR UPDATE;
    IF NOT FOUND THEN
      IF fp.row_count = 0 THEN CONTINUE; END IF;
      RAISE EXCEPTION 'refusing to drop the order books of %: its % were never archived (no archive_days row); run `deno task export --from % --to %` first', p_day, tbl, p_day, p_day
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF rec.verify_error IS NOT NULL THEN
      RAISE EXCEPTION 'refusing to drop the order books of %: the archive of its % did not verify (%); run `deno task export --from % --to %` to rewrite it', p_day, tbl, rec.verify_error, p_day, p_day
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF rec.verified_at IS NULL OR rec.verified_at < now() - max_verify_age THEN
      RAISE EXCEPTION 'refusing to drop the order books of %: the archive of its % was last verified at %, longer than % ago; verify it again first', p_day, tbl, coalesce(rec.verified_at::text, 'never'), max_verify_age
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF fp.row_count <> rec.row_count OR fp.checksum <> rec.checksum THEN
      RAISE EXCEPTION 'refusing to drop the order books of %: the database now holds % rows of % (checksum %), the archive % rows (checksum %); run `deno task export --from % --to %` to archive the change first', p_day, fp.row_count, tbl, fp.checksum, rec.row_count, rec.checksum, p_day, p_day
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    total := total + fp.row_count;
  END LOOP;
  FOREACH tbl IN ARRAY tables LOOP
    part := tbl || '_p' || to_char(p_day, 'YYYYMMDD');
    IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', tbl, part);
      EXECUTE format('DROP TABLE %I', part);
    END IF;
    EXECUTE format('DELETE FROM %I WHERE ts >= $1 AND ts < $2', tbl || '_default') USING lo, hi;
    UPDATE archive_days SET dropped_at = now() WHERE table_name = tbl AND day = p_day;
  END LOOP;
  RETURN total;
END
$fn$;
REVOKE ALL ON FUNCTION drop_archived_orderbook_partitions(date, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION drop_archived_orderbook_partitions(date, interval) TO kalshi_writer;
