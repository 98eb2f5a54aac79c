/**
 * Order books (issue 16): the book state in exact units, the rows capture stores, their writer,
 * and the rebuild of any stored book at any instant (one book, or a top-of-book series).
 * @module
 */
export {
  type BestLevel,
  type KalshiOrderbookJson,
  type NegativeLevel,
  OrderBook,
  orderbookJson,
} from "./book.ts";
export {
  checkDeltaRow,
  type CheckpointOptions,
  checkpointRow,
  checkSnapshotRow,
  MAX_INT32,
  type OrderbookDeltaRow,
  OrderbookRowError,
  type OrderbookSnapshotRow,
  type SnapshotKind,
} from "./rows.ts";
export {
  ensureOrderbookPartitions,
  type EnsureOrderbookPartitionsOptions,
  insertOrderbookRows,
  type OrderbookBatch,
  type OrderbookRows,
  writeOrderbookBatch,
} from "./store.ts";
export {
  type BookAt,
  bookAt,
  MAX_SERIES_POINTS,
  type RefusedDelta,
  type SeriesOptions,
  type TopOfBookPoint,
  topOfBookSeries,
} from "./rebuild.ts";
export { type BookSide } from "./book.ts";
export { type Level } from "./book.ts";
