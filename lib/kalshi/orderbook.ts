/**
 * The types of an order book in exact units, shaped as Kalshi sends it: resting YES bids and NO
 * bids, each side a list of `[price, size]` levels ascending by price (best last); YES ask = 1 −
 * best NO bid. Prices in 1/10000 dollar, sizes in 1/100 contract (see `units.ts`). The book itself
 * (deltas, top of book) is lib/orderbook's `OrderBook`.
 */
import type { CountUnits, PriceUnits } from "./units.ts";

/** A book side: `yes` bids or `no` bids. */
export type OrderbookSide = "yes" | "no";

/** One price level: `[price, size]`, size > 0. */
export type OrderbookLevel = readonly [price: PriceUnits, size: CountUnits];

/** Both sides of a book, each ascending by price (best last), no empty or repeated level. */
export interface OrderbookLevels {
  /** YES bids. */
  yes: OrderbookLevel[];
  /** NO bids. */
  no: OrderbookLevel[];
}

/** A signed size change at one price level of one side. */
export interface OrderbookChange {
  /** The side that changed. */
  side: OrderbookSide;
  /** The level's price, 1/10000 dollar. */
  price: PriceUnits;
  /** Signed, 1/100 contract. */
  delta: CountUnits;
}
