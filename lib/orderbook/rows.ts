/**
 * The rows the capture path hands to the order-book writer, in exact integer units, plain JSON so
 * a batch can be spooled and read back unchanged. Rows of one market are ordered by
 * `(tsMs, order)`: `order` breaks ties between rows sharing a millisecond (the frame's `seq`, or
 * a receive ordinal; taken modulo 2^31 it only has to increase within one millisecond).
 * @module
 */
import {
  type CountUnits,
  EARLIEST_TIME_MS,
  type OrderbookLevel,
  type OrderbookSide,
  PRICE_UNITS_PER_DOLLAR,
  type PriceUnits,
  TIME_LIMIT_MS,
} from "../kalshi/mod.ts";
import type { OrderBook } from "./book.ts";

/** Why a snapshot was stored: a subscription's first book, a resync, or a periodic checkpoint. */
export type SnapshotKind = "subscribe" | "resync" | "checkpoint";

/** One `orderbook_snapshots` row: the whole book of a market. */
export interface OrderbookSnapshotRow {
  /** The market's ticker. */
  marketTicker: string;
  /** When the book was in this state, Unix ms. */
  tsMs: number;
  /** Tie-break within one market's millisecond (see the module doc). */
  order: number;
  /** Why the snapshot was taken: a subscription, a resync after a gap, or a periodic checkpoint. */
  kind: SnapshotKind;
  /** YES bids, any order, each price once. */
  yes: OrderbookLevel[];
  /** NO bids. */
  no: OrderbookLevel[];
}

/** One `orderbook_deltas` row: a signed size change at one level. */
export interface OrderbookDeltaRow {
  /** The market's ticker. */
  marketTicker: string;
  /** Exchange time (ts_ms). */
  tsMs: number;
  /** Tie-break within one market's millisecond. */
  order: number;
  /** The side that changed. */
  side: OrderbookSide;
  /** The level's price, 1/10000 dollar. */
  price: PriceUnits;
  /** Signed change, 1/100 contract; never 0. */
  delta: CountUnits;
}

/** Largest order key and absolute delta the columns hold (integer). */
export const MAX_INT32 = 2 ** 31 - 1;

/**
 * A row the tables cannot hold. It carries SQLSTATE 22003 (numeric_value_out_of_range) so the
 * capture writer's salvage treats it as a data error: the row becomes a dead letter.
 */
export class OrderbookRowError extends RangeError {
  /** SQLSTATE-like code of a data error. */
  readonly code = "22003";
  /** Creates the error; `what` names the row and the field. */
  constructor(what: string) {
    super(what);
    this.name = "OrderbookRowError";
  }
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

function checkCommon(row: { marketTicker: string; tsMs: number; order: number }): void {
  const where = `order-book row of ${JSON.stringify(row.marketTicker)}`;
  if (
    typeof row.marketTicker !== "string" || !/^[\x21-\x7e]{1,128}$/.test(row.marketTicker)
  ) throw new OrderbookRowError(`${where}: ticker must be 1-128 printable ASCII characters`);
  if (!isInt(row.tsMs, EARLIEST_TIME_MS, TIME_LIMIT_MS - 1)) {
    throw new OrderbookRowError(`${where}: tsMs ${row.tsMs} is not a Unix ms in 2000-2199`);
  }
  if (!isInt(row.order, 0, MAX_INT32)) {
    throw new OrderbookRowError(`${where}: order ${row.order} is not an integer 0..${MAX_INT32}`);
  }
}

/** Throws {@linkcode OrderbookRowError} naming the field when the tables cannot hold `row`. */
export function checkDeltaRow(row: OrderbookDeltaRow): void {
  checkCommon(row);
  const where = `order-book delta of ${row.marketTicker} at ${row.tsMs}`;
  if (row.side !== "yes" && row.side !== "no") {
    throw new OrderbookRowError(`${where}: side must be "yes" or "no"`);
  }
  if (!isInt(row.price, 0, PRICE_UNITS_PER_DOLLAR)) {
    throw new OrderbookRowError(`${where}: price ${row.price} is not 0..10000 price units`);
  }
  if (!isInt(row.delta, -MAX_INT32, MAX_INT32) || row.delta === 0) {
    throw new OrderbookRowError(`${where}: delta ${row.delta} is not a non-zero int32`);
  }
}

/** Throws {@linkcode OrderbookRowError} naming the field when the tables cannot hold `row`. */
export function checkSnapshotRow(row: OrderbookSnapshotRow): void {
  checkCommon(row);
  const where = `order-book snapshot of ${row.marketTicker} at ${row.tsMs}`;
  if (!["subscribe", "resync", "checkpoint"].includes(row.kind)) {
    throw new OrderbookRowError(`${where}: kind must be subscribe, resync or checkpoint`);
  }
  for (const side of ["yes", "no"] as const) {
    const seen = new Set<number>();
    for (const [price, size] of row[side]) {
      if (!isInt(price, 0, PRICE_UNITS_PER_DOLLAR) || seen.has(price)) {
        throw new OrderbookRowError(`${where}: ${side} price ${price} is repeated or not 0..10000`);
      }
      if (!isInt(size, 1, Number.MAX_SAFE_INTEGER)) {
        throw new OrderbookRowError(`${where}: ${side} size ${size} at ${price} is not positive`);
      }
      seen.add(price);
    }
  }
}

/** Where and when a checkpoint is taken. */
export interface CheckpointOptions {
  /** The market's ticker. */
  marketTicker: string;
  /** The time of the last change the maintained book holds. */
  tsMs: number;
  /** The order key of that last change (the checkpoint then sorts right after it). */
  order: number;
}

/**
 * The checkpoint row of a maintained book: a full snapshot at the `(tsMs, order)` of the last
 * delta it applied, so a rebuild starting from it skips that delta and everything before.
 */
export function checkpointRow(book: OrderBook, options: CheckpointOptions): OrderbookSnapshotRow {
  return {
    marketTicker: options.marketTicker,
    tsMs: options.tsMs,
    order: options.order,
    kind: "checkpoint",
    yes: book.levels("yes"),
    no: book.levels("no"),
  };
}
