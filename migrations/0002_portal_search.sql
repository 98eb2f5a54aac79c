-- 0002_portal_search: indexes behind the portal's search box (portal/data/browse.ts).
--   * Ticker prefix search (`ticker LIKE 'KXBTC%'`) uses a btree index only under the C collation;
--     text_pattern_ops makes it index-backed under any database collation (Azure's en_US too).
--   * Full-text search on titles: expression GIN indexes matching the queries'
--     to_tsvector('english', coalesce(title, '')) exactly.
CREATE INDEX markets_ticker_pattern_idx ON markets (ticker text_pattern_ops);
CREATE INDEX events_ticker_pattern_idx ON events (event_ticker text_pattern_ops);
CREATE INDEX series_ticker_pattern_idx ON series (ticker text_pattern_ops);
CREATE INDEX markets_title_fts_idx ON markets USING gin (to_tsvector('english', coalesce(title, '')));
CREATE INDEX events_title_fts_idx ON events USING gin (to_tsvector('english', coalesce(title, '')));
CREATE INDEX series_title_fts_idx ON series USING gin (to_tsvector('english', coalesce(title, '')));
