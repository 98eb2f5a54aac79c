/**
 * Order books as pure functions of (seed, market, time). After step k's trades a market rests at
 * {@link restingBook}: the step's quote is the best YES bid and best NO bid (1 − ask) with the
 * quote's sizes, over a ladder of deeper levels whose sizes hold for a few steps, some emptying and
 * reappearing later. At the step's start the book moves to the resting book plus what the step's
 * trades will take; each trade then consumes its size at the level it hit; at close the book
 * empties. The ticker's bid/ask and sizes therefore equal the book's best levels, and the changes
 * between instants are the `orderbook_delta` messages ({@link bookEvents}).
 * Units: prices 1/10000 dollar, sizes 1/100 contract.
 */
import type { OrderbookChange, OrderbookLevel, OrderbookLevels } from "../orderbook.ts";
import { countFp, dollars, rfc3339 } from "./format.ts";
import { quoteAt, stepLive, stepsThrough, stepTime, tickUnits, tradesAt } from "./market_path.ts";
import { h5 } from "./prng.ts";
import { marketId, type World } from "./world.ts";

/** Candidate levels per side, the best included. */
const DEPTH = 12;
/** Levels behind the best that never empty (≥ 5 levels per side where prices leave room). */
const ALWAYS = 4;
/** Steps a deeper level keeps its size. */
const EPOCH = 6;

/** A book change at an instant; `order` sorts it among the engine's items of that instant. */
export interface BookEvent {
  t: number;
  order: number;
  change: OrderbookChange;
}

/** Sort position of the step-start changes (after lifecycle items, before trades). */
const STEP_ORDER = 1.5;

function levelSize(w: World, m: number, k: number, side: number, price: number, j: number): number {
  // Each price keeps its size for EPOCH steps, from a per-price phase: levels change at different steps.
  const phase = h5(w.seed, 80, m, side, price) % EPOCH;
  const h = h5(w.seed, 81 + side, m, price, Math.floor((k + phase) / EPOCH));
  if (j > ALWAYS && (h & 7) < 3) return 0;
  return 100 * (1 + (h >>> 3) % 1500) + ((h >>> 20) & 1) * ((h >>> 21) % 100);
}

function ladder(
  w: World,
  m: number,
  k: number,
  side: number,
  best: number,
  bestSize: number,
): OrderbookLevel[] {
  const tick = tickUnits(w, m);
  const out: OrderbookLevel[] = [];
  for (let j = DEPTH - 1; j >= 1; j--) {
    const price = best - j * tick;
    if (price <= 0) continue;
    const size = levelSize(w, m, k, side, price, j);
    if (size > 0) out.push([price, size]);
  }
  out.push([best, bestSize]);
  return out;
}

/** The book resting right after step k's trades (its best levels are the step's quote). */
export function restingBook(w: World, m: number, k: number): OrderbookLevels {
  const q = quoteAt(w, m, k);
  return {
    yes: ladder(w, m, k, 0, q.bid, q.bidSize),
    no: ladder(w, m, k, 1, 10000 - q.ask, q.askSize),
  };
}

/** The level a trade consumes: a YES taker lifts a NO bid at 1 − price, a NO taker hits a YES bid. */
function tradeChange(t: { yesPrice: number; count: number; takerYes: boolean }): OrderbookChange {
  return t.takerYes
    ? { side: "no", price: 10000 - t.yesPrice, delta: -t.count }
    : { side: "yes", price: t.yesPrice, delta: -t.count };
}

function addAt(levels: OrderbookLevel[], price: number, size: number): OrderbookLevel[] {
  return levels.map((l) => l[0] === price ? [price, l[1] + size] as const : l);
}

/** The book at step k's start: resting book plus everything the step's trades (before close) take. */
function openingBook(w: World, m: number, k: number, close: number): OrderbookLevels {
  let book = restingBook(w, m, k);
  for (const t of tradesAt(w, m, k)) {
    if (t.tsMs >= close) continue;
    const c = tradeChange(t);
    book = { ...book, [c.side]: addAt(book[c.side], c.price, -c.delta) };
  }
  return book;
}

/** Last live step at or before k, or -1. */
function lastLive(w: World, m: number, k: number): number {
  while (k >= 0 && !stepLive(w, m, k)) k--;
  return k;
}

