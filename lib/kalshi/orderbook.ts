/**
 * An order book in exact units, shaped as Kalshi sends it: resting YES bids and NO bids, each side a
 * list of `[price, size]` levels ascending by price (best last); YES ask = 1 − best NO bid. Pure
 * helpers apply signed deltas and read the top of book. Prices in 1/10000 dollar, sizes in 1/100
 * contract (see `units.ts`).
 */
import { type CountUnits, PRICE_UNITS_PER_DOLLAR, type PriceUnits } from "./units.ts";

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

/** Best YES bid and YES ask (1 − best NO bid) with their sizes; null prices on an empty side. */
export interface OrderbookTop {
  yesBid: PriceUnits | null;
  yesBidSize: CountUnits;
  yesAsk: PriceUnits | null;
  yesAskSize: CountUnits;
}

/** A book with no level on either side. */
export function emptyOrderbook(): OrderbookLevels {
  return { yes: [], no: [] };
}

/**
 * The book after one delta (a new object; `book` is not changed). A level reaching 0 disappears.
 * Throws RangeError naming side, price and sizes when the level would go negative: the delta does
 * not belong to this book (a missed message) and the book must be resynced from a snapshot.
 */
export function applyOrderbookDelta(
  book: OrderbookLevels,
  change: OrderbookChange,
): OrderbookLevels {
  const levels = book[change.side];
  let i = 0;
  while (i < levels.length && levels[i][0] < change.price) i++;
  const current = i < levels.length && levels[i][0] === change.price ? levels[i][1] : 0;
  const size = current + change.delta;
  if (size < 0) {
    throw new RangeError(
      `order book delta ${change.delta} at ${change.side} ${change.price} leaves a negative ` +
        `size (${current} resting): the book is out of sync, resync it from a snapshot`,
    );
  }
  const next = levels.slice();
  if (current > 0 && size === 0) next.splice(i, 1);
  else if (current > 0) next[i] = [change.price, size];
  else if (size > 0) next.splice(i, 0, [change.price, size]);
  return { ...book, [change.side]: next };
}

/** Best YES bid and ask with sizes. */
export function orderbookTop(book: OrderbookLevels): OrderbookTop {
  const bid = book.yes[book.yes.length - 1];
  const noBid = book.no[book.no.length - 1];
  return {
    yesBid: bid ? bid[0] : null,
    yesBidSize: bid ? bid[1] : 0,
    yesAsk: noBid ? PRICE_UNITS_PER_DOLLAR - noBid[0] : null,
    yesAskSize: noBid ? noBid[1] : 0,
  };
}

/** Whether the best YES bid reaches the YES ask (a book that cannot exist on the exchange). */
export function isOrderbookCrossed(book: OrderbookLevels): boolean {
  const top = orderbookTop(book);
  return top.yesBid !== null && top.yesAsk !== null && top.yesBid >= top.yesAsk;
}

/** The best `depth` levels of each side (all when depth ≤ 0), still ascending. */
export function orderbookDepth(book: OrderbookLevels, depth: number): OrderbookLevels {
  if (depth <= 0) return book;
  return { yes: book.yes.slice(-depth), no: book.no.slice(-depth) };
}
