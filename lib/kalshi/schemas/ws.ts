/**
 * Kalshi WebSocket v2 messages of the channels we consume (ticker, trade, market_lifecycle_v2 with
 * event_lifecycle / event_fee_update, multivariate_market_lifecycle, orderbook_delta with
 * orderbook_snapshot) and the control replies
 * (subscribed, unsubscribed, ok, error). Legacy (≤ Mar 2026) cent/integer fields are accepted;
 * every message is normalised and keeps its raw payload.
 */
import { z } from "zod";
import type { OrderbookLevels } from "../orderbook.ts";
import type { ValidationError } from "../validator.ts";
import {
  centsToPriceUnits,
  type CountUnits,
  dollarsToPriceUnits,
  type PriceUnits,
} from "../units.ts";
import {
  Cents,
  countShape,
  DollarString,
  FiniteNumber,
  JsonObject,
  Label,
  NonNegativeInt32,
  NonNegativeInteger,
  OptionalUnixSeconds,
  PriceRange,
  type PriceRangeUnits,
  priceShape,
  readBoolean,
  readCount,
  readNumber,
  readPrice,
  readPriceRanges,
  readString,
  readUnixSeconds,
  requireCounts,
  requirePrices,
  requireStorableJson,
  Rfc3339,
  SafeInteger,
  Text,
  Ticker,
  TickerOrEmpty,
  UnixMillis,
  UnixSeconds,
  type Wire,
} from "./primitives.ts";
import {
  OrderbookDeltaBodyWire,
  OrderbookSnapshotBodyWire,
  readDeltaBody,
  readSnapshotLevels,
} from "./orderbook.ts";
import {
  readTradeFill,
  requireTradeFill,
  TRADE_FILL_SHAPE,
  type TradeFill,
  TradeId,
} from "./trade.ts";

/** Channels this client subscribes to. */
export const CONSUMED_CHANNELS = [
  "ticker",
  "trade",
  "market_lifecycle_v2",
  "multivariate_market_lifecycle",
  "orderbook_delta",
] as const;
/** A channel this client subscribes to. */
export type ConsumedChannel = typeof CONSUMED_CHANNELS[number];

/** Fields common to every normalised WebSocket message. */
export interface WsEnvelope {
  /** Kalshi's message `type`. */
  type: string;
  /** Command id echoed by the server (control replies), or null. */
  id: number | null;
  /** Subscription id, or null. */
  sid: number | null;
  /** Per-subscription sequence number, or null (ticker has none). */
  seq: number | null;
  /** The message exactly as received. */
  raw: Wire;
}

/** `ticker` message (no seq). Prices in 1/10000 dollar, counts in 1/100 contract. */
export interface TickerMessage extends WsEnvelope {
  /** Message type. */
  type: "ticker";
  /** The market ticker. */
  marketTicker: string;
  /** Kalshi's market id. */
  marketId: string | null;
  /** Last trade price (0 if never traded). */
  price: PriceUnits;
  /** Best YES bid. */
  yesBid: PriceUnits;
  /** Best YES ask. */
  yesAsk: PriceUnits;
  /** Contracts traded in the market's life. */
  volume: CountUnits;
  /** Contracts outstanding. */
  openInterest: CountUnits;
  /** Size at the best YES bid. */
  yesBidSize: CountUnits | null;
  /** Size at the best YES ask. */
  yesAskSize: CountUnits | null;
  /** Size of the last trade. */
  lastTradeSize: CountUnits | null;
  /** Whole dollars, as Kalshi sends them. */
  dollarVolume: number | null;
  /** Open interest in dollars (not money we compute with). */
  dollarOpenInterest: number | null;
  /** Exchange time in Unix ms (ts_ms, or ts × 1000 on older payloads). */
  tsMs: number;
}

/** `trade` message. */
export interface TradeMessage extends WsEnvelope, TradeFill {
  /** Message type. */
  type: "trade";
  /** Kalshi's trade id (unique). */
  tradeId: string;
  /** The market ticker. */
  marketTicker: string;
  /** Exchange time, Unix ms. */
  tsMs: number;
}

