/**
 * Turns normalised WebSocket messages into database-ready rows: exact decimal strings (dollars,
 * contracts), Unix-ms times, raw JSON text. Rows are plain JSON values so a batch can be written
 * to the spool and read back unchanged.
 *
 * A builder refuses (throws {@linkcode RowValueError}) a value it cannot turn into something
 * PostgreSQL stores: a time outside the edge's window, a count or price that is not an exact
 * integer of units, text with a NUL. The schemas already bound all of these, so a refusal means a
 * message reached the builder some other way; routing turns it into a dead letter.
 */
import {
  countUnitsToFixedPoint,
  EARLIEST_TIME_MS,
  type EventFeeUpdateMessage,
  type EventLifecycleMessage,
  isWithinTimeWindow,
  type MarketLifecycleMessage,
  priceUnitsToDollars,
  type TickerMessage,
  TIME_LIMIT_MS,
  type TradeMessage,
  unstorableJson,
  unstorableText,
} from "../kalshi/mod.ts";
import { type LifecycleChange, lifecycleChange } from "../catalog/mod.ts";
import type { OrderbookDeltaRow, OrderbookSnapshotRow } from "../orderbook/mod.ts";

/** One `ticks` row. Prices are dollar strings ("0.5600"), counts contract strings ("10.00"). */
export interface TickRow {
  /** The market's ticker. */
  marketTicker: string;
  /** Exchange time, Unix ms (ts_ms, or ts × 1000). */
  tsMs: number;
  /** Last trade price, dollars ("0.0000" if the market never traded). */
  price: string;
  /** Best YES bid, dollars. */
  yesBid: string;
  /** Best YES ask, dollars. */
  yesAsk: string;
  /** Contracts traded over the market's life. */
  volume: string;
  /** Contracts outstanding. */
  openInterest: string;
  /** Contracts at the best YES bid, or null when the message has no size. */
  yesBidSize: string | null;
  /** Contracts at the best YES ask, or null when the message has no size. */
  yesAskSize: string | null;
  /** Contracts in the last trade, or null when the message has none. */
  lastTradeSize: string | null;
  /** Whole dollars, as Kalshi sends them. */
  dollarVolume: string | null;
  /** Open interest in whole dollars, as Kalshi sends it; null when absent. */
  dollarOpenInterest: string | null;
  /** When the message arrived, Unix ms. */
  receivedAtMs: number;
  /** JSON text of the payload fields without a column, or null. */
  extra: string | null;
}

/** One `trades` row (source 'ws'). */
export interface TradeRow {
  /** Kalshi's trade id, unique: the table's key. */
  tradeId: string;
  /** The market's ticker. */
  marketTicker: string;
  /** Exchange time of the trade, Unix ms (`created_time`). */
  tsMs: number;
  /** YES price, dollars ("0.5600"). */
  yesPrice: string;
  /** NO price, dollars. */
  noPrice: string;
  /** Contracts filled ("10.00"). */
  count: string;
  /** The deprecated `taker_side` exactly as sent (yes | no), or null when absent. */
  takerSide: string | null;
  /** yes | no: the outcome the taker bought (from `taker_side` when absent), or null. */
  takerOutcomeSide: string | null;
  /** bid | ask: the book side the taker hit, or null when absent. */
  takerBookSide: string | null;
  /** Whether it was a block trade; null when the message does not say. */
  isBlockTrade: boolean | null;
  /** When the message arrived, Unix ms. */
  receivedAtMs: number;
  /** JSON text of the trade body (`msg`). */
  raw: string;
}

/** One `market_lifecycle` row, and what it changes in `markets` / `events` (lib/catalog). */
export interface LifecycleRow {
  /** The WebSocket message `type` (e.g. market_lifecycle_v2, event_fee_update). */
  messageType: string;
  /**
   * What happened: a market message's `event_type` (created, determined, settled, ...), or
   * `created` / `fee_update` for event messages.
   */
  eventType: string | null;
  /** The market's ticker; null for event messages. */
  marketTicker: string | null;
  /** The event's ticker, or null when the message names none. */
  eventTicker: string | null;
  /** The subscription id the message came on, or null. */
  sid: number | null;
  /** The message's sequence number within its subscription, or null. */
  seq: number | null;
  /** The message's own time (determination_ts, settled_ts), Unix ms, or null. */
  eventTsMs: number | null;
  /** When the message arrived, Unix ms. */
  receivedAtMs: number;
  /** JSON text of the whole frame. */
  raw: string;
  /**
   * The catalog change the message makes, from the schema's normalised fields. Absent in batches
   * spooled by an older version: those are re-derived from `raw` when written.
   */
  change?: LifecycleChange;
}

/** An `orderbook_snapshots` row as captured: with the receive time of its message. */
export type CapturedSnapshotRow = OrderbookSnapshotRow & { receivedAtMs: number };

/** An `orderbook_deltas` row as captured: with the receive time of its message. */
export type CapturedDeltaRow = OrderbookDeltaRow & { receivedAtMs: number };

/** One `dead_letters` row. */
export interface DeadLetterRow {
  /** Where the payload came from, e.g. `ws:ticker`, or `capture:tick` for a refused row. */
  source: string;
  /** Why it was refused (a validation message, or a database error code and message). */
  error: string;
  /** The payload verbatim (it may not even be JSON). */
  payload: string;
  /** JSON-able facts around the refusal (session id, batch id), or null. */
  context: Record<string, unknown> | null;
  /** When the payload arrived, Unix ms. */
  receivedAtMs: number;
}

