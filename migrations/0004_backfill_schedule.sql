-- 0004_backfill_schedule: resume points of discovery and scheduling (rest_service, issue 5).
--   * ingest_state gains two keys (lib/db/ingest_state.ts defines their values):
--       'backfill.scheduled'  scope '<market_ticker>': how far candle and trade jobs of the market
--                             have been scheduled, so nothing is scheduled twice;
--       'discovery.walk'      scope '<walk name>': the cursor of an unfinished paginated walk, so an
--                             interrupted first sync resumes instead of starting over.
--   * An expression index lets the coverage audit read one market's jobs without a full scan.
ALTER TABLE ingest_state DROP CONSTRAINT ingest_state_key_check;
ALTER TABLE ingest_state ADD CONSTRAINT ingest_state_key_check CHECK (key IN (
  'discovery.series_synced',
  'discovery.events_synced',
  'discovery.markets_synced',
  'discovery.walk',
  'historical.cutoff',
  'candles.high_water',
  'trades.high_water',
  'backfill.scheduled',
  'ws.session',
  'coverage.audited_through'
));

CREATE INDEX backfill_jobs_ticker_idx ON backfill_jobs ((payload ->> 'ticker'), kind);