/** `market_lifecycle_v2` / `multivariate_market_lifecycle` message. All `*Ts` in Unix seconds. */
export interface MarketLifecycleMessage extends WsEnvelope {
  /** Message type. */
  type: "market_lifecycle_v2" | "multivariate_market_lifecycle";
  /** The market ticker. */
  marketTicker: string;
  /** created | activated | deactivated | close_date_updated | determined | settled | … (text). */
  eventType: string;
  /** Open time. */
  openTs: number | null;
  /** Close time. */
  closeTs: number | null;
  /** Determination time. */
  determinationTs: number | null;
  /** Settlement time. */
  settledTs: number | null;
  /** The result once determined (`yes`, `no`, …). */
  result: string | null;
  /** Settlement value in 1/10000 dollar (string dollars, or legacy integer cents). */
  settlementValue: PriceUnits | null;
  /** Whether the market was deactivated (paused) or reactivated. */
  isDeactivated: boolean | null;
  /** Kalshi's exchange index. */
  exchangeIndex: number | null;
  /** Price level structure name. */
  priceLevelStructure: string | null;
  /** The price ranges of the price level structure. */
  priceRanges: PriceRangeUnits[] | null;
  /** Extra fields Kalshi sends with `created` (title, rules, …). */
  additionalMetadata: Record<string, unknown> | null;
  /** metadata_updated: the new strike and subtitle fields, null when absent. */
  strikeType: string | null;
  /** Lower strike. */
  floorStrike: number | null;
  /** Upper strike. */
  capStrike: number | null;
  /** The custom strike object. */
  customStrike: Record<string, unknown> | null;
  /** Subtitle of the YES side. */
  yesSubTitle: string | null;
}

/** `event_lifecycle` message (new event created). */
export interface EventLifecycleMessage extends WsEnvelope {
  /** Message type. */
  type: "event_lifecycle";
  /** The event ticker. */
  eventTicker: string;
  /** Its series' ticker. */
  seriesTicker: string | null;
  /** The event's title. */
  title: string | null;
  /** The event's subtitle. */
  subtitle: string | null;
  /** Kalshi's `collateral_return_type`. */
  collateralReturnType: string | null;
  /** Strike date, Unix seconds. */
  strikeDate: number | null;
  /** The span its markets cover (`day`, `week`, …). */
  strikePeriod: string | null;
  /** Kalshi's exchange index. */
  exchangeIndex: number | null;
}

/** `event_fee_update` message. */
export interface EventFeeUpdateMessage extends WsEnvelope {
  /** Message type. */
  type: "event_fee_update";
  /** The event ticker. */
  eventTicker: string;
  /** The fee type that overrides the series' (null: none). */
  feeTypeOverride: string | null;
  /** The fee multiplier that overrides the series' (null: none). */
  feeMultiplierOverride: number | null;
}

/** `orderbook_snapshot` message: the whole book of one market, levels in exact units. */
export interface OrderbookSnapshotMsg extends WsEnvelope {
  /** Message type. */
  type: "orderbook_snapshot";
  /** The market ticker. */
  marketTicker: string;
  /** Kalshi's market id. */
  marketId: string | null;
  /** YES bids and NO bids, each ascending by price (best last). */
  levels: OrderbookLevels;
}

/** `orderbook_delta` message: a signed size change at one level of one side. */
export interface OrderbookDeltaMsg extends WsEnvelope {
  /** Message type. */
  type: "orderbook_delta";
  /** The market ticker. */
  marketTicker: string;
  /** Kalshi's market id. */
  marketId: string | null;
  /** The side that changed. */
  side: "yes" | "no";
  /** Level price, 1/10000 dollar. */
  price: PriceUnits;
  /** Signed size change, 1/100 contract. */
  delta: CountUnits;
  /** Exchange time in Unix ms (ts_ms, else the RFC 3339 ts), null when neither is sent. */
  tsMs: number | null;
  /** Present only when our own order caused the change. */
  clientOrderId: string | null;
}

/** `subscribed` reply: one per channel of a subscribe command. */
export interface SubscribedMessage extends WsEnvelope {
  /** Message type. */
  type: "subscribed";
  /** The channel subscribed. */
  channel: string;
  /** The subscription id its data frames carry. */
  sid: number;
}

/** `unsubscribed` reply. */
export interface UnsubscribedMessage extends WsEnvelope {
  /** Message type. */
  type: "unsubscribed";
}

