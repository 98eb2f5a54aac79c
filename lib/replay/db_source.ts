/**
 * The live database as a replay source: one reader per stored channel (ticks, WebSocket trades,
 * lifecycle messages, capture gaps), each a server-side cursor in exchange-time order, turned back
 * into the messages Kalshi sent. Memory stays flat whatever the window: each reader holds one page.
 *
 * Lifecycle messages mostly carry no exchange time of their own, so they are ordered by the time
 * the capture received them. Order books: the stored deltas, and the `subscribe` / `resync`
 * snapshots (checkpoints are the capture's own, never messages), read an hour of exchange time per
 * query (the deltas table has a BRIN on ts, no (market, ts) btree); books at any instant rebuilt
 * by lib/orderbook's `bookAt`.
 * @module
 */
import type { Sql } from "../db/mod.ts";
import type { OrderbookLevels } from "../kalshi/mod.ts";
import { bookAt } from "../orderbook/mod.ts";
import { REPLAY_GAP_TYPE } from "./gap_message.ts";
import { deltaMsg, ORDERBOOK_CHANNEL, snapshotMsg } from "./orderbook_message.ts";
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

/** Exchange time each order-book query covers: bounds the sort and prunes day partitions. */
const BOOK_CHUNK_MS = 3_600_000;

interface BookRecord {
  ts_ms: string;
  ticker: string;
  is_snapshot: boolean;
  side: string | null;
  price: number | null;
  delta: number | null;
  kind: "subscribe" | "resync" | null;
  yes_price: number[] | null;
  yes_size: string[] | null;
  no_price: number[] | null;
  no_size: string[] | null;
}

const zip = (prices: number[] | null, sizes: string[] | null): [number, number][] =>
  (prices ?? []).map((p, i) => [p, Number(sizes![i])]);

function bookMessage(r: BookRecord): ReplayMessage {
  const timeMs = Number(r.ts_ms);
  const base = { timeMs, channel: ORDERBOOK_CHANNEL, marketTicker: r.ticker };
  if (r.is_snapshot) {
    const levels = { yes: zip(r.yes_price, r.yes_size), no: zip(r.no_price, r.no_size) };
    const msg = snapshotMsg(r.ticker, levels);
    return { ...base, type: "orderbook_snapshot", msg, bookKind: r.kind ?? "resync" };
  }
  const side = r.side === "y" ? "yes" : "no";
  const d = { ticker: r.ticker, side, price: r.price!, delta: r.delta!, tsMs: timeMs } as const;
  return { ...base, type: "orderbook_delta", msg: deltaMsg(d) };
}

/**
 * A window's stored order-book deltas and `subscribe` / `resync` snapshots, in `(ts, ord)` order:
 * one cursor per hour of the window, so each query prunes to its day partition and BRIN range.
 */
export async function* readOrderbook(
  sql: Sql,
  window: ReplayWindow,
): AsyncIterable<ReplayMessage[]> {
  const markets = window.markets ?? null;
  for (let lo = window.fromMs; lo < window.toMs; lo += BOOK_CHUNK_MS) {
    const from = new Date(lo), to = new Date(Math.min(lo + BOOK_CHUNK_MS, window.toMs));
    const cursor = sql<BookRecord[]>`
      SELECT (extract(epoch FROM w.ts) * 1000)::bigint::text AS ts_ms, m.market_ticker AS ticker,
             w.is_snapshot, w.side, w.price, w.delta, w.kind,
             w.yes_price, w.yes_size, w.no_price, w.no_size
        FROM (SELECT ts, ord, market_id, false AS is_snapshot, side::text AS side, price, delta,
                     NULL::text AS kind, NULL::smallint[] AS yes_price, NULL::bigint[] AS yes_size,
                     NULL::smallint[] AS no_price, NULL::bigint[] AS no_size
                FROM orderbook_deltas WHERE ts >= ${from} AND ts < ${to}
              UNION ALL
              SELECT ts, ord, market_id, true, NULL, NULL, NULL, kind,
                     yes_price, yes_size, no_price, no_size
                FROM orderbook_snapshots
               WHERE ts >= ${from} AND ts < ${to} AND kind <> 'checkpoint') AS w
        JOIN orderbook_markets m ON m.id = w.market_id
       WHERE ${markets}::text[] IS NULL OR m.market_ticker = ANY(${markets}::text[])
       ORDER BY w.ts, w.ord, w.is_snapshot DESC`.cursor(PAGE_ROWS);
    for await (const rows of cursor) yield rows.map(bookMessage);
  }
}

/** The stored book of `ticker` at `atMs`, or null when none is stored by then. */
export async function storedBook(
  sql: Sql,
  ticker: string,
  atMs: number,
): Promise<OrderbookLevels | null> {
  const rebuilt = await bookAt(sql, ticker, new Date(atMs));
  return rebuilt.status === "ok" ? rebuilt.book.toLevels() : null;
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
  readOrderbook,
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
  return {
    messages: (window) => readers.map((read) => read(sql, window)),
    book: (ticker, atMs) => storedBook(sql, ticker, atMs),
  };
}
