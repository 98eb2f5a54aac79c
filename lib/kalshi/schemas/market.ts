/** Kalshi Market object (REST `/markets`, `/events?with_nested_markets`, historical) and responses. */
import { z } from "zod";
import type { CountUnits, PriceUnits } from "../units.ts";
import {
  countShape,
  FiniteNumber,
  JsonObject,
  Label,
  NonNegativeInt32,
  OptionalTime,
  PriceRange,
  type PriceRangeUnits,
  priceShape,
  readBoolean,
  readCount,
  readNumber,
  readPrice,
  readPriceRanges,
  readString,
  readTime,
  requireCounts,
  requirePrices,
  requireStorableJson,
  Rfc3339,
  Text,
  Ticker,
  type Wire,
} from "./primitives.ts";

/** Market as the rest of the platform sees it: exact units, camelCase, raw payload kept. */
export interface Market {
  /** The market ticker. */
  ticker: string;
  /** Its event's ticker. */
  eventTicker: string;
  /** `binary` or `scalar` (text). */
  marketType: string | null;
  /** initialized | active | inactive | closed | determined | disputed | amended | finalized (text). */
  status: string;
  /** The market's title. */
  title: string | null;
  /** The market's subtitle. */
  subtitle: string | null;
  /** Subtitle of the YES side. */
  yesSubTitle: string | null;
  /** Subtitle of the NO side. */
  noSubTitle: string | null;
  /** RFC 3339 strings as Kalshi sent them; null when absent or Go zero time. */
  openTime: string;
  /** Close time. */
  closeTime: string;
  /** Creation time. */
  createdTime: string | null;
  /** Last update time. */
  updatedTime: string | null;
  /** Expected expiration time. */
  expectedExpirationTime: string | null;
  /** Latest possible expiration time. */
  latestExpirationTime: string | null;
  /** Expiration time. */
  expirationTime: string | null;
  /** Settlement time. */
  settlementTs: string | null;
  /** When the underlying event occurred. */
  occurrenceDatetime: string | null;
  /** Prices in 1/10000 dollar. */
  yesBid: PriceUnits;
  /** Best YES ask. */
  yesAsk: PriceUnits;
  /** Best NO bid. */
  noBid: PriceUnits | null;
  /** Best NO ask. */
  noAsk: PriceUnits | null;
  /** Last trade price. */
  lastPrice: PriceUnits;
  /** YES bid 24 hours earlier. */
  previousYesBid: PriceUnits | null;
  /** YES ask 24 hours earlier. */
  previousYesAsk: PriceUnits | null;
  /** Last trade price 24 hours earlier. */
  previousPrice: PriceUnits | null;
  /** What one contract pays when it resolves YES. */
  notionalValue: PriceUnits | null;
  /** What one YES contract settled at. */
  settlementValue: PriceUnits | null;
  /** Counts in 1/100 contract. */
  yesBidSize: CountUnits | null;
  /** Size at the best YES ask. */
  yesAskSize: CountUnits | null;
  /** Contracts traded in the market's life. */
  volume: CountUnits;
  /** Contracts traded in the last 24 hours. */
  volume24h: CountUnits | null;
  /** Contracts outstanding. */
  openInterest: CountUnits;
  /** "" | yes | no | scalar (text). */
  result: string | null;
  /** Whether the market may close before its close time. */
  canCloseEarly: boolean | null;
  /** The value the market expired at (text). */
  expirationValue: string | null;
  /** How the strike is defined (`greater`, `between`, `custom`, …). */
  strikeType: string | null;
  /** Lower strike. */
  floorStrike: number | null;
  /** Upper strike. */
  capStrike: number | null;
  /** The functional strike (text). */
  functionalStrike: string | null;
  /** The custom strike object. */
  customStrike: Record<string, unknown> | null;
  /** The primary rules text. */
  rulesPrimary: string | null;
  /** The secondary rules text. */
  rulesSecondary: string | null;
  /** The multivariate collection of a combo market. */
  mveCollectionTicker: string | null;
  /** The legs of a combo market. */
  mveSelectedLegs: Record<string, unknown>[] | null;
  /** Price level structure name. */
  priceLevelStructure: string | null;
  /** The price ranges of the price level structure. */
  priceRanges: PriceRangeUnits[] | null;
  /** Kalshi's exchange index. */
  exchangeIndex: number | null;
  /** Whether Kalshi marks the market provisional. */
  isProvisional: boolean | null;
  /** The payload exactly as received (unknown fields included). */
  raw: Wire;
}

const MARKET_PRICES = ["yes_bid", "yes_ask", "last_price"] as const;
const MARKET_COUNTS = ["volume", "open_interest"] as const;

