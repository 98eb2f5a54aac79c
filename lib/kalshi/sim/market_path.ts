/**
 * A market's price path, quotes, trades and running totals as pure functions of (seed, market, step).
 * Step k happens at open + k·stepMs; steps inside a trading pause are silent. Candles, REST fields and
 * WebSocket messages all derive from these functions, so they agree by construction.
 * Units: prices in 1/10000 dollar; counts in hundredths of a contract; times in Unix ms.
 */
import { h5, u5, uuidFrom } from "./prng.ts";
import { isPaused, type World } from "./world.ts";

/** Best bid/ask of the YES side after a step. */
export interface Quote {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}

/** One simulated trade. */
export interface SimTrade {
  market: number;
  step: number;
  j: number;
  tsMs: number;
  /** YES price, 1/10000 dollar. */
  yesPrice: number;
  /** Hundredths of a contract. */
  count: number;
  /** Taker bought YES (book side bid) or NO (ask). */
  takerYes: boolean;
  /** Whether the trade opened (true) or closed positions, for open interest. */
  opening: boolean;
}

/** Running totals through the first n steps of a market. */
export interface Totals {
  n: number;
  volume: number;
  openInterest: number;
  /** Sum of count·price in 1e-6 dollars (hundredths × 1/10000). */
  dollarVolume: number;
  /** Last trade YES price, or -1 if none yet. */
  lastPrice: number;
  lastSize: number;
}

/** Step length of a market, ms. */
export function stepMs(w: World, m: number): number {
  return w.marketStepMs[m];
}

/** Number of steps a market has over its trading life. */
export function stepCount(w: World, m: number): number {
  const e = w.marketEvent[m];
  const span = w.eventCloseMs[e] - w.eventOpenMs[e];
  return Math.ceil(span / stepMs(w, m));
}

/** Time of step k. */
export function stepTime(w: World, m: number, k: number): number {
  return w.eventOpenMs[w.marketEvent[m]] + k * stepMs(w, m);
}

/** Number of steps that happened at or before t (0 … stepCount). */
export function stepsThrough(w: World, m: number, t: number): number {
  const open = w.eventOpenMs[w.marketEvent[m]];
  if (t < open) return 0;
  return Math.min(stepCount(w, m), Math.floor((t - open) / stepMs(w, m)) + 1);
}

/**
 * Number of steps fully visible at t: like {@link stepsThrough}, but a step whose trades or ticker
 * fall after t is not counted yet (REST state never runs ahead of the WebSocket stream).
 */
export function stepsDone(w: World, m: number, t: number): number {
  let n = stepsThrough(w, m, t);
  while (n > 0) {
    const trades = tradesAt(w, m, n - 1);
    const last = trades.length ? trades[trades.length - 1].tsMs : stepTime(w, m, n - 1);
    if (last <= t) break;
    n--;
  }
  return n;
}

/** Whether step k is live (not inside a trading pause). */
export function stepLive(w: World, m: number, k: number): boolean {
  return !isPaused(w, m, stepTime(w, m, k));
}

const OCTAVES: ReadonlyArray<[number, number]> = [
  [2 * 86_400_000, 2200],
  [6 * 3_600_000, 1100],
  [3_600_000, 500],
  [600_000, 260],
];

// Memo of the last lattice pair per octave: consecutive steps of one market share coarse lattice points.
const memoSeed = new Float64Array(OCTAVES.length).fill(-1);
const memoM = new Float64Array(OCTAVES.length).fill(-1);
const memoI = new Float64Array(OCTAVES.length);
const memoA = new Float64Array(OCTAVES.length);
const memoB = new Float64Array(OCTAVES.length);

function valueNoise(seed: number, m: number, octave: number, x: number): number {
  const i = Math.floor(x);
  let f = x - i;
  f = f * f * (3 - 2 * f);
  let a: number;
  let b: number;
  if (memoM[octave] === m && memoI[octave] === i && memoSeed[octave] === seed) {
    a = memoA[octave];
    b = memoB[octave];
  } else {
    a = u5(seed, 50, m, octave, i) * 2 - 1;
    b = u5(seed, 50, m, octave, i + 1) * 2 - 1;
    memoSeed[octave] = seed;
    memoM[octave] = m;
    memoI[octave] = i;
    memoA[octave] = a;
    memoB[octave] = b;
  }
  return a + (b - a) * f;
}

/** Tick of the market's price grid (100 = one cent, 10 = a tenth of a cent). */
export function tickUnits(w: World, m: number): number {
  return w.series[w.eventSeries[w.marketEvent[m]]].tickUnits;
}

/** Mid price at time t, on the market's grid, drifting towards its result near close. */
export function midAt(w: World, m: number, t: number): number {
  const e = w.marketEvent[m];
  let p = 1500 + u5(w.seed, 51, m, 0, 0) * 7000;
  for (let o = 0; o < OCTAVES.length; o++) {
    p += OCTAVES[o][1] * valueNoise(w.seed, m, o, t / OCTAVES[o][0]);
  }
  const open = w.eventOpenMs[e];
  const close = w.eventCloseMs[e];
  let x = Math.min(1, Math.max(0, (t - open) / (close - open)));
  x = x * x * x * x;
  const target = w.marketResult[m] === 1 ? 9600 : 400;
  p = p * (1 - x) + target * x;
  const tick = tickUnits(w, m);
  p = Math.round(p / tick) * tick;
  return Math.min(9800, Math.max(200, p));
}

