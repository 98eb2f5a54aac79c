/** Trade tapes on demand: newest-first pages over one market or all markets, with opaque cursors. */
import { type SimTrade, stepsThrough, stepTime, tradesAt } from "./market_path.ts";
import type { World } from "./world.ts";

/** Sort key of a trade, newest first: (ts, market, step, j) descending. */
function before(a: SimTrade, b: SimTrade): number {
  return b.tsMs - a.tsMs || b.market - a.market || b.step - a.step || b.j - a.j;
}

/** Encodes a trade's position as an opaque cursor. */
export function tradeCursor(t: SimTrade): string {
  return btoa(`t.${t.tsMs}.${t.market}.${t.step}.${t.j}`).replace(/=+$/, "");
}

/** Decodes a trade cursor, or null when it is not one of ours. */
export function parseTradeCursor(c: string): SimTrade | null {
  try {
    const [tag, ts, m, k, j] = atob(c).split(".");
    if (tag !== "t") return null;
    const v = [ts, m, k, j].map(Number);
    if (v.some((x) => !Number.isInteger(x))) return null;
    return {
      tsMs: v[0],
      market: v[1],
      step: v[2],
      j: v[3],
      yesPrice: 0,
      count: 0,
      takerYes: false,
      opening: false,
    };
  } catch {
    return null;
  }
}

/** Trades of market m with ts in [fromMs, toMs], newest first. */
function marketTradesDesc(w: World, m: number, fromMs: number, toMs: number): SimTrade[] {
  const out: SimTrade[] = [];
  const e = w.marketEvent[m];
  if (toMs < w.eventOpenMs[e] || fromMs >= w.eventCloseMs[e]) return out;
  for (let k = stepsThrough(w, m, toMs) - 1; k >= 0; k--) {
    const trades = tradesAt(w, m, k);
    for (let i = trades.length - 1; i >= 0; i--) {
      const t = trades[i];
      if (t.tsMs <= toMs && t.tsMs >= fromMs) out.push(t);
    }
    // Trades of step k happen within the step, at or after its start.
    if (stepTime(w, m, k) < fromMs) break;
  }
  return out;
}

const SLICE = 3_600_000;

/**
 * One page of trades, newest first, with ts in [fromMs, toMs]; `markets` null = all markets.
 * Returns the page and whether more may follow.
 */
export function tradePage(
  w: World,
  markets: number[] | null,
  fromMs: number,
  toMs: number,
  after: SimTrade | null,
  limit: number,
): { trades: SimTrade[]; more: boolean } {
  let hi = after ? Math.min(toMs, after.tsMs) : toMs;
  const candidates = (markets ?? Array.from({ length: w.marketCount }, (_, i) => i)).filter((m) => {
    const e = w.marketEvent[m];
    return w.eventOpenMs[e] <= hi && w.eventCloseMs[e] > fromMs;
  });
  if (candidates.length === 0) return { trades: [], more: false };
  let earliest = Infinity;
  for (const m of candidates) earliest = Math.min(earliest, w.eventOpenMs[w.marketEvent[m]]);
  const lo0 = Math.max(fromMs, earliest);
  const page: SimTrade[] = [];
  while (hi >= lo0 && page.length <= limit) {
    const lo = Math.max(lo0, hi - SLICE + 1);
    const slice: SimTrade[] = [];
    for (const m of candidates) {
      const e = w.marketEvent[m];
      if (w.eventOpenMs[e] > hi || w.eventCloseMs[e] <= lo) continue;
      for (const t of marketTradesDesc(w, m, lo, hi)) {
        if (after && before(t, after) <= 0) continue;
        slice.push(t);
      }
    }
    slice.sort(before);
    for (const t of slice) page.push(t);
    hi = lo - 1;
  }
  const more = page.length > limit || hi >= lo0;
  return { trades: page.slice(0, limit), more: more && page.length >= limit };
}
