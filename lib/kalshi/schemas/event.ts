/** Kalshi Event object (REST `/events`, `/events/{ticker}`, with or without nested markets). */
import { z } from "zod";
import { type Market, MarketSchema, MarketWire, toMarket } from "./market.ts";
import {
  FiniteNumber,
  JsonObject,
  Label,
  NonNegativeInt32,
  OptionalTime,
  readBoolean,
  readNumber,
  readString,
  readTime,
  requireStorableJson,
  SettlementSource,
  Text,
  Ticker,
  type Wire,
} from "./primitives.ts";

/** Normalised event. */
export interface KalshiEvent {
  /** The event ticker. */
  eventTicker: string;
  /** Its series' ticker. */
  seriesTicker: string;
  /** The event's title. */
  title: string | null;
  /** The event's subtitle. */
  subTitle: string | null;
  /** "MECNET" | "DIRECNET" | "" (text). */
  collateralReturnType: string | null;
  /** Whether at most one of its markets can resolve YES. */
  mutuallyExclusive: boolean | null;
  /** Category. */
  category: string | null;
  /** Strike date, RFC 3339. */
  strikeDate: string | null;
  /** The span its markets cover (`day`, `week`, …). */
  strikePeriod: string | null;
  /** When Kalshi last updated it, RFC 3339. */
  lastUpdatedTs: string | null;
  /** Kalshi's exchange index. */
  exchangeIndex: number | null;
  /** Kalshi's product metadata object. */
  productMetadata: Record<string, unknown> | null;
  /** Nested markets when requested (with_nested_markets); [] when absent or null. */
  markets: Market[];
  /** The payload as received, unknown fields kept. */
  raw: Wire;
}

/** Wire schema of a Kalshi Event (EventData). */
export const EventWire = z.looseObject({
  event_ticker: Ticker,
  series_ticker: Ticker,
  title: Text.nullish(),
  sub_title: Text.nullish(),
  collateral_return_type: Label.nullish(),
  mutually_exclusive: z.boolean().nullish(),
  category: Label.nullish(),
  strike_date: OptionalTime,
  strike_period: Label.nullish(),
  markets: z.array(MarketWire).nullish(),
  available_on_brokers: z.boolean().nullish(),
  product_metadata: JsonObject.nullish(),
  settlement_sources: z.array(SettlementSource).nullish(),
  last_updated_ts: OptionalTime,
  fee_type_override: Label.nullish(),
  fee_multiplier_override: FiniteNumber.nullish(),
  exchange_index: NonNegativeInt32.nullish(),
}).superRefine(requireStorableJson);

/** Converts a validated wire event (and its nested markets) to the normalised form. */
export function toEvent(wire: Wire): KalshiEvent {
  const markets = (wire.markets as Wire[] | null | undefined) ?? [];
  return {
    eventTicker: wire.event_ticker as string,
    seriesTicker: wire.series_ticker as string,
    title: readString(wire.title),
    subTitle: readString(wire.sub_title),
    collateralReturnType: readString(wire.collateral_return_type),
    mutuallyExclusive: readBoolean(wire.mutually_exclusive),
    category: readString(wire.category),
    strikeDate: readTime(wire.strike_date),
    strikePeriod: readString(wire.strike_period),
    lastUpdatedTs: readTime(wire.last_updated_ts),
    exchangeIndex: readNumber(wire.exchange_index),
    productMetadata: (wire.product_metadata as Record<string, unknown> | null | undefined) ?? null,
    markets: markets.map(toMarket),
    raw: wire,
  };
}

/** A Kalshi Event, validated and normalised. */
export const EventSchema = EventWire.transform((wire) => toEvent(wire));

/** Validates a wire event (nested markets included) and normalises it; throws when it is invalid. */
export function parseEvent(input: unknown): KalshiEvent {
  return EventSchema.parse(input);
}

/** `GET /events` and `GET /events/multivariate` response. */
export const EventsResponseSchema = z.looseObject({
  events: z.array(EventSchema).nullish().transform((e) => e ?? []),
  cursor: z.string().nullish(),
  milestones: z.array(JsonObject).nullish(),
});

/**
 * `GET /events/{ticker}` response. With nesting the markets are inside `event.markets` and the
 * deprecated top-level `markets` is `[]`; without nesting they are top-level. `allMarkets`
 * merges both so callers need not care.
 */
export const EventResponseSchema = z.looseObject({
  event: EventSchema,
  markets: z.array(MarketSchema).nullish(),
}).transform((response) => {
  const seen = new Set(response.event.markets.map((m) => m.ticker));
  const extra = (response.markets ?? []).filter((m) => !seen.has(m.ticker));
  return { ...response, allMarkets: [...response.event.markets, ...extra] };
});
