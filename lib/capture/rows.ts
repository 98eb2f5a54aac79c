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

/** An `orderbook_snapshots` row as captured: with the receive time of its message. */
export type CapturedSnapshotRow = OrderbookSnapshotRow & { receivedAtMs: number };

/** An `orderbook_deltas` row as captured: with the receive time of its message. */
export type CapturedDeltaRow = OrderbookDeltaRow & { receivedAtMs: number };

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
