/**
 * Kalshi market candlesticks: live (`*_dollars`, `*_fp`), historical (`open`, `volume` … as
 * dollar / fixed-point strings, explicit nulls) and legacy (integer cents / contracts) shapes,
 * all normalised to one `Candlestick`. Single, batch and historical responses.
 */
import { z } from "zod";
import type { CountUnits, PriceUnits } from "../units.ts";
import {
  countShape,
  priceShape,
  readCount,
  readPrice,
  requireCounts,
  requireStorableJson,
  Ticker,
  UnixSeconds,
  type Wire,
} from "./primitives.ts";

/** Bid or ask OHLC in 1/10000 dollar (null only if Kalshi omitted the value). */
export interface QuoteOhlc {
  /** First value of the period. */
  open: PriceUnits | null;
  /** Lowest value of the period. */
  low: PriceUnits | null;
  /** Highest value of the period. */
  high: PriceUnits | null;
  /** Last value of the period. */
  close: PriceUnits | null;
}

/** Trade-price distribution in 1/10000 dollar; null when no trade happened in the period. */
export interface TradeOhlc extends QuoteOhlc {
  /** Mean trade price of the period. */
  mean: PriceUnits | null;
  /** Last trade price before the period. */
  previous: PriceUnits | null;
  /** Lowest trade price (Kalshi's `min`). */
  min: PriceUnits | null;
  /** Highest trade price (Kalshi's `max`). */
  max: PriceUnits | null;
}

/** Normalised candlestick (one period of one market). */
export interface Candlestick {
  /** Inclusive end of the period, Unix seconds. */
  endPeriodTs: number;
  /** YES bid over the period. */
  yesBid: QuoteOhlc;
  /** YES ask over the period. */
  yesAsk: QuoteOhlc;
  /** Trade prices over the period. */
  price: TradeOhlc;
  /** Contracts traded in the period, 1/100 contract. */
  volume: CountUnits;
  /** Open interest at period end, 1/100 contract. */
  openInterest: CountUnits;
  /** The payload as received, unknown fields kept. */
  raw: Wire;
}

const QUOTE_KEYS = ["open", "low", "high", "close"] as const;
const TRADE_KEYS = [...QUOTE_KEYS, "mean", "previous", "min", "max"] as const;

/** Wire bid/ask distribution (`open_dollars` … or historical `open` …). */
export const QuoteWire = z.looseObject(
  Object.assign({}, ...QUOTE_KEYS.map((k) => priceShape(k))) as Record<string, z.ZodType>,
);

/** Wire trade-price distribution; every key optional and nullable. */
export const TradePriceWire = z.looseObject(
  Object.assign({}, ...TRADE_KEYS.map((k) => priceShape(k))) as Record<string, z.ZodType>,
);

/** Wire schema of one candlestick (live, historical or legacy). */
export const CandlestickWire = z.looseObject({
  end_period_ts: UnixSeconds,
  yes_bid: QuoteWire,
  yes_ask: QuoteWire,
  price: TradePriceWire.nullish(),
  ...countShape("volume"),
  ...countShape("open_interest"),
}).superRefine((wire, ctx) => {
  requireCounts(wire, ctx, ["volume", "open_interest"]);
  requireStorableJson(wire, ctx);
});

function readOhlc<K extends string>(
  wire: unknown,
  keys: readonly K[],
): Record<K, PriceUnits | null> {
  const source = (wire ?? {}) as Wire;
  return Object.fromEntries(keys.map((k) => [k, readPrice(source, k)])) as Record<
    K,
    PriceUnits | null
  >;
}

/** Converts a validated wire candlestick to the normalised form. */
export function toCandlestick(wire: Wire): Candlestick {
  return {
    endPeriodTs: wire.end_period_ts as number,
    yesBid: readOhlc(wire.yes_bid, QUOTE_KEYS),
    yesAsk: readOhlc(wire.yes_ask, QUOTE_KEYS),
    price: readOhlc(wire.price, TRADE_KEYS),
    volume: readCount(wire, "volume") as CountUnits,
    openInterest: readCount(wire, "open_interest") as CountUnits,
    raw: wire,
  };
}

/** A candlestick, validated and normalised. */
export const CandlestickSchema = CandlestickWire.transform((wire) => toCandlestick(wire));

/** `GET /series/{s}/markets/{t}/candlesticks` response. */
export const CandlesticksResponseSchema = z.looseObject({
  ticker: Ticker,
  candlesticks: z.array(CandlestickSchema).nullish().transform((c) => c ?? []),
});

/** `GET /historical/markets/{t}/candlesticks` response (historical candle schema). */
export const HistoricalCandlesticksResponseSchema = CandlesticksResponseSchema;

/** `GET /markets/candlesticks` (batch) response. */
export const BatchCandlesticksResponseSchema = z.looseObject({
  markets: z.array(z.looseObject({
    market_ticker: Ticker,
    candlesticks: z.array(CandlestickSchema).nullish().transform((c) => c ?? []),
  })).nullish().transform((m) => m ?? []),
});
