/**
 * Rebuilds stored books: the book of a market at instant T is the latest snapshot (subscribe,
 * resync or checkpoint) with ts ≤ T, plus every delta after it in `(ts, ord)` order with ts ≤ T
 * — the rule SQL's `orderbook_at` applies too. A series walks a window once from its first book.
 * @module
 */
import type { Queryable } from "../db/mod.ts";
import type { OrderbookSide } from "../kalshi/mod.ts";
import { type NegativeLevel, OrderBook } from "./book.ts";
import type { SnapshotKind } from "./rows.ts";

/** A stored delta the book refused (it would have made its level negative). */
export interface RefusedDelta extends NegativeLevel {
  /** Exchange time of the refused delta, Unix ms. */
  tsMs: number;
  /** Its tie-break within the millisecond. */
  order: number;
}

/** The answer of {@linkcode bookAt}. */
export type BookAt =
  | { status: "unknown_market"; ticker: string }
  | { status: "no_data"; ticker: string; at: Date }
  | {
    status: "ok";
    ticker: string;
    at: Date;
    book: OrderBook;
    /** The snapshot the rebuild started from. */
    snapshot: { tsMs: number; kind: SnapshotKind };
    /** Deltas applied after it. */
    deltas: number;
    /** Deltas refused as negative (stored data that contradicts its snapshot). */
    refused: RefusedDelta[];
  };

interface SnapshotRecord {
  ts: Date;
  ord: number;
  kind: SnapshotKind;
  yes_price: number[];
  yes_size: string[];
  no_price: number[];
  no_size: string[];
}

interface DeltaRecord {
  ts: Date;
  ord: number;
  side: string;
  price: number;
  delta: number;
}

/** Rows read per round trip while streaming deltas. */
const CURSOR_ROWS = 5000;

async function marketId(sql: Queryable, ticker: string): Promise<number | null> {
  const [row] = await sql<{ id: number }[]>`
    SELECT id FROM orderbook_markets WHERE market_ticker = ${ticker}`;
  return row?.id ?? null;
}

function loadSnapshot(book: OrderBook, s: SnapshotRecord): void {
  const zip = (prices: number[], sizes: string[]) =>
    prices.map((p, i) => [p, Number(sizes[i])] as const);
  book.applySnapshot(zip(s.yes_price, s.yes_size), zip(s.no_price, s.no_size));
}

const sideOf = (code: string): OrderbookSide => (code === "y" ? "yes" : "no");

/** Applies a stored delta; records a refusal. */
function applyStored(book: OrderBook, d: DeltaRecord, refused: RefusedDelta[]): void {
  const issue = book.applyDelta(sideOf(d.side), d.price, d.delta);
  if (issue !== null) refused.push({ ...issue, tsMs: d.ts.getTime(), order: d.ord });
}

/**
 * The book of `ticker` at `at`, rebuilt from the nearest snapshot at or before it and the deltas
 * since (streamed, so a long stretch without checkpoints costs time, not memory).
 */
export async function bookAt(sql: Queryable, ticker: string, at: Date): Promise<BookAt> {
  const id = await marketId(sql, ticker);
  if (id === null) return { status: "unknown_market", ticker };
  const [snap] = await sql<SnapshotRecord[]>`
    SELECT ts, ord, kind, yes_price, yes_size, no_price, no_size FROM orderbook_snapshots
    WHERE market_id = ${id} AND ts <= ${at} ORDER BY ts DESC, ord DESC LIMIT 1`;
  if (snap === undefined) return { status: "no_data", ticker, at };
  const book = new OrderBook();
  loadSnapshot(book, snap);
  const refused: RefusedDelta[] = [];
  let deltas = 0;
  const cursor = sql<DeltaRecord[]>`
    SELECT ts, ord, side::text AS side, price, delta FROM orderbook_deltas
    WHERE market_id = ${id} AND ts >= ${snap.ts} AND ts <= ${at}
      AND (ts, ord) > (${snap.ts}::timestamptz, ${snap.ord}::integer)
    ORDER BY ts, ord`.cursor(CURSOR_ROWS);
  for await (const rows of cursor) {
    for (const d of rows) applyStored(book, d, refused);
    deltas += rows.length;
  }
  return {
    status: "ok",
    ticker,
    at,
    book,
    snapshot: { tsMs: snap.ts.getTime(), kind: snap.kind },
    deltas,
    refused,
  };
}

