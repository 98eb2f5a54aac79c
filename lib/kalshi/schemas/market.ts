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
  ticker: string;
  eventTicker: string;
  marketType: string | null;
  /** initialized | active | inactive | closed | determined | disputed | amended | finalized (text). */
  status: string;
  title: string | null;
  subtitle: string | null;
  yesSubTitle: string | null;
  noSubTitle: string | null;
  /** RFC 3339 strings as Kalshi sent them; null when absent or Go zero time. */
  openTime: string;
  closeTime: string;
  createdTime: string | null;
  updatedTime: string | null;
  expectedExpirationTime: string | null;
  latestExpirationTime: string | null;
  expirationTime: string | null;
  settlementTs: string | null;
  occurrenceDatetime: string | null;
  /** Prices in 1/10000 dollar. */
  yesBid: PriceUnits;
  yesAsk: PriceUnits;
  noBid: PriceUnits | null;
  noAsk: PriceUnits | null;
  lastPrice: PriceUnits;
  previousYesBid: PriceUnits | null;
  previousYesAsk: PriceUnits | null;
  previousPrice: PriceUnits | null;
  notionalValue: PriceUnits | null;
  settlementValue: PriceUnits | null;
  /** Counts in 1/100 contract. */
  yesBidSize: CountUnits | null;
  yesAskSize: CountUnits | null;
  volume: CountUnits;
  volume24h: CountUnits | null;
  openInterest: CountUnits;
  /** "" | yes | no | scalar (text). */
  result: string | null;
  canCloseEarly: boolean | null;
  expirationValue: string | null;
  strikeType: string | null;
  floorStrike: number | null;
  capStrike: number | null;
  functionalStrike: string | null;
  customStrike: Record<string, unknown> | null;
  rulesPrimary: string | null;
  rulesSecondary: string | null;
  mveCollectionTicker: string | null;
  mveSelectedLegs: Record<string, unknown>[] | null;
  priceLevelStructure: string | null;
  priceRanges: PriceRangeUnits[] | null;
  exchangeIndex: number | null;
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

/** `GET /markets` and `GET /historical/markets` response. */
export const MarketsResponseSchema = z.looseObject({
  markets: z.array(MarketSchema).nullish().transform((m) => m ?? []),
  cursor: z.string().nullish(),
});

/** `GET /markets/{ticker}` and `GET /historical/markets/{ticker}` response. */
export const MarketResponseSchema = z.looseObject({ market: MarketSchema });