/** Wire schema of a Kalshi Market (current dollar/fixed-point and legacy cent/integer fields). */
export const MarketWire = z.looseObject({
  ticker: Ticker,
  event_ticker: Ticker,
  market_type: Label.nullish(),
  status: Label.min(1, { error: "expected a non-empty market status" }),
  title: Text.nullish(),
  subtitle: Text.nullish(),
  yes_sub_title: Text.nullish(),
  no_sub_title: Text.nullish(),
  open_time: Rfc3339,
  close_time: Rfc3339,
  created_time: OptionalTime,
  updated_time: OptionalTime,
  expected_expiration_time: OptionalTime,
  latest_expiration_time: OptionalTime,
  expiration_time: OptionalTime,
  settlement_ts: OptionalTime,
  occurrence_datetime: OptionalTime,
  fee_waiver_expiration_time: OptionalTime,
  ...priceShape("yes_bid"),
  ...priceShape("yes_ask"),
  ...priceShape("no_bid"),
  ...priceShape("no_ask"),
  ...priceShape("last_price"),
  ...priceShape("previous_yes_bid"),
  ...priceShape("previous_yes_ask"),
  ...priceShape("previous_price"),
  ...priceShape("notional_value"),
  ...priceShape("settlement_value"),
  ...countShape("yes_bid_size"),
  ...countShape("yes_ask_size"),
  ...countShape("volume"),
  ...countShape("volume_24h"),
  ...countShape("open_interest"),
  result: Label.nullish(),
  can_close_early: z.boolean().nullish(),
  expiration_value: Text.nullish(),
  strike_type: Label.nullish(),
  floor_strike: FiniteNumber.nullish(),
  cap_strike: FiniteNumber.nullish(),
  functional_strike: Text.nullish(),
  custom_strike: JsonObject.nullish(),
  rules_primary: Text.nullish(),
  rules_secondary: Text.nullish(),
  mve_collection_ticker: Label.nullish(),
  mve_selected_legs: z.array(JsonObject).nullish(),
  price_level_structure: Label.nullish(),
  price_ranges: z.array(PriceRange).nullish(),
  exchange_index: NonNegativeInt32.nullish(),
  settlement_timer_seconds: NonNegativeInt32.nullish(),
  is_provisional: z.boolean().nullish(),
}).superRefine((wire, ctx) => {
  requirePrices(wire, ctx, MARKET_PRICES);
  requireCounts(wire, ctx, MARKET_COUNTS);
  requireStorableJson(wire, ctx);
});

/** Converts a validated wire market to the normalised form. */
export function toMarket(wire: Wire): Market {
  return {
    ticker: wire.ticker as string,
    eventTicker: wire.event_ticker as string,
    marketType: readString(wire.market_type),
    status: wire.status as string,
    title: readString(wire.title),
    subtitle: readString(wire.subtitle),
    yesSubTitle: readString(wire.yes_sub_title),
    noSubTitle: readString(wire.no_sub_title),
    openTime: wire.open_time as string,
    closeTime: wire.close_time as string,
    createdTime: readTime(wire.created_time),
    updatedTime: readTime(wire.updated_time),
    expectedExpirationTime: readTime(wire.expected_expiration_time),
    latestExpirationTime: readTime(wire.latest_expiration_time),
    expirationTime: readTime(wire.expiration_time),
    settlementTs: readTime(wire.settlement_ts),
    occurrenceDatetime: readTime(wire.occurrence_datetime),
    yesBid: readPrice(wire, "yes_bid") as PriceUnits,
    yesAsk: readPrice(wire, "yes_ask") as PriceUnits,
    noBid: readPrice(wire, "no_bid"),
    noAsk: readPrice(wire, "no_ask"),
    lastPrice: readPrice(wire, "last_price") as PriceUnits,
    previousYesBid: readPrice(wire, "previous_yes_bid"),
    previousYesAsk: readPrice(wire, "previous_yes_ask"),
    previousPrice: readPrice(wire, "previous_price"),
    notionalValue: readPrice(wire, "notional_value"),
    settlementValue: readPrice(wire, "settlement_value"),
    yesBidSize: readCount(wire, "yes_bid_size"),
    yesAskSize: readCount(wire, "yes_ask_size"),
    volume: readCount(wire, "volume") as CountUnits,
    volume24h: readCount(wire, "volume_24h"),
    openInterest: readCount(wire, "open_interest") as CountUnits,
    result: readString(wire.result),
    canCloseEarly: readBoolean(wire.can_close_early),
    expirationValue: readString(wire.expiration_value),
    strikeType: readString(wire.strike_type),
    floorStrike: readNumber(wire.floor_strike),
    capStrike: readNumber(wire.cap_strike),
    functionalStrike: readString(wire.functional_strike),
    customStrike: (wire.custom_strike as Record<string, unknown> | null | undefined) ?? null,
    rulesPrimary: readString(wire.rules_primary),
    rulesSecondary: readString(wire.rules_secondary),
    mveCollectionTicker: readString(wire.mve_collection_ticker),
    mveSelectedLegs: (wire.mve_selected_legs as Record<string, unknown>[] | null | undefined) ??
      null,
    priceLevelStructure: readString(wire.price_level_structure),
    priceRanges: readPriceRanges(wire.price_ranges),
    exchangeIndex: readNumber(wire.exchange_index),
    isProvisional: readBoolean(wire.is_provisional),
    raw: wire,
  };
}

/** A Kalshi Market, validated and normalised. */
export const MarketSchema = MarketWire.transform((wire) => toMarket(wire));

/** Validates a wire market (REST `Market` object) and normalises it; throws when it is invalid. */
export function parseMarket(input: unknown): Market {
  return MarketSchema.parse(input);
}

/** `GET /markets` and `GET /historical/markets` response. */
export const MarketsResponseSchema = z.looseObject({
  markets: z.array(MarketSchema).nullish().transform((m) => m ?? []),
  cursor: z.string().nullish(),
});

/** `GET /markets/{ticker}` and `GET /historical/markets/{ticker}` response. */
export const MarketResponseSchema = z.looseObject({ market: MarketSchema });