/** Ground truth: the book of market m at instant t (after every change stamped ≤ t). */
export function bookAt(w: World, m: number, t: number): OrderbookLevels {
  const e = w.marketEvent[m];
  const close = w.eventCloseMs[e];
  if (t < w.eventOpenMs[e] || t >= close) return { yes: [], no: [] };
  const k = stepsThrough(w, m, t) - 1;
  const live = lastLive(w, m, k);
  if (live < 0) return { yes: [], no: [] };
  if (live < k) return restingBook(w, m, live);
  let book = openingBook(w, m, k, close);
  for (const tr of tradesAt(w, m, k)) {
    if (tr.tsMs > t) break;
    const c = tradeChange(tr);
    book = { ...book, [c.side]: addAt(book[c.side], c.price, c.delta) };
  }
  return book;
}

function sideDiff(side: "yes" | "no", a: OrderbookLevel[], b: OrderbookLevel[]): OrderbookChange[] {
  const sizes = new Map<number, number>();
  for (const [p, s] of a) sizes.set(p, -s);
  for (const [p, s] of b) sizes.set(p, (sizes.get(p) ?? 0) + s);
  return [...sizes].filter(([, d]) => d !== 0).sort((x, y) => x[0] - y[0])
    .map(([price, delta]) => ({ side, price, delta }));
}

/**
 * The changes turning book a into book b: decreases first, then increases, each side ascending, so
 * no book along the way is crossed or negative.
 */
export function bookDiff(a: OrderbookLevels, b: OrderbookLevels): OrderbookChange[] {
  const all = [...sideDiff("yes", a.yes, b.yes), ...sideDiff("no", a.no, b.no)];
  return [...all.filter((c) => c.delta < 0), ...all.filter((c) => c.delta > 0)];
}

/** Book changes of market m's step k stamped in (last, now]: its start, then one per trade. */
export function stepBookEvents(
  w: World,
  m: number,
  k: number,
  last: number,
  now: number,
): BookEvent[] {
  if (!stepLive(w, m, k)) return [];
  const close = w.eventCloseMs[w.marketEvent[m]];
  const out: BookEvent[] = [];
  const t0 = stepTime(w, m, k);
  if (t0 > last && t0 <= now && t0 < close) {
    const prev = lastLive(w, m, k - 1);
    const before = prev < 0 ? { yes: [], no: [] } : restingBook(w, m, prev);
    for (const change of bookDiff(before, openingBook(w, m, k, close))) {
      out.push({ t: t0, order: STEP_ORDER, change });
    }
  }
  for (const tr of tradesAt(w, m, k)) {
    if (tr.tsMs > last && tr.tsMs <= now && tr.tsMs < close) {
      out.push({ t: tr.tsMs, order: 1.5 + tr.j, change: tradeChange(tr) });
    }
  }
  return out;
}

/** The changes emptying market m's book at close, when close lies in (last, now]. */
export function closeBookEvents(w: World, m: number, last: number, now: number): BookEvent[] {
  const close = w.eventCloseMs[w.marketEvent[m]];
  if (close <= last || close > now) return [];
  return bookDiff(bookAt(w, m, close - 1), { yes: [], no: [] })
    .map((change) => ({ t: close, order: STEP_ORDER, change }));
}

/** Kalshi's `orderbook_delta` body for a change stamped at t. */
export function deltaMsg(
  w: World,
  m: number,
  t: number,
  c: OrderbookChange,
): Record<string, unknown> {
  return {
    market_ticker: w.marketTickers[m],
    market_id: marketId(w, m),
    price_dollars: dollars(c.price),
    delta_fp: countFp(c.delta),
    side: c.side,
    ts: rfc3339(t),
    ts_ms: t,
  };
}

function wireSide(levels: OrderbookLevel[]): string[][] {
  return levels.map(([p, s]) => [dollars(p), countFp(s)]);
}

/** Kalshi's `orderbook_snapshot` body (a side's key omitted when empty). */
export function snapshotMsg(w: World, m: number, book: OrderbookLevels): Record<string, unknown> {
  const msg: Record<string, unknown> = {
    market_ticker: w.marketTickers[m],
    market_id: marketId(w, m),
  };
  if (book.yes.length > 0) msg.yes_dollars_fp = wireSide(book.yes);
  if (book.no.length > 0) msg.no_dollars_fp = wireSide(book.no);
  return msg;
}

/** Kalshi's REST `orderbook_fp` object: both sides, ascending, best `depth` levels (all when 0). */
export function restOrderbook(book: OrderbookLevels, depth: number): Record<string, unknown> {
  const cut = (l: OrderbookLevel[]) => depth > 0 ? l.slice(-depth) : l;
  return { yes_dollars: wireSide(cut(book.yes)), no_dollars: wireSide(cut(book.no)) };
}