/** `ok` reply (update_subscription, list_subscriptions). */
export interface OkMessage extends WsEnvelope {
  /** Message type. */
  type: "ok";
  /** Market tickers now on the subscription, when the reply lists them. */
  marketTickers: string[] | null;
  /** The reply's body. */
  msg: unknown;
}

/** `error` reply. */
export interface ErrorMessage extends WsEnvelope {
  /** Message type. */
  type: "error";
  /** Kalshi's error code. */
  code: number;
  /** Kalshi's error message. */
  message: string;
  /** The market the error concerns, if one. */
  marketTicker: string | null;
  /** The markets the error concerns, if several. */
  marketTickers: string[] | null;
}

/** Every normalised WebSocket message we consume. */
export type WsMessage =
  | TickerMessage
  | TradeMessage
  | MarketLifecycleMessage
  | EventLifecycleMessage
  | EventFeeUpdateMessage
  | OrderbookSnapshotMsg
  | OrderbookDeltaMsg
  | SubscribedMessage
  | UnsubscribedMessage
  | OkMessage
  | ErrorMessage;

const envelope = {
  id: SafeInteger.nullish(),
  sid: NonNegativeInt32.nullish(),
  seq: NonNegativeInteger.nullish(),
};

function base(wire: Wire): Omit<WsEnvelope, "type"> {
  return {
    id: readNumber(wire.id),
    sid: readNumber(wire.sid),
    seq: readNumber(wire.seq),
    raw: wire,
  };
}

function requireTime(msg: Wire, ctx: z.RefinementCtx): void {
  if (msg.ts_ms == null && msg.ts == null) {
    ctx.addIssue({
      code: "custom",
      path: ["ts_ms"],
      input: msg.ts_ms,
      message: "required: expected ts_ms (Unix ms) or legacy ts (Unix seconds)",
    });
  }
}

function readTsMs(msg: Wire): number {
  return typeof msg.ts_ms === "number" ? msg.ts_ms : (msg.ts as number) * 1000;
}

/** Wire `ticker` message body. */
export const TickerBodyWire = z.looseObject({
  market_ticker: Ticker,
  market_id: Label.nullish(),
  ...priceShape("price"),
  ...priceShape("yes_bid"),
  ...priceShape("yes_ask"),
  ...countShape("volume"),
  ...countShape("open_interest"),
  ...countShape("yes_bid_size"),
  ...countShape("yes_ask_size"),
  ...countShape("last_trade_size"),
  dollar_volume: NonNegativeInteger.nullish(),
  dollar_open_interest: NonNegativeInteger.nullish(),
  ts: UnixSeconds.nullish(),
  ts_ms: UnixMillis.nullish(),
  time: Rfc3339.nullish(),
}).superRefine((msg, ctx) => {
  requirePrices(msg, ctx, ["price", "yes_bid", "yes_ask"]);
  requireCounts(msg, ctx, ["volume", "open_interest"]);
  requireTime(msg, ctx);
});

/** `ticker` message, validated and normalised. */
export const TickerMessageSchema = z.looseObject({
  type: z.literal("ticker"),
  ...envelope,
  msg: TickerBodyWire,
}).superRefine(requireStorableJson).transform((wire): TickerMessage => {
  const m = wire.msg as Wire;
  return {
    type: "ticker",
    ...base(wire),
    marketTicker: m.market_ticker as string,
    marketId: readString(m.market_id),
    price: readPrice(m, "price") as PriceUnits,
    yesBid: readPrice(m, "yes_bid") as PriceUnits,
    yesAsk: readPrice(m, "yes_ask") as PriceUnits,
    volume: readCount(m, "volume") as CountUnits,
    openInterest: readCount(m, "open_interest") as CountUnits,
    yesBidSize: readCount(m, "yes_bid_size"),
    yesAskSize: readCount(m, "yes_ask_size"),
    lastTradeSize: readCount(m, "last_trade_size"),
    dollarVolume: readNumber(m.dollar_volume),
    dollarOpenInterest: readNumber(m.dollar_open_interest),
    tsMs: readTsMs(m),
  };
});

