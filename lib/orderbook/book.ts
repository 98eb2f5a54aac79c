/**
 * One market's order book in exact integer units: YES bids and NO bids (Kalshi's two sides), each
 * price (1/10000 dollar) mapped to a resting size (1/100 contract). A YES ask is the complement
 * of the best NO bid. A delta that would make a level negative is refused and reported.
 * @module
 */
import {
  type CountUnits,
  countUnitsToFixedPoint,
  type OrderbookLevel,
  type OrderbookLevels,
  type OrderbookSide,
  PRICE_UNITS_PER_DOLLAR,
  type PriceUnits,
  priceUnitsToDollars,
} from "../kalshi/mod.ts";

/** A side of the book: YES bids or NO bids. */
export type BookSide = OrderbookSide;
/** A resting level: price (1/10000 dollar) and size (1/100 contract). */
export type Level = OrderbookLevel;

/** A delta the book refused: applying it would have left `size + delta` < 0 at the level. */
export interface NegativeLevel {
  /** The side of the refused delta. */
  side: BookSide;
  /** The level's price. */
  price: PriceUnits;
  /** The level's size before the delta. */
  size: CountUnits;
  /** The refused change. */
  delta: CountUnits;
}

/** Best bid of a side with its size, or null when the side is empty. */
export interface BestLevel {
  /** Best bid price. */
  price: PriceUnits;
  /** Resting size at that price. */
  size: CountUnits;
}

/**
 * A two-sided book, mutable so a long run of deltas costs O(1) each; levels with size 0 are
 * removed. The repository's one order-book implementation (capture, rebuilds, replay, and the
 * tests' reference books).
 */
export class OrderBook {
  readonly #sides: Record<BookSide, Map<PriceUnits, CountUnits>> = {
    yes: new Map(),
    no: new Map(),
  };

  /** Replaces the whole book with the snapshot's levels (sizes must be positive). */
  applySnapshot(yes: readonly Level[], no: readonly Level[]): void {
    for (const [side, levels] of [["yes", yes], ["no", no]] as const) {
      const map = this.#sides[side];
      map.clear();
      for (const [price, size] of levels) if (size > 0) map.set(price, size);
    }
  }

  /**
   * Adds the signed `delta` to the level; returns null, or the refusal when the level would go
   * negative (the book is then unchanged).
   */
  applyDelta(side: BookSide, price: PriceUnits, delta: CountUnits): NegativeLevel | null {
    const map = this.#sides[side];
    const size = map.get(price) ?? 0;
    const next = size + delta;
    if (next < 0) return { side, price, size, delta };
    if (next === 0) map.delete(price);
    else map.set(price, next);
    return null;
  }

  /** The levels of `side`, ascending by price (Kalshi's order: best bid last). */
  levels(side: BookSide): Level[] {
    return [...this.#sides[side]].sort((a, b) => a[0] - b[0]);
  }

  /** Both sides, ascending (lib/kalshi's shape). */
  toLevels(): OrderbookLevels {
    return { yes: this.levels("yes"), no: this.levels("no") };
  }

  /** The highest bid of `side`, or null when it is empty. */
  bestBid(side: BookSide): BestLevel | null {
    let best: BestLevel | null = null;
    for (const [price, size] of this.#sides[side]) {
      if (best === null || price > best.price) best = { price, size };
    }
    return best;
  }

  /** The lowest ask of `side`: the complement of the other side's best bid (YES ask = 1 − NO bid). */
  bestAsk(side: BookSide): BestLevel | null {
    const other = this.bestBid(side === "yes" ? "no" : "yes");
    return other === null
      ? null
      : { price: PRICE_UNITS_PER_DOLLAR - other.price, size: other.size };
  }

  /** Whether the best YES bid reaches the YES ask (best YES bid + best NO bid ≥ 1 dollar). */
  crossed(): boolean {
    const yes = this.bestBid("yes");
    const no = this.bestBid("no");
    return yes !== null && no !== null && yes.price + no.price >= PRICE_UNITS_PER_DOLLAR;
  }

  /** Total resting size of `side`. */
  depth(side: BookSide): CountUnits {
    let total = 0;
    for (const size of this.#sides[side].values()) total += size;
    return total;
  }
}

/** Kalshi's REST order-book answer: `[dollars, contracts]` pairs, ascending, best bid last. */
export interface KalshiOrderbookJson {
  /** The book as Kalshi's REST order-book endpoint answers. */
  orderbook_fp: { yes_dollars: [string, string][]; no_dollars: [string, string][] };
}

/** The book in Kalshi's REST shape (`GET /markets/{ticker}/orderbook`), exact decimal strings. */
export function orderbookJson(book: OrderBook): KalshiOrderbookJson {
  const pairs = (side: BookSide) =>
    book.levels(side).map(([p, s]) =>
      [priceUnitsToDollars(p), countUnitsToFixedPoint(s)] as [string, string]
    );
  return { orderbook_fp: { yes_dollars: pairs("yes"), no_dollars: pairs("no") } };
}
