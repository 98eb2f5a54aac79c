/**
 * The live database as a replay source: one reader per stored channel (ticks, WebSocket trades,
 * lifecycle messages, capture gaps), each a server-side cursor in exchange-time order, turned back
 * into the messages Kalshi sent. Memory stays flat whatever the window: each reader holds one page.
 *
 * Lifecycle messages mostly carry no exchange time of their own, so they are ordered by the time
 * the capture received them. Order books add a reader here when their tables exist.
 * @module
 */
import type { Sql } from "../db/mod.ts";
import { REPLAY_GAP_TYPE } from "./gap_message.ts";
import type { ReplayMessage } from "./protocol.ts";
import type { ReplaySource, ReplayWindow } from "./source.ts";
import { type StoredTick, tickerMsg } from "./ticker_message.ts";

/** Rows fetched per round trip of each cursor. */
const PAGE_ROWS = 2000;

/** Reads one channel's messages of a window, in time order. */
export type ChannelReader = (sql: Sql, window: ReplayWindow) => AsyncIterable<ReplayMessage[]>;

/** A cursor's pages as pages of messages. */
async function* pages<R>(
  cursor: AsyncIterable<R[]>,
  message: (row: R) => ReplayMessage,
): AsyncIterable<ReplayMessage[]> {
  for await (const rows of cursor) yield rows.map(message);
}

type Json = Record<string, unknown>;

/** A stored window's ticker frames, rebuilt from columns + `extra` in the current field format. */
export function readTicks(sql: Sql, window: ReplayWindow): AsyncIterable<ReplayMessage[]> {
  const markets = window.markets ?? null;
  const cursor = sql<(StoredTick & { ts_ms: string })[]>`
    SELECT market_ticker, (extract(epoch FROM ts) * 1000)::bigint::text AS ts_ms,
           price::text, yes_bid::text, yes_ask::text, volume::text, open_interest::text,
           yes_bid_size::text, yes_ask_size::text, last_trade_size::text,
           dollar_volume::text, dollar_open_interest::text, extra
      FROM ticks
     WHERE ts >= ${new Date(window.fromMs)} AND ts < ${new Date(window.toMs)}
       AND (${markets}::text[] IS NULL OR market_ticker = ANY(${markets}::text[]))
     ORDER BY ts, market_ticker`.cursor(PAGE_ROWS);
  return pages(cursor, (r) => {
    const tsMs = Number(r.ts_ms);
    return {
      timeMs: tsMs,
      channel: "ticker",
      type: "ticker",
      marketTicker: r.market_ticker,
      msg: tickerMsg(r, tsMs),
    };
  });
}

/** A window's trades as captured over the WebSocket (`source = 'ws'`), their `msg` verbatim. */
export function readTrades(sql: Sql, window: ReplayWindow): AsyncIterable<ReplayMessage[]> {
  const markets = window.markets ?? null;
  const cursor = sql<{ market_ticker: string; ts_ms: string; raw: Json }[]>`
    SELECT market_ticker, (extract(epoch FROM created_time) * 1000)::bigint::text AS ts_ms, raw
      FROM trades
     WHERE source = 'ws'
       AND created_time >= ${new Date(window.fromMs)} AND created_time < ${new Date(window.toMs)}
       AND (${markets}::text[] IS NULL OR market_ticker = ANY(${markets}::text[]))
     ORDER BY created_time, trade_id`.cursor(PAGE_ROWS);
  return pages(cursor, (r) => {
    return {
      timeMs: Number(r.ts_ms),
      channel: "trade",
      type: "trade",
      marketTicker: r.market_ticker,
      msg: r.raw,
    };
  });
}

/** A window's lifecycle messages (every lifecycle type), by receive time, their `msg` verbatim. */
export function readLifecycle(
  sql: Sql,
  window: ReplayWindow,
): AsyncIterable<ReplayMessage[]> {
  const markets = window.markets ?? null;
  const cursor = sql<{ message_type: string; at_ms: string; raw: Json }[]>`
    SELECT message_type, (extract(epoch FROM received_at) * 1000)::bigint::text AS at_ms, raw
      FROM market_lifecycle
     WHERE received_at >= ${new Date(window.fromMs)} AND received_at < ${new Date(window.toMs)}
       AND (${markets}::text[] IS NULL OR market_ticker IS NULL
            OR market_ticker = ANY(${markets}::text[]))
     ORDER BY received_at, id`.cursor(PAGE_ROWS);
  return pages(cursor, (r) => {
    const msg = r.raw.msg;
    return {
      timeMs: Number(r.at_ms),
      // Kalshi sends event lifecycle and fee updates on market_lifecycle_v2.
      channel: r.message_type === "multivariate_market_lifecycle"
        ? r.message_type
        : "market_lifecycle_v2",
      type: r.message_type,
      marketTicker: null,
      msg: msg !== null && typeof msg === "object" ? msg as Json : {},
    };
  });
}

/** The capture gaps overlapping a window, as `replay_gap` messages at their start (or the window's). */
export function readGaps(sql: Sql, window: ReplayWindow): AsyncIterable<ReplayMessage[]> {
  const cursor = sql<GapRecord[]>`
    SELECT channel, market_tickers,
           (extract(epoch FROM gap_start) * 1000)::bigint::text AS start_ms,
           (extract(epoch FROM gap_end) * 1000)::bigint::text AS end_ms, reason, detail
      FROM capture_gaps
     WHERE gap_end >= ${new Date(window.fromMs)} AND gap_start < ${new Date(window.toMs)}
     ORDER BY gap_start, id`.cursor(PAGE_ROWS);
  return pages(cursor, (r) => {
    const startMs = Number(r.start_ms);
    return {
      timeMs: Math.max(startMs, window.fromMs),
      channel: r.channel,
      type: REPLAY_GAP_TYPE,
      marketTicker: null,
      msg: {
        channel: r.channel,
        market_tickers: r.market_tickers,
        start_ts_ms: startMs,
        end_ts_ms: Number(r.end_ms),
        reason: r.reason,
        detail: r.detail,
      },
    };
  });
}

interface GapRecord {
  channel: string;
  market_tickers: string[] | null;
  start_ms: string;
  end_ms: string;
  reason: string;
  detail: Json | null;
}

/** The stored channels, gaps first so a gap precedes the data of the same instant. */
export const DB_READERS: readonly ChannelReader[] = [
  readGaps,
  readLifecycle,
  readTicks,
  readTrades,
];

/**
 * The live database as a replay source.
 *
 * @example
 * ```ts ignore
 * import { createDbSource } from "./db_source.ts";
 * const source = createDbSource(sql);
 * for await (const m of source.messages({ fromMs: 0, toMs: 1 })) console.log(m.type);
 * ```
 */
export function createDbSource(
  sql: Sql,
  options: { readers?: readonly ChannelReader[] } = {},
): ReplaySource {
  const readers = options.readers ?? DB_READERS;
  return { messages: (window) => readers.map((read) => read(sql, window)) };
}