/** Wire `trade` message body. */
export const TradeBodyWire = z.looseObject({
  trade_id: TradeId,
  market_ticker: Ticker,
  ...TRADE_FILL_SHAPE,
  ts: UnixSeconds.nullish(),
  ts_ms: UnixMillis.nullish(),
}).superRefine((msg, ctx) => {
  requireTradeFill(msg, ctx);
  requireTime(msg, ctx);
});

/** `trade` message, validated and normalised. */
export const TradeMessageSchema = z.looseObject({
  type: z.literal("trade"),
  ...envelope,
  msg: TradeBodyWire,
}).superRefine(requireStorableJson).transform((wire): TradeMessage => {
  const m = wire.msg as Wire;
  return {
    type: "trade",
    ...base(wire),
    tradeId: m.trade_id as string,
    marketTicker: m.market_ticker as string,
    ...readTradeFill(m),
    tsMs: readTsMs(m),
  };
});

/**
 * `additional_metadata` of a lifecycle `created` message: the fields the catalog reads into the
 * new market's columns, bounded like the market's own; others are kept as sent.
 */
export const LifecycleMetadataWire = z.looseObject({
  name: Text.nullish(),
  title: Text.nullish(),
  yes_sub_title: Text.nullish(),
  no_sub_title: Text.nullish(),
  rules_primary: Text.nullish(),
  rules_secondary: Text.nullish(),
  can_close_early: z.boolean().nullish(),
  event_ticker: TickerOrEmpty.nullish(),
  expected_expiration_ts: OptionalUnixSeconds,
  strike_type: Label.nullish(),
  floor_strike: FiniteNumber.nullish(),
  cap_strike: FiniteNumber.nullish(),
  custom_strike: JsonObject.nullish(),
});

/** Wire lifecycle body (`market_lifecycle_v2` and `multivariate_market_lifecycle`). */
export const MarketLifecycleBodyWire = z.looseObject({
  market_ticker: Ticker,
  event_type: Label.min(1, { error: "expected a lifecycle event_type" }),
  exchange_index: NonNegativeInt32.nullish(),
  open_ts: OptionalUnixSeconds,
  close_ts: OptionalUnixSeconds,
  determination_ts: OptionalUnixSeconds,
  settled_ts: OptionalUnixSeconds,
  result: Label.nullish(),
  settlement_value: z.union([DollarString, Cents]).nullish(),
  is_deactivated: z.boolean().nullish(),
  price_level_structure: Label.nullish(),
  price_ranges: z.array(PriceRange).nullish(),
  additional_metadata: LifecycleMetadataWire.nullish(),
  strike_type: Label.nullish(),
  floor_strike: FiniteNumber.nullish(),
  cap_strike: FiniteNumber.nullish(),
  custom_strike: JsonObject.nullish(),
  yes_sub_title: Text.nullish(),
});

function readSettlementValue(value: unknown): PriceUnits | null {
  if (typeof value === "string") return dollarsToPriceUnits(value);
  if (typeof value === "number") return centsToPriceUnits(value);
  return null;
}

function toLifecycle(
  type: MarketLifecycleMessage["type"],
  wire: Wire,
): MarketLifecycleMessage {
  const m = wire.msg as Wire;
  return {
    type,
    ...base(wire),
    marketTicker: m.market_ticker as string,
    eventType: m.event_type as string,
    openTs: readUnixSeconds(m.open_ts),
    closeTs: readUnixSeconds(m.close_ts),
    determinationTs: readUnixSeconds(m.determination_ts),
    settledTs: readUnixSeconds(m.settled_ts),
    result: readString(m.result),
    settlementValue: readSettlementValue(m.settlement_value),
    isDeactivated: readBoolean(m.is_deactivated),
    exchangeIndex: readNumber(m.exchange_index),
    priceLevelStructure: readString(m.price_level_structure),
    priceRanges: readPriceRanges(m.price_ranges),
    additionalMetadata: (m.additional_metadata as Record<string, unknown> | null | undefined) ??
      null,
    strikeType: readString(m.strike_type),
    floorStrike: readNumber(m.floor_strike),
    capStrike: readNumber(m.cap_strike),
    customStrike: (m.custom_strike as Record<string, unknown> | null | undefined) ?? null,
    yesSubTitle: readString(m.yes_sub_title),
  };
}

