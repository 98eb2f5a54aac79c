-- Until this version, ws_service stored `market_lifecycle.raw` and `capture_gaps.detail` as a JSON
-- *string* holding the JSON text (a parameter cast straight to jsonb was encoded twice), so
-- `raw -> 'msg'` answered NULL. Turn those strings back into the objects they spell. Rows written
-- since are objects already; this runs once, at migration time.

UPDATE market_lifecycle SET raw = (raw #>> '{}')::jsonb WHERE jsonb_typeof(raw) = 'string';
UPDATE capture_gaps SET detail = (detail #>> '{}')::jsonb WHERE jsonb_typeof(detail) = 'string';