/** Best YES bid and ask right after step k (no sizes: the cheap part trades need). */
function bidAskAt(w: World, m: number, k: number): [number, number] {
  const tick = tickUnits(w, m);
  const mid = midAt(w, m, stepTime(w, m, k));
  const spread = (1 + h5(w.seed, 52, m, k, 0) % 4) * tick;
  const bid = Math.max(tick, mid - Math.floor(spread / 2 / tick) * tick);
  return [bid, Math.min(10000 - tick, bid + spread)];
}

/** The YES quote right after step k. */
export function quoteAt(w: World, m: number, k: number): Quote {
  const [bid, ask] = bidAskAt(w, m, k);
  const sizes = h5(w.seed, 53, m, k, 0);
  return {
    bid,
    ask,
    bidSize: 100 * (1 + (sizes & 0xffff) % 3000),
    askSize: 100 * (1 + (sizes >>> 16) % 3000),
  };
}

/** Activity of a market: probability that a step has a trade. */
function activity(w: World, m: number): number {
  return 0.1 + 0.6 * u5(w.seed, 55, m, 0, 0);
}

/** Trades of step k (0–2), in time order; empty for paused steps. */
export function tradesAt(w: World, m: number, k: number): SimTrade[] {
  if (!stepLive(w, m, k)) return [];
  const p = activity(w, m);
  const r = u5(w.seed, 56, m, k, 0);
  const n = r < p * p * 0.5 ? 2 : r < p ? 1 : 0;
  if (n === 0) return [];
  const [bid, ask] = bidAskAt(w, m, k);
  const t0 = stepTime(w, m, k);
  const window = Math.min(stepMs(w, m), 60_000) / 2;
  const out: SimTrade[] = [];
  let off = 0;
  for (let j = 0; j < n; j++) {
    // Two hashes per trade: size from one, the small choices from bit fields of the other.
    const size = u5(w.seed, 59, m, k, j);
    const bits = h5(w.seed, 58, m, k, j);
    off += 1 + (bits >>> 16) % Math.floor(window / 2);
    const takerYes = (bits & 1) === 1;
    const opening = ((bits >>> 1) & 1023) < 614; // ≈ 60 %
    let count = 100 * (1 + Math.floor(size * size * size * 500));
    if (((bits >>> 11) & 31) < 5) count = count - 100 + 1 + ((bits >>> 6) & 127) % 99; // ≈ 15 % fractional
    out.push({
      market: m,
      step: k,
      j,
      tsMs: t0 + off,
      yesPrice: takerYes ? ask : bid,
      count,
      takerYes,
      opening,
    });
  }
  return out;
}

/** Deterministic trade id (UUID-shaped). */
export function tradeId(w: World, t: SimTrade): string {
  return uuidFrom(w.seed, 63, t.market, t.step, t.j);
}

/** Applies step k's trades to `r` (mutates; sets r.n = k + 1). */
export function applyStepInPlace(w: World, m: number, k: number, r: Totals): void {
  r.n = k + 1;
  for (const t of tradesAt(w, m, k)) {
    r.volume += t.count;
    r.dollarVolume += t.count * t.yesPrice;
    r.openInterest += t.opening ? t.count : -Math.min(t.count, r.openInterest);
    r.lastPrice = t.yesPrice;
    r.lastSize = t.count;
  }
}

/** Zero totals (before the first step). */
export function zeroTotals(): Totals {
  return { n: 0, volume: 0, openInterest: 0, dollarVolume: 0, lastPrice: -1, lastSize: 0 };
}

/**
 * Caches running totals per market at one moving position (struct of arrays, ~40 bytes a market).
 * Positions usually only move forward (the clock is monotonic), so each step is summed once.
 */
export class TotalsCache {
  #n: Int32Array;
  #vol: Float64Array;
  #oi: Float64Array;
  #dv: Float64Array;
  #last: Int32Array;
  #lastSize: Float64Array;
  constructor(private world: World) {
    const size = world.marketCount;
    this.#n = new Int32Array(size);
    this.#vol = new Float64Array(size);
    this.#oi = new Float64Array(size);
    this.#dv = new Float64Array(size);
    this.#last = new Int32Array(size).fill(-1);
    this.#lastSize = new Float64Array(size);
  }
  /** Moves the cache forward to `s` when `s` is ahead of it (sharing work between caches). */
  seed(m: number, s: Totals): void {
    if (this.#n[m] >= s.n) return;
    this.#n[m] = s.n;
    this.#vol[m] = s.volume;
    this.#oi[m] = s.openInterest;
    this.#dv[m] = s.dollarVolume;
    this.#last[m] = s.lastPrice;
    this.#lastSize[m] = s.lastSize;
  }

  /** Totals through the first n steps; advances the cache when n is at or past it. */
  at(m: number, n: number): Totals {
    let s: Totals;
    const cached = this.#n[m];
    if (cached <= n) {
      s = {
        n: cached,
        volume: this.#vol[m],
        openInterest: this.#oi[m],
        dollarVolume: this.#dv[m],
        lastPrice: this.#last[m],
        lastSize: this.#lastSize[m],
      };
    } else {
      s = zeroTotals();
    }
    for (let k = s.n; k < n; k++) applyStepInPlace(this.world, m, k, s);
    s.n = n;
    if (cached <= n) {
      this.#n[m] = n;
      this.#vol[m] = s.volume;
      this.#oi[m] = s.openInterest;
      this.#dv[m] = s.dollarVolume;
      this.#last[m] = s.lastPrice;
      this.#lastSize[m] = s.lastSize;
    }
    return s;
  }
}