/** One instant of a top-of-book series, in exact units; `null` fields: that side is empty. */
export interface TopOfBookPoint {
  /** The instant of this point. */
  at: Date;
  /** false before the market's first snapshot: nothing is known yet. */
  known: boolean;
  /** Best YES bid, 1/10000 dollar. */
  yesBid: number | null;
  /** Size at the best YES bid, 1/100 contract. */
  yesBidSize: number | null;
  /** 10000 − best NO bid. */
  yesAsk: number | null;
  /** Size at the best NO bid (the YES ask), 1/100 contract. */
  yesAskSize: number | null;
  /** Total resting size of each side. */
  yesDepth: number;
  /** Total resting size of the NO side. */
  noDepth: number;
  /** Whether the best bids cross (best YES bid + best NO bid ≥ 1 dollar). */
  crossed: boolean;
}

/** The window and spacing of {@linkcode topOfBookSeries}. */
export interface SeriesOptions {
  /** First instant of the series. */
  from: Date;
  /** Last instant of the series (inclusive). */
  to: Date;
  /** Milliseconds between points (≥ 1). */
  stepMs: number;
}

/** Most points one series returns. */
export const MAX_SERIES_POINTS = 10_000;

function point(at: Date, book: OrderBook | null): TopOfBookPoint {
  const bid = book?.bestBid("yes") ?? null;
  const ask = book?.bestAsk("yes") ?? null;
  return {
    at,
    known: book !== null,
    yesBid: bid?.price ?? null,
    yesBidSize: bid?.size ?? null,
    yesAsk: ask?.price ?? null,
    yesAskSize: ask?.size ?? null,
    yesDepth: book?.depth("yes") ?? 0,
    noDepth: book?.depth("no") ?? 0,
    crossed: book?.crossed() ?? false,
  };
}

/** Throws RangeError when the window or step is unusable or asks for too many points. */
function seriesInstants(options: SeriesOptions): Date[] {
  const { from, to, stepMs } = options;
  if (!Number.isSafeInteger(stepMs) || stepMs < 1) {
    throw new RangeError(`step must be a positive whole number of ms, got ${stepMs}`);
  }
  if (!(to.getTime() >= from.getTime())) {
    throw new RangeError(`window end ${to.toISOString()} is before its start`);
  }
  const count = Math.floor((to.getTime() - from.getTime()) / stepMs) + 1;
  if (count > MAX_SERIES_POINTS) {
    throw new RangeError(
      `${count} points asked (window / step); at most ${MAX_SERIES_POINTS}: widen the step`,
    );
  }
  return Array.from({ length: count }, (_, k) => new Date(from.getTime() + k * stepMs));
}

/** A stored row of the window, in replay order. */
type WindowRow = (SnapshotRecord & { is_snapshot: true }) | (DeltaRecord & { is_snapshot: false });

/**
 * The top of book and depth of `ticker` at `from`, `from + step`, … ≤ `to`: one rebuild at
 * `from`, then the window's snapshots and deltas replayed once in order. Null when the market is
 * unknown. Refused deltas are skipped, as in {@linkcode bookAt}.
 */
export async function topOfBookSeries(
  sql: Queryable,
  ticker: string,
  options: SeriesOptions,
): Promise<TopOfBookPoint[] | null> {
  const instants = seriesInstants(options);
  const start = await bookAt(sql, ticker, options.from);
  if (start.status === "unknown_market") return null;
  const id = (await marketId(sql, ticker))!;
  let book = start.status === "ok" ? start.book : null;
  const points = [point(instants[0], book)];
  let next = 1;
  const refused: RefusedDelta[] = [];
  const cursor = sql<WindowRow[]>`
    SELECT * FROM (
      SELECT ts, ord, 0 AS rank, false AS is_snapshot, side::text AS side, price, delta,
             NULL::text AS kind, NULL::smallint[] AS yes_price, NULL::bigint[] AS yes_size,
             NULL::smallint[] AS no_price, NULL::bigint[] AS no_size
      FROM orderbook_deltas WHERE market_id = ${id} AND ts > ${options.from} AND ts <= ${options.to}
      UNION ALL
      SELECT ts, ord, 1, true, NULL, NULL, NULL, kind, yes_price, yes_size, no_price, no_size
      FROM orderbook_snapshots
      WHERE market_id = ${id} AND ts > ${options.from} AND ts <= ${options.to}) AS w
    ORDER BY ts, ord, rank`.cursor(CURSOR_ROWS);
  for await (const rows of cursor) {
    for (const row of rows) {
      while (next < instants.length && instants[next].getTime() < row.ts.getTime()) {
        points.push(point(instants[next++], book));
      }
      if (row.is_snapshot) loadSnapshot(book ??= new OrderBook(), row);
      else if (book !== null) applyStored(book, row, refused);
    }
  }
  while (next < instants.length) points.push(point(instants[next++], book));
  return points;
}
