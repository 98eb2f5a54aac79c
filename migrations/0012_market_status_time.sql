-- The exchange time of the status a market row holds, so a lifecycle update never moves a market
-- backwards. Discovery and the WebSocket reach the catalog out of order (a REST page fetched before
-- a `determined` message may be written after it; a spooled batch replays late), and `updated_at`
-- is our clock, not the exchange's. Written only by lib/catalog: a status (with its result and
-- settlement columns) is applied only when its exchange time is not older than this one.
-- NULL: unknown (rows from before this version); any update then applies.

ALTER TABLE markets ADD COLUMN status_ts timestamptz;

COMMENT ON COLUMN markets.status_ts IS
  'exchange time of the last applied status change: WS determination_ts/settled_ts (receive '
  'time for messages without one), REST max(updated_time, the time the status implies)';