/** One `capture_gaps` row. `marketTickers` null = every market of the channel. */
export interface GapRow {
  /** The channel that may have missed messages ('ticker', 'trade', ..., or 'all'). */
  channel: string;
  /** The markets affected, or null for every market of the channel. */
  marketTickers: string[] | null;
  /** Start of the span in which messages may be missing, Unix ms. */
  startMs: number;
  /** End of the span, Unix ms; never before `startMs`. */
  endMs: number;
  /** Why messages may be missing ('disconnect', 'crash', 'seq_gap', ...). */
  reason: string;
  /** JSON-able facts about the gap, or null. */
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

/** A message value a row builder cannot store; names the field, the value and the expectation. */
export class RowValueError extends RangeError {
  /** The row field (e.g. "tsMs"). */
  readonly field: string;
  /** The refused value. */
  readonly value: unknown;

  /** An error for `field`, holding `value`, which was expected to be `expected`. */
  constructor(field: string, value: unknown, expected: string) {
    const text = JSON.stringify(value) ?? String(value);
    const shown = text.length > 120 ? `${text.slice(0, 117)}...` : text;
    super(`${field}: expected ${expected}; received ${shown}`);
    this.name = "RowValueError";
    this.field = field;
    this.value = value;
  }
}

const WINDOW = `integer Unix ms from ${new Date(EARLIEST_TIME_MS).toISOString()} to before ${
  new Date(TIME_LIMIT_MS).toISOString()
}`;

/** `ms` when it is an instant inside the edge's window; else throws {@linkcode RowValueError}. */
function instant(field: string, ms: number): number {
  if (!isWithinTimeWindow(ms)) throw new RowValueError(field, ms, WINDOW);
  return ms;
}

/** `text` when PostgreSQL can store it; else throws {@linkcode RowValueError}. */
function storable<T extends string | null>(field: string, text: T): T {
  const problem = typeof text === "string" ? unstorableText(text) : null;
  if (problem !== null) throw new RowValueError(field, text, `storable text (it ${problem})`);
  return text;
}

/** JSON text of `value` when PostgreSQL can store it as jsonb; else {@linkcode RowValueError}. */
function jsonText(field: string, value: unknown): string {
  const problem = unstorableJson(value);
  if (problem !== null) throw new RowValueError(field, value, `storable JSON (${problem})`);
  return JSON.stringify(value);
}

/** Exact decimal text of a units field; {@linkcode RowValueError} unless a safe integer. */
function decimal(field: string, units: number, format: (units: number) => string): string {
  if (!Number.isSafeInteger(units)) {
    throw new RowValueError(field, units, "a safe integer number of units");
  }
  return format(units);
}

const price = (field: string, units: number) => decimal(field, units, priceUnitsToDollars);
const count = (field: string, units: number) => decimal(field, units, countUnitsToFixedPoint);

function countOrNull(field: string, units: number | null): string | null {
  return units === null ? null : count(field, units);
}

function wholeOrNull(field: string, value: number | null): string | null {
  if (value === null) return null;
  if (!Number.isSafeInteger(value)) throw new RowValueError(field, value, "a safe integer");
  return String(value);
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
    marketTicker: storable("marketTicker", message.marketTicker),
    tsMs: instant("tsMs", message.tsMs),
    price: price("price", message.price),
    yesBid: price("yesBid", message.yesBid),
    yesAsk: price("yesAsk", message.yesAsk),
    volume: count("volume", message.volume),
    openInterest: count("openInterest", message.openInterest),
    yesBidSize: countOrNull("yesBidSize", message.yesBidSize),
    yesAskSize: countOrNull("yesAskSize", message.yesAskSize),
    lastTradeSize: countOrNull("lastTradeSize", message.lastTradeSize),
    dollarVolume: wholeOrNull("dollarVolume", message.dollarVolume),
    dollarOpenInterest: wholeOrNull("dollarOpenInterest", message.dollarOpenInterest),
    receivedAtMs: instant("receivedAtMs", receivedAtMs),
    extra: extra === null ? null : jsonText("extra", extra),
  };
}

/** Maps a trade message to its `trades` row. */
export function tradeRow(message: TradeMessage, receivedAtMs: number): TradeRow {
  const msg = body(message.raw);
  return {
    tradeId: storable("tradeId", message.tradeId),
    marketTicker: storable("marketTicker", message.marketTicker),
    tsMs: instant("tsMs", message.tsMs),
    yesPrice: price("yesPrice", message.yesPrice),
    noPrice: price("noPrice", message.noPrice),
    count: count("count", message.count),
    takerSide: storable("takerSide", typeof msg.taker_side === "string" ? msg.taker_side : null),
    takerOutcomeSide: storable("takerOutcomeSide", message.takerOutcomeSide),
    takerBookSide: storable("takerBookSide", message.takerBookSide),
    isBlockTrade: message.isBlockTrade,
    receivedAtMs: instant("receivedAtMs", receivedAtMs),
    raw: jsonText("raw", msg),
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
    receivedAtMs: instant("receivedAtMs", receivedAtMs),
    raw: jsonText("raw", message.raw),
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
    eventTsMs: eventTs === null ? null : instant("eventTsMs", eventTs * 1000),
  };
}