/** `market_lifecycle_v2` message, validated and normalised. */
export const MarketLifecycleMessageSchema = z.looseObject({
  type: z.literal("market_lifecycle_v2"),
  ...envelope,
  msg: MarketLifecycleBodyWire,
}).superRefine(requireStorableJson).transform((wire) => toLifecycle("market_lifecycle_v2", wire));

/** `multivariate_market_lifecycle` message, validated and normalised. */
export const MultivariateLifecycleMessageSchema = z.looseObject({
  type: z.literal("multivariate_market_lifecycle"),
  ...envelope,
  msg: MarketLifecycleBodyWire,
}).superRefine(requireStorableJson).transform((wire) =>
  toLifecycle("multivariate_market_lifecycle", wire)
);

/** `event_lifecycle` message, validated and normalised. */
export const EventLifecycleMessageSchema = z.looseObject({
  type: z.literal("event_lifecycle"),
  ...envelope,
  msg: z.looseObject({
    event_ticker: Ticker,
    series_ticker: TickerOrEmpty.nullish(),
    title: Text.nullish(),
    subtitle: Text.nullish(),
    collateral_return_type: Label.nullish(),
    strike_date: OptionalUnixSeconds,
    strike_period: Label.nullish(),
    exchange_index: NonNegativeInt32.nullish(),
  }),
}).superRefine(requireStorableJson).transform((wire): EventLifecycleMessage => {
  const m = wire.msg as Wire;
  return {
    type: "event_lifecycle",
    ...base(wire),
    eventTicker: m.event_ticker as string,
    seriesTicker: readString(m.series_ticker) || null,
    title: readString(m.title),
    subtitle: readString(m.subtitle),
    collateralReturnType: readString(m.collateral_return_type),
    strikeDate: readUnixSeconds(m.strike_date),
    strikePeriod: readString(m.strike_period),
    exchangeIndex: readNumber(m.exchange_index),
  };
});

/** `event_fee_update` message, validated and normalised. */
export const EventFeeUpdateMessageSchema = z.looseObject({
  type: z.literal("event_fee_update"),
  ...envelope,
  msg: z.looseObject({
    event_ticker: Ticker,
    fee_type_override: Label.nullish(),
    fee_multiplier_override: FiniteNumber.nullish(),
  }),
}).superRefine(requireStorableJson).transform((wire): EventFeeUpdateMessage => {
  const m = wire.msg as Wire;
  return {
    type: "event_fee_update",
    ...base(wire),
    eventTicker: m.event_ticker as string,
    feeTypeOverride: readString(m.fee_type_override),
    feeMultiplierOverride: readNumber(m.fee_multiplier_override),
  };
});

/** `orderbook_snapshot` message, validated and normalised. */
export const OrderbookSnapshotMessageSchema = z.looseObject({
  type: z.literal("orderbook_snapshot"),
  ...envelope,
  msg: OrderbookSnapshotBodyWire,
}).superRefine(requireStorableJson).transform((wire): OrderbookSnapshotMsg => {
  const m = wire.msg as Wire;
  return {
    type: "orderbook_snapshot",
    ...base(wire),
    marketTicker: m.market_ticker as string,
    marketId: readString(m.market_id),
    levels: readSnapshotLevels(m),
  };
});

/** `orderbook_delta` message, validated and normalised. */
export const OrderbookDeltaMessageSchema = z.looseObject({
  type: z.literal("orderbook_delta"),
  ...envelope,
  msg: OrderbookDeltaBodyWire,
}).superRefine(requireStorableJson).transform((wire): OrderbookDeltaMsg => {
  const m = wire.msg as Wire;
  return {
    type: "orderbook_delta",
    ...base(wire),
    marketTicker: m.market_ticker as string,
    marketId: readString(m.market_id),
    ...readDeltaBody(m),
  };
});

/** `subscribed` reply, validated and normalised. */
export const SubscribedMessageSchema = z.looseObject({
  type: z.literal("subscribed"),
  ...envelope,
  msg: z.looseObject({ channel: Label, sid: NonNegativeInt32 }),
}).transform((wire): SubscribedMessage => ({
  type: "subscribed",
  ...base(wire),
  channel: wire.msg.channel,
  sid: wire.msg.sid,
}));

