/**
 * The Parquet archive as a replay source (days already dropped from the database by retention
 * still replay): one reader per stored channel, each a streamed DuckDB query over the archive's
 * views, pruned to the window's days by the Hive `date` column. Memory stays flat: DuckDB streams
 * chunks and spills its sort under its memory limit. The archive holds no capture gaps (the
 * database's `capture_gaps` is not exported), so an archive replay sends no `replay_gap`.
 *
 * Loads DuckDB's native addon: only `deno task replay --source archive` imports this module.
 * @module
 */
import { archiveTable, dayOf, duckString } from "../archive/mod.ts";
import { createArchiveViews, openDuckDb } from "../archive/duckdb_mod.ts";
import type { ReplayMessage } from "./protocol.ts";
import type { ReplaySource, ReplayWindow } from "./source.ts";
import { type StoredTick, tickerMsg } from "./ticker_message.ts";

/** Where the archive is and how much DuckDB may use per reader. */
export interface ArchiveSourceOptions {
  archiveDir: string;
  /** DuckDB memory limit per reader, MB (default 256). */
  memoryMb?: number;
}

type Row = Record<string, unknown>;

/** A channel of the archive: its table, its query's columns and order, its message. */
interface ArchiveChannel {
  table: string;
  select: string;
  time: string;
  order: string;
  /** Extra condition (e.g. trades captured over the WebSocket). */
  where?: string;
  /** Lifecycle rows are kept channel-wide when markets are chosen. */
  keepUnticketed?: boolean;
  message(row: Row): ReplayMessage;
}

const json = (value: unknown): Row | null =>
  value === null || value === undefined ? null : JSON.parse(String(value));
const decimal = (value: unknown): string | null => value === null ? null : String(value);

const TICKS: ArchiveChannel = {
  table: "ticks",
  time: "ts",
  order: "ts, market_ticker",
  select: [
    "market_ticker",
    ...[
      "price",
      "yes_bid",
      "yes_ask",
      "volume",
      "open_interest",
      "yes_bid_size",
      "yes_ask_size",
      "last_trade_size",
      "dollar_volume",
      "dollar_open_interest",
      "extra",
    ].map((c) => `CAST(${c} AS VARCHAR) AS ${c}`),
  ].join(", "),
  message(row) {
    const tsMs = Number(row.t);
    const tick = { ...row, extra: json(row.extra) } as unknown as StoredTick;
    for (const key of ["dollar_volume", "dollar_open_interest"] as const) {
      // Whole dollars are archived as DECIMAL(18,4): back to the integer Kalshi sent.
      if (tick[key] !== null) tick[key] = String(Math.trunc(Number(tick[key])));
    }
    for (const key of ["yes_bid_size", "yes_ask_size", "last_trade_size"] as const) {
      tick[key] = decimal(tick[key]);
    }
    return {
      timeMs: tsMs,
      channel: "ticker",
      type: "ticker",
      marketTicker: tick.market_ticker,
      msg: tickerMsg(tick, tsMs),
    };
  },
};

const TRADES: ArchiveChannel = {
  table: "trades",
  time: "created_time",
  order: "created_time, trade_id",
  where: "source = 'ws'",
  select: "market_ticker, CAST(raw AS VARCHAR) AS raw",
  message: (row) => ({
    timeMs: Number(row.t),
    channel: "trade",
    type: "trade",
    marketTicker: String(row.market_ticker),
    msg: json(row.raw) ?? {},
  }),
};

const LIFECYCLE: ArchiveChannel = {
  table: "market_lifecycle",
  time: "received_at",
  order: "received_at, id",
  keepUnticketed: true,
  select: "message_type, CAST(raw AS VARCHAR) AS raw",
  message(row) {
    const type = String(row.message_type);
    const msg = json(row.raw)?.msg;
    return {
      timeMs: Number(row.t),
      channel: type === "multivariate_market_lifecycle" ? type : "market_lifecycle_v2",
      type,
      marketTicker: null,
      msg: msg !== null && typeof msg === "object" ? msg as Row : {},
    };
  },
};

/** The archived channels. */
const CHANNELS = [LIFECYCLE, TICKS, TRADES];

/** The DuckDB query of one channel's window. */
function windowQuery(channel: ArchiveChannel, window: ReplayWindow): string {
  const markets = window.markets?.length
    ? `(market_ticker IN (${window.markets.map(duckString).join(", ")})${
      channel.keepUnticketed ? " OR market_ticker IS NULL" : ""
    })`
    : "true";
  const lastDay = dayOf(window.toMs - 1);
  return `SELECT CAST(epoch_ms(${channel.time}) AS VARCHAR) AS t, ${channel.select}
    FROM ${channel.table}
   WHERE "date" BETWEEN DATE ${duckString(dayOf(window.fromMs))} AND DATE ${duckString(lastDay)}
     AND epoch_ms(${channel.time}) >= ${Math.trunc(window.fromMs)}
     AND epoch_ms(${channel.time}) < ${Math.trunc(window.toMs)}
     AND ${channel.where ?? "true"} AND ${markets}
   ORDER BY ${channel.order}`;
}

async function* readChannel(
  channel: ArchiveChannel,
  window: ReplayWindow,
  options: ArchiveSourceOptions,
): AsyncIterable<ReplayMessage[]> {
  const duck = await openDuckDb({
    archiveDir: options.archiveDir,
    memoryMb: options.memoryMb ?? 256,
    threads: 1,
  });
  try {
    await createArchiveViews(duck, options.archiveDir, [archiveTable(channel.table)]);
    const result = await duck.connection.stream(windowQuery(channel, window));
    for await (const rows of result.yieldRowObjectJson()) {
      yield rows.map((row) => channel.message(row as Row));
    }
  } finally {
    duck.close();
  }
}

/**
 * The archive as a replay source.
 *
 * @example
 * ```ts ignore
 * import { createArchiveSource } from "./archive_source.ts";
 * const source = createArchiveSource({ archiveDir: ".data/archive" });
 * ```
 */
export function createArchiveSource(options: ArchiveSourceOptions): ReplaySource {
  return { messages: (window) => CHANNELS.map((c) => readChannel(c, window, options)) };
}
