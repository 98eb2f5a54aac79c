/**
 * Replay: captured history served back as Kalshi's own WebSocket protocol, so code written against
 * the live exchange runs unchanged on a stored window.
 *
 * - `serveReplay({ source, window, speed, quietMs, clock, logger, port })` → `{ wsUrl, now, close }`.
 * - `createReplayRest(sql, { fromMs, now })`: the REST side (`/trade-api/v2`) as of the window
 *   start, order books as of replay time.
 * - Sources hand one time-ordered stream per channel (`ReplaySource`); `createDbSource(sql)` reads
 *   the live database (ticks, WebSocket trades, lifecycle, capture gaps, order books);
 *   `./archive_source.ts` (not re-exported: it loads DuckDB) reads the Parquet archive.
 * - Gaps the capture recorded arrive in-band as `replay_gap` messages (`parseReplayGap`).
 * @module
 */
export { type ChannelReader, createDbSource, DB_READERS } from "./db_source.ts";
export { parseReplayGap, REPLAY_GAP_TYPE, type ReplayGap } from "./gap_message.ts";
export { createReplayRest, REPLAY_REST_PATH } from "./rest.ts";
export { REPLAY_CHANNELS, type ReplayMessage, ReplaySubscriptions } from "./protocol.ts";
export {
  REPLAY_WS_PATH,
  type ServedReplay,
  serveReplay,
  type ServeReplayOptions,
} from "./server.ts";
export { ReplaySession, type ReplaySessionOptions, type ReplaySocket } from "./session.ts";
export { mergeByTime, type ReplaySource, type ReplayWindow } from "./source.ts";