/** `unsubscribed` reply, validated and normalised. */
export const UnsubscribedMessageSchema = z.looseObject({
  type: z.literal("unsubscribed"),
  ...envelope,
}).transform((wire): UnsubscribedMessage => ({ type: "unsubscribed", ...base(wire) }));

/** `ok` reply, validated and normalised. */
export const OkMessageSchema = z.looseObject({
  type: z.literal("ok"),
  ...envelope,
  msg: z.unknown().optional(),
}).transform((wire): OkMessage => {
  const msg = wire.msg as { market_tickers?: unknown } | undefined;
  const tickers = msg !== null && typeof msg === "object" && !Array.isArray(msg) &&
      Array.isArray(msg.market_tickers)
    ? msg.market_tickers.filter((t): t is string => typeof t === "string")
    : null;
  return { type: "ok", ...base(wire), marketTickers: tickers, msg: wire.msg };
});

/** `error` reply, validated and normalised. */
export const ErrorMessageSchema = z.looseObject({
  type: z.literal("error"),
  ...envelope,
  msg: z.looseObject({
    code: SafeInteger,
    msg: z.string().nullish(),
    market_ticker: z.string().nullish(),
    market_tickers: z.array(z.string()).nullish(),
  }),
}).transform((wire): ErrorMessage => ({
  type: "error",
  ...base(wire),
  code: wire.msg.code,
  message: wire.msg.msg ?? "",
  marketTicker: wire.msg.market_ticker ?? null,
  marketTickers: wire.msg.market_tickers ?? null,
}));

/** Schema per consumed message `type`. */
export const WS_MESSAGE_SCHEMAS: Readonly<Record<string, z.ZodType<WsMessage>>> = {
  ticker: TickerMessageSchema,
  trade: TradeMessageSchema,
  market_lifecycle_v2: MarketLifecycleMessageSchema,
  multivariate_market_lifecycle: MultivariateLifecycleMessageSchema,
  event_lifecycle: EventLifecycleMessageSchema,
  event_fee_update: EventFeeUpdateMessageSchema,
  orderbook_snapshot: OrderbookSnapshotMessageSchema,
  orderbook_delta: OrderbookDeltaMessageSchema,
  subscribed: SubscribedMessageSchema,
  unsubscribed: UnsubscribedMessageSchema,
  ok: OkMessageSchema,
  error: ErrorMessageSchema,
};

/** Any consumed WebSocket message (unknown `type`s fail; use `parseWsMessage` to skip them). */
export const WsMessageSchema: z.ZodType<WsMessage> = z.unknown().transform((value, ctx) => {
  const type = messageType(value);
  const schema = type === null ? undefined : WS_MESSAGE_SCHEMAS[type];
  if (schema === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["type"],
      input: type,
      message: `expected a consumed message type (${Object.keys(WS_MESSAGE_SCHEMAS).join(", ")})`,
    });
    return z.NEVER;
  }
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom" });
    return z.NEVER;
  }
  return parsed.data;
});

/**
 * Outcome of parsing one WebSocket payload: a consumed message, a well-formed message of a type
 * not consumed, or the problems that make it invalid.
 */
export type WsParseResult =
  | { status: "valid"; message: WsMessage }
  | { status: "unsupported"; type: string; raw: Wire }
  | { status: "invalid"; error: ValidationError };

function messageType(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const type = (value as Wire).type;
  return typeof type === "string" && type !== "" ? type : null;
}

/**
 * Parses one decoded WebSocket payload: consumed types are validated and normalised, other
 * well-formed messages (an object with a string `type`) are reported `unsupported`.
 */
export function parseWsMessage(value: unknown): WsParseResult {
  const type = messageType(value);
  if (type === null) {
    const result = z.looseObject({ type: z.string().min(1) }).safeParse(value, {
      reportInput: true,
    });
    return {
      status: "invalid",
      error: result.success ? { issues: [] } : result.error,
    };
  }
  const schema = WS_MESSAGE_SCHEMAS[type];
  if (schema === undefined) return { status: "unsupported", type, raw: value as Wire };
  const parsed = schema.safeParse(value, { reportInput: true });
  return parsed.success
    ? { status: "valid", message: parsed.data }
    : { status: "invalid", error: parsed.error };
}
