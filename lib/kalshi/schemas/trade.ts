/** Kalshi public trade (REST `/markets/trades`, `/historical/trades`) and the fill fields the WebSocket `trade` message shares. */
import { z } from "zod";
import { type CountUnits, PRICE_UNITS_PER_DOLLAR, type PriceUnits } from "../units.ts";
import {
  countShape,
  Label,
  priceShape,
  readBoolean,
  readCount,
  readPrice,
  readString,
  requireCounts,
  requirePrices,
  requireStorableJson,
  Rfc3339,
  Ticker,
  type Wire,
} from "./primitives.ts";

/** What a trade says about the fill, the same in REST trades and WebSocket `trade` messages. */
export interface TradeFill {
  /** Prices in 1/10000 dollar. */
  yesPrice: PriceUnits;
  /** NO price, 1/10000 dollar. */
  noPrice: PriceUnits;
  /** Contracts in 1/100 contract. */
  count: CountUnits;
  /** yes | no — the outcome the taker bought (falls back to deprecated taker_side). */
  takerOutcomeSide: string | null;
  /** bid | ask. */
  takerBookSide: string | null;
  /** Whether it was a block trade. */
  isBlockTrade: boolean | null;
}

/** Normalised REST trade. */
export interface Trade extends TradeFill {
  /** Kalshi's trade id (unique). */
  tradeId: string;
  /** The market ticker. */
  ticker: string;
  /** RFC 3339 creation time. */
  createdTime: string;
  /** The payload as received, unknown fields kept. */
  raw: Wire;
}

/** Wire schema of a trade id. */
export const TradeId = Label.min(1, { error: "expected a trade id" });

/** Wire fields of {@linkcode TradeFill} (current dollar/fixed-point and legacy cent/integer). */
export const TRADE_FILL_SHAPE = {
  ...priceShape("yes_price"),
  ...priceShape("no_price"),
  ...countShape("count"),
  taker_side: Label.nullish(),
  taker_outcome_side: Label.nullish(),
  taker_book_side: Label.nullish(),
  is_block_trade: z.boolean().nullish(),
};

/** Refinement of {@linkcode TRADE_FILL_SHAPE}: a yes price and a count in one of their forms. */
export function requireTradeFill(wire: Wire, ctx: z.RefinementCtx): void {
  requirePrices(wire, ctx, ["yes_price"]);
  requireCounts(wire, ctx, ["count"]);
}

/** Reads a validated fill; a missing no price is derived from the yes price. */
export function readTradeFill(wire: Wire): TradeFill {
  const yesPrice = readPrice(wire, "yes_price") as PriceUnits;
  return {
    yesPrice,
    noPrice: readPrice(wire, "no_price") ?? PRICE_UNITS_PER_DOLLAR - yesPrice,
    count: readCount(wire, "count") as CountUnits,
    takerOutcomeSide: readString(wire.taker_outcome_side) ?? readString(wire.taker_side),
    takerBookSide: readString(wire.taker_book_side),
    isBlockTrade: readBoolean(wire.is_block_trade),
  };
}

/** Wire schema of a REST trade. */
export const TradeWire = z.looseObject({
  trade_id: TradeId,
  ticker: Ticker,
  ...TRADE_FILL_SHAPE,
  created_time: Rfc3339,
}).superRefine((wire, ctx) => {
  requireTradeFill(wire, ctx);
  requireStorableJson(wire, ctx);
});

/** Converts a validated wire trade to the normalised form (no price derived from yes when absent). */
export function toTrade(wire: Wire): Trade {
  return {
    tradeId: wire.trade_id as string,
    ticker: wire.ticker as string,
    ...readTradeFill(wire),
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
