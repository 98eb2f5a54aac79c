/**
 * Turns normalised WebSocket messages into database-ready rows: exact decimal strings (dollars,
 * contracts), Unix-ms times, raw JSON text. Rows are plain JSON values so a batch can be written
 * to the spool and read back unchanged.
 */
import {
  countUnitsToFixedPoint,
  type EventFeeUpdateMessage,
  type EventLifecycleMessage,
  type MarketLifecycleMessage,
  priceUnitsToDollars,
  type TickerMessage,
  type TradeMessage,
} from "../kalshi/mod.ts";
import { type LifecycleChange, lifecycleChange } from "../catalog/mod.ts";

/** One `ticks` row. Prices are dollar strings ("0.5600"), counts contract strings ("10.00"). */
export interface TickRow {
  marketTicker: string;
  /** Exchange time, Unix ms (ts_ms, or ts × 1000). */
  tsMs: number;
  price: string;
  yesBid: string;
  yesAsk: string;
  volume: string;
  openInterest: string;
  yesBidSize: string | null;
  yesAskSize: string | null;
  lastTradeSize: string | null;
  /** Whole dollars, as Kalshi sends them. */
  dollarVolume: string | null;
  dollarOpenInterest: string | null;
  receivedAtMs: number;
  /** JSON text of the payload fields without a column, or null. */
  extra: string | null;
}

/** One `trades` row (source 'ws'). */
export interface TradeRow {
  tradeId: string;
  marketTicker: string;
  tsMs: number;
  yesPrice: string;
  noPrice: string;
  count: string;
  takerSide: string | null;
  takerOutcomeSide: string | null;
  takerBookSide: string | null;
  isBlockTrade: boolean | null;
  receivedAtMs: number;
  /** JSON text of the trade body (`msg`). */
  raw: string;
}

/** One `market_lifecycle` row, and what it changes in `markets` / `events` (lib/catalog). */
export interface LifecycleRow {
  messageType: string;
  eventType: string | null;
  marketTicker: string | null;
  eventTicker: string | null;
  sid: number | null;
  seq: number | null;
  /** The message's own time (determination_ts, settled_ts), Unix ms, or null. */
  eventTsMs: number | null;
  receivedAtMs: number;
  /** JSON text of the whole frame. */
  raw: string;
  /**
   * The catalog change the message makes, from the schema's normalised fields. Absent in batches
   * spooled by an older version: those are re-derived from `raw` when written.
   */
  change?: LifecycleChange;
}

/** One `dead_letters` row. */
export interface DeadLetterRow {
  source: string;
  error: string;
  payload: string;
  context: Record<string, unknown> | null;
  receivedAtMs: number;
}

/** One `capture_gaps` row. `marketTickers` null = every market of the channel. */
export interface GapRow {
  channel: string;
  marketTickers: string[] | null;
  startMs: number;
  endMs: number;
  reason: string;
  detail: Record<string, unknown> | null;
}

/** Ticker payload keys stored in columns (or derivable from them): everything else goes to `extra`. */
const TICKER_COLUMNS = new Set([
  "market_ticker",
  "price_dollars",
  "price",
  "yes_bid_dollars",
  "yes_bid",
  "yes_ask_dollars",
  "yes_ask",
  "volume_fp",
  "volume",
  "open_interest_fp",
  "open_interest",
  "yes_bid_size_fp",
  "yes_ask_size_fp",
  "last_trade_size_fp",
  "dollar_volume",
  "dollar_open_interest",
  "ts_ms",
  "ts",
  "time",
]);

function countOrNull(units: number | null): string | null {
  return units === null ? null : countUnitsToFixedPoint(units);
}

function body(raw: Record<string, unknown>): Record<string, unknown> {
  const msg = raw.msg;
  return msg !== null && typeof msg === "object" && !Array.isArray(msg)
    ? msg as Record<string, unknown>
    : {};
}

/** Maps a ticker message to its `ticks` row. */
export function tickRow(message: TickerMessage, receivedAtMs: number): TickRow {
  const msg = body(message.raw);
  let extra: Record<string, unknown> | null = null;
  for (const key in msg) {
    if (TICKER_COLUMNS.has(key)) continue;
    (extra ??= {})[key] = msg[key];
  }
  // Legacy payloads carry only `ts` (seconds) or differ from ts_ms: keep what is not derivable.
  if (typeof msg.ts === "number" && typeof msg.ts_ms === "number") {
    if (Math.floor(msg.ts_ms / 1000) !== msg.ts) (extra ??= {}).ts = msg.ts;
  }
  return {
    marketTicker: message.marketTicker,
    tsMs: message.tsMs,
    price: priceUnitsToDollars(message.price),
    yesBid: priceUnitsToDollars(message.yesBid),
    yesAsk: priceUnitsToDollars(message.yesAsk),
    volume: countUnitsToFixedPoint(message.volume),
    openInterest: countUnitsToFixedPoint(message.openInterest),
    yesBidSize: countOrNull(message.yesBidSize),
    yesAskSize: countOrNull(message.yesAskSize),
    lastTradeSize: countOrNull(message.lastTradeSize),
    dollarVolume: message.dollarVolume === null ? null : String(message.dollarVolume),
    dollarOpenInterest: message.dollarOpenInterest === null
      ? null
      : String(message.dollarOpenInterest),
    receivedAtMs,
    extra: extra === null ? null : JSON.stringify(extra),
  };
}

/** Maps a trade message to its `trades` row. */
export function tradeRow(message: TradeMessage, receivedAtMs: number): TradeRow {
  const msg = body(message.raw);
  return {
    tradeId: message.tradeId,
    marketTicker: message.marketTicker,
    tsMs: message.tsMs,
    yesPrice: priceUnitsToDollars(message.yesPrice),
    noPrice: priceUnitsToDollars(message.noPrice),
    count: countUnitsToFixedPoint(message.count),
    takerSide: typeof msg.taker_side === "string" ? msg.taker_side : null,
    takerOutcomeSide: message.takerOutcomeSide,
    takerBookSide: message.takerBookSide,
    isBlockTrade: message.isBlockTrade,
    receivedAtMs,
    raw: JSON.stringify(msg),
  };
}

/** A lifecycle-channel message (market, multivariate, event, fee update). */
export type LifecycleChannelMessage =
  | MarketLifecycleMessage
  | EventLifecycleMessage
  | EventFeeUpdateMessage;

/** Maps a lifecycle-channel message to its `market_lifecycle` row. */
export function lifecycleRow(message: LifecycleChannelMessage, receivedAtMs: number): LifecycleRow {
  const common = {
    messageType: message.type,
    sid: message.sid,
    seq: message.seq,
    receivedAtMs,
    raw: JSON.stringify(message.raw),
    change: lifecycleChange(message),
  };
  if (message.type === "event_lifecycle" || message.type === "event_fee_update") {
    return {
      ...common,
      eventType: message.type === "event_lifecycle" ? "created" : "fee_update",
      marketTicker: null,
      eventTicker: message.eventTicker,
      eventTsMs: null,
    };
  }
  const metadata = message.additionalMetadata;
  const eventTicker = typeof metadata?.event_ticker === "string" ? metadata.event_ticker : null;
  const eventTs = message.determinationTs ?? message.settledTs;
  return {
    ...common,
    eventType: message.eventType,
    marketTicker: message.marketTicker,
    eventTicker,
    eventTsMs: eventTs === null ? null : eventTs * 1000,
  };
}
