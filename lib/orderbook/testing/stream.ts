/**
 * Test support: a seeded, reproducible stream of order-book rows as capture would produce them
 * (subscribe snapshots, runs of deltas with several sharing one millisecond, resyncs whose book
 * differs from the maintained one, checkpoints), in message order, and the hand-built truth —
 * the book after the last message at or before an instant, replayed in message order without
 * the `(ts, order)` rule the code under test relies on.
 * @module
 */
import { OrderBook } from "../book.ts";
import { checkpointRow, type OrderbookDeltaRow, type OrderbookSnapshotRow } from "../rows.ts";

/** A row of the stream, tagged. */
export type StreamRow =
  | { kind: "snapshot"; row: OrderbookSnapshotRow }
  | { kind: "delta"; row: OrderbookDeltaRow };

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shape of {@linkcode bookStream}. */
export interface StreamOptions {
  seed: number;
  tickers: string[];
  /** Messages in all. */
  messages: number;
  startMs: number;
  /** A checkpoint after this many deltas of a market (default 40). */
  checkpointEvery?: number;
}

const PRICES = [100, 500, 1200, 2500, 3300, 4100, 4500, 4700, 4800, 4900];

function randomLevels(random: () => number): [number, number][] {
  return PRICES.filter(() => random() < 0.6).map((p) => [p, 1 + Math.floor(random() * 50_000)]);
}

/** The stream in message order: times never go back; one `order` counter (a sid's seq). */
export function bookStream(options: StreamOptions): StreamRow[] {
  const random = seededRandom(options.seed);
  const books = new Map<string, OrderBook>();
  const since = new Map<string, number>();
  const out: StreamRow[] = [];
  let ts = options.startMs;
  let seq = 0;
  const snapshot = (ticker: string, kind: "subscribe" | "resync") => {
    const book = new OrderBook();
    // YES and NO levels below 50 cents each: never crossed.
    book.applySnapshot(randomLevels(random), randomLevels(random));
    books.set(ticker, book);
    out.push({
      kind: "snapshot",
      row: { marketTicker: ticker, tsMs: ts, order: ++seq, kind, ...book.toLevels() },
    });
  };
  for (const ticker of options.tickers) snapshot(ticker, "subscribe");
  while (out.length < options.messages) {
    if (random() < 0.5) ts += Math.floor(random() * 3000); // else: same millisecond
    const ticker = options.tickers[Math.floor(random() * options.tickers.length)];
    if (random() < 0.02) {
      snapshot(ticker, "resync");
      continue;
    }
    const book = books.get(ticker)!;
    const side = random() < 0.5 ? "yes" : "no";
    const price = PRICES[Math.floor(random() * PRICES.length)];
    const size = book.levels(side).find(([p]) => p === price)?.[1] ?? 0;
    const delta = size > 0 && random() < 0.5
      ? -(1 + Math.floor(random() * size))
      : 1 + Math.floor(random() * 20_000);
    book.applyDelta(side, price, delta);
    const row = { marketTicker: ticker, tsMs: ts, order: ++seq, side, price, delta } as const;
    out.push({ kind: "delta", row });
    const n = (since.get(ticker) ?? 0) + 1;
    since.set(ticker, n);
    if (n >= (options.checkpointEvery ?? 40)) {
      since.set(ticker, 0);
      const cp = checkpointRow(book, { marketTicker: ticker, tsMs: ts, order: row.order });
      out.push({ kind: "snapshot", row: cp });
    }
  }
  return out;
}

/** The truth: `ticker`'s book after the last message with ts ≤ `atMs`; null before any snapshot. */
export function bookByHand(stream: StreamRow[], ticker: string, atMs: number): OrderBook | null {
  let book: OrderBook | null = null;
  for (const { kind, row } of stream) {
    if (row.tsMs > atMs) break;
    if (row.marketTicker !== ticker) continue;
    if (kind === "snapshot") {
      book = new OrderBook();
      book.applySnapshot(row.yes, row.no);
    } else if (book !== null) {
      book.applyDelta(row.side, row.price, row.delta);
    }
  }
  return book;
}

/** A Fisher–Yates shuffle with the given PRNG (a copy). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
