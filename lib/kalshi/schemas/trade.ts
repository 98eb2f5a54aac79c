/** Kalshi public trade (REST `/markets/trades`, `/historical/trades`). */
import { z } from "zod";
import type { CountUnits, PriceUnits } from "../units.ts";
import {
  countShape,
  priceShape,
  readBoolean,
  readCount,
  readPrice,
  readString,
  requireCounts,
  requirePrices,
  Rfc3339,
  Ticker,
  type Wire,
} from "./primitives.ts";

/** Normalised REST trade. */
export interface Trade {
  tradeId: string;
  ticker: string;
  /** Prices in 1/10000 dollar. */
  yesPrice: PriceUnits;
  noPrice: PriceUnits;
  /** Contracts in 1/100 contract. */
  count: CountUnits;
  /** yes | no — the outcome the taker bought (falls back to deprecated taker_side). */
  takerOutcomeSide: string | null;
  /** bid | ask. */
  takerBookSide: string | null;
  isBlockTrade: boolean | null;
  /** RFC 3339 creation time. */
  createdTime: string;
  raw: Wire;
}

/** Wire schema of a REST trade. */
export const TradeWire = z.looseObject({
  trade_id: z.string().min(1, { error: "expected a trade id" }),
  ticker: Ticker,
  ...priceShape("yes_price"),
  ...priceShape("no_price"),
  ...countShape("count"),
  taker_side: z.string().nullish(),
  taker_outcome_side: z.string().nullish(),
  taker_book_side: z.string().nullish(),
  is_block_trade: z.boolean().nullish(),
  created_time: Rfc3339,
}).superRefine((wire, ctx) => {
  requirePrices(wire, ctx, ["yes_price"]);
  requireCounts(wire, ctx, ["count"]);
});

/** Converts a validated wire trade to the normalised form (no price derived from yes when absent). */
export function toTrade(wire: Wire): Trade {
  const yesPrice = readPrice(wire, "yes_price") as PriceUnits;
  return {
    tradeId: wire.trade_id as string,
    ticker: wire.ticker as string,
    yesPrice,
    noPrice: readPrice(wire, "no_price") ?? 10_000 - yesPrice,
    count: readCount(wire, "count") as CountUnits,
    takerOutcomeSide: readString(wire.taker_outcome_side) ?? readString(wire.taker_side),
    takerBookSide: readString(wire.taker_book_side),
    isBlockTrade: readBoolean(wire.is_block_trade),
    createdTime: wire.created_time as string,
    raw: wire,
  };
}

/** A REST trade, validated and normalised. */
export const TradeSchema = TradeWire.transform((wire) => toTrade(wire));

/** `GET /markets/trades` and `GET /historical/trades` response. */
export const TradesResponseSchema = z.looseObject({
  trades: z.array(TradeSchema).nullish().transform((t) => t ?? []),
  cursor: z.string().nullish(),
});
