/**
 * The simulator's deterministic world: series → events → markets laid out in time from a seed.
 * Per-market data is a handful of typed-array slots; everything else (prices, trades, objects) is
 * derived on demand from (seed, index, time), so 100,000+ markets stay small in memory.
 * Units: times in Unix ms; prices in integer 1/10000 dollar; counts in integer hundredths.
 */
import { dateCode } from "./format.ts";
import { hash32, intIn, unit, uuidFrom } from "./prng.ts";

/** Options for {@link createWorld}. */
export interface WorldOptions {
  /** Seed of everything random (default 1). */
  seed?: number;
  /** Number of markets (default 200). */
  markets?: number;
  /** The world's "now" at creation (Unix ms); layout is relative to it. */
  epochMs: number;
  /** How far back settled history reaches, days (default 14). */
  historyDays?: number;
  /** How far ahead future markets open, days (default 2). */
  futureDays?: number;
  /** Historical cutoff lag behind the clock, days (default 7); the cutoff is the UTC midnight before `now - lag`. */
  cutoffLagDays?: number;
  /** Fraction (0..0.9, default 0) of events laid out as multivariate combo (`KXMVE…`) events. */
  comboShare?: number;
}

/** One leg of a combo market: a non-combo market and the side the combo takes on it. */
export interface ComboLeg {
  /** Index of the leg's market in the world's market arrays. */
  market: number;
  /** The side the combo takes on it. */
  side: "yes" | "no";
}

/** A frequency class: how long events last and how often their prices step. */
export interface FrequencyClass {
  frequency: string;
  durationMs: number;
  stepMs: number;
  withTime: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The frequency classes series are drawn from. */
export const FREQUENCIES: readonly FrequencyClass[] = [
  { frequency: "fifteen_min", durationMs: 15 * MIN, stepMs: 5_000, withTime: true },
  { frequency: "hourly", durationMs: HOUR, stepMs: 15_000, withTime: true },
  { frequency: "daily", durationMs: DAY, stepMs: 120_000, withTime: false },
  { frequency: "weekly", durationMs: 7 * DAY, stepMs: 600_000, withTime: false },
];

const CATEGORIES = [
  "Economics",
  "Climate and Weather",
  "Financials",
  "Crypto",
  "Sports",
  "Politics",
];
const SYLLABLES = [
  "BA",
  "CO",
  "DE",
  "FI",
  "GA",
  "HI",
  "JU",
  "KE",
  "LO",
  "MA",
  "NU",
  "PE",
  "RA",
  "SO",
  "TI",
  "VO",
  "WE",
  "ZY",
];

/** One series (small: at most a few thousand per world). */
export interface SeriesInfo {
  /** Position in `World.series`. */
  index: number;
  /** Series ticker. */
  ticker: string;
  /** Series title. */
  title: string;
  /** Category. */
  category: string;
  /** Frequency class (index into the world's frequencies). */
  frequencyClass: number;
  /** Fee type. */
  feeType: string;
  /** Seconds from determination to settlement. */
  settlementTimerSeconds: number;
  /** Kalshi-style exchange index. */
  exchangeIndex: number;
  /** Price tick, 1/10000 dollar. */
  tickUnits: number;
  /** Price level structure name. */
  priceLevelStructure: string;
  /** When the series was last updated, Unix ms. */
  lastUpdatedMs: number;
}

/** Lifecycle message kinds a market goes through (ordered as they happen). */
export type LifecycleKind =
  | "created"
  | "deactivated"
  | "activated"
  | "close_date_updated"
  | "determined"
  | "settled";

/** Market status values as REST reports them. */
export type MarketStatus =
  | "initialized"
  | "active"
  | "inactive"
  | "closed"
  | "determined"
  | "finalized";

/** The seeded world: layout arrays plus lookups. */
export interface World {
  /** The seed the world was built from (same seed, same world). */
  seed: number;
  /** Start of the world's timeline, Unix ms. */
  epochMs: number;
  /** How far the historical cutoff lags the clock, ms. */
  cutoffLagMs: number;
  /** Every series. */
  series: SeriesInfo[];
  /** Series index by ticker. */
  seriesByTicker: Map<string, number>;
  /** Number of events. */
  eventCount: number;
  /** Number of markets. */
  marketCount: number;
  /** Event tickers by event index. */
  eventTickers: string[];
  /** Event index by ticker. */
  eventByTicker: Map<string, number>;
  /** Series index of each event. */
  eventSeries: Int32Array;
  /** Index of each event's first market (its markets are contiguous). */
  eventFirstMarket: Int32Array;
  /** Number of markets of each event. */
  eventMarketCount: Uint8Array;
  /** Creation time of each event, Unix ms. */
  eventCreatedMs: Float64Array;
  /** Open time of each event, Unix ms. */
  eventOpenMs: Float64Array;
  /** Actual close (after any early close). */
  eventCloseMs: Float64Array;
  /** Close time announced at creation; differs from eventCloseMs when the event closes early. */
  eventScheduledCloseMs: Float64Array;
  /** When `close_date_updated` is sent (NaN if never). */
  eventCloseUpdateMs: Float64Array;
  /** Determination time of each event, Unix ms. */
  eventDeterminedMs: Float64Array;
  /** Settlement time of each event, Unix ms. */
  eventSettledMs: Float64Array;
  /** Lowest strike of each event's markets. */
  eventStrikeBase: Int32Array;
  /** Strike step between each event's markets. */
  eventStrikeStep: Int32Array;
  /** Market tickers by market index. */
  marketTickers: string[];
  /** Market index by ticker. */
  marketByTicker: Map<string, number>;
  /** Event index of each market. */
  marketEvent: Int32Array;
  /** 1 = yes, 2 = no. */
  marketResult: Uint8Array;
  /** Trading pause window [start, end) or NaN. */
  marketPauseStartMs: Float64Array;
  /** End of each market's trading pause (NaN if none). */
  marketPauseEndMs: Float64Array;
  /** Step length per market, ms (from its series' frequency class). */
  marketStepMs: Int32Array;
  /** 1 = multivariate combo (`KXMVE…`) event; all zero unless `comboShare` > 0. */
  eventCombo: Uint8Array;
  /** Legs of each combo market (absent for other markets). */
  comboLegs: Map<number, ComboLeg[]>;
}

/** Combo collection series appended after the regular ones when `comboShare` > 0. */
const COMBO_SERIES = ["KXMVESIMMULTIGAME", "KXMVESIMCROSSCATEGORY"];

function hex(seed: number, n: number, ...parts: number[]): string {
  let out = "";
  for (let i = 0; out.length < n; i++) {
    out += hash32(seed, ...parts, i).toString(16).toUpperCase().padStart(8, "0");
  }
  return out.slice(0, n);
}

/** Whether event e is a multivariate combo event. */
export function isComboEvent(w: World, e: number): boolean {
  return w.eventCombo[e] === 1;
}

/** Whether market m is a multivariate combo market. */
export function isComboMarket(w: World, m: number): boolean {
  return w.eventCombo[w.marketEvent[m]] === 1;
}

/** The `mve_collection_ticker` of a combo event's series. */
export function comboCollectionTicker(s: SeriesInfo): string {
  return `${s.ticker}-R`;
}

function seriesTicker(seed: number, i: number, used: Set<string>): string {
  for (let attempt = 0;; attempt++) {
    const n = intIn(2, 3, seed, 11, i, attempt);
    let t = "KX";
    for (let s = 0; s < n; s++) t += SYLLABLES[hash32(seed, 12, i, attempt, s) % SYLLABLES.length];
    if (attempt > 3) t += String(i);
    if (!used.has(t)) {
      used.add(t);
      return t;
    }
  }
}

/** The options of {@link createWorld} with defaults applied, in the units layout uses. */
interface Layout {
  seed: number;
  marketTarget: number;
  epochMs: number;
  historyMs: number;
  futureMs: number;
  cutoffLagMs: number;
  comboShare: number;
}

/** An event's drafted times, before events are ordered by creation. */
interface Draft {
  e: number;
  series: number;
  created: number;
  open: number;
  close: number;
}

function layoutOf(options: WorldOptions): Layout {
  const comboShare = Math.min(0.9, Math.max(0, options.comboShare ?? 0));
  return {
    seed: (options.seed ?? 1) >>> 0,
    marketTarget: Math.max(1, Math.floor(options.markets ?? 200)),
    epochMs: Math.floor(options.epochMs / MIN) * MIN,
    historyMs: (options.historyDays ?? 14) * DAY,
    futureMs: (options.futureDays ?? 2) * DAY,
    cutoffLagMs: (options.cutoffLagDays ?? 7) * DAY,
    comboShare,
  };
}

/** The regular series: about one per 40 markets, 3 to 5000. */
function regularSeries(l: Layout): SeriesInfo[] {
  const { seed, epochMs } = l;
  const seriesCount = Math.min(5000, Math.max(3, Math.round(l.marketTarget / 40)));
  const usedSeries = new Set<string>();
  const series: SeriesInfo[] = [];
  for (let i = 0; i < seriesCount; i++) {
    // Longer frequencies only when the history can hold them.
    let fc = hash32(seed, 13, i) % FREQUENCIES.length;
    while (fc > 0 && FREQUENCIES[fc].durationMs * 2 > l.historyMs + l.futureMs) fc--;
    const deci = unit(seed, 14, i) < 0.15;
    series.push({
      index: i,
      ticker: seriesTicker(seed, i, usedSeries),
      title: `Simulated ${FREQUENCIES[fc].frequency.replace("_", " ")} index ${i}`,
      category: CATEGORIES[hash32(seed, 15, i) % CATEGORIES.length],
      frequencyClass: fc,
      feeType: unit(seed, 16, i) < 0.7 ? "quadratic" : "quadratic_with_maker_fees",
      settlementTimerSeconds: [1, 5, 60, 300][hash32(seed, 17, i) % 4],
      exchangeIndex: hash32(seed, 18, i) % 4 === 0 ? 2 : 0,
      tickUnits: deci ? 10 : 100,
      priceLevelStructure: deci ? "deci_cent" : "linear_cent",
      lastUpdatedMs: epochMs - 30 * DAY - intIn(0, 1000, seed, 19, i) * MIN,
    });
  }
  return series;
}

/** Appends the combo collection series to `series`; returns their indexes. */
function appendComboSeries(l: Layout, series: SeriesInfo[]): number[] {
  const comboSeries: number[] = [];
  for (const [k, ticker] of COMBO_SERIES.entries()) {
    comboSeries.push(series.length);
    series.push({
      index: series.length,
      ticker,
      title: `Simulated combo collection ${k}`,
      category: "Sports",
      frequencyClass: 0,
      feeType: "quadratic_with_combo_maker_fees",
      settlementTimerSeconds: 5,
      exchangeIndex: 1,
      tickUnits: 10,
      priceLevelStructure: "deci_cent",
      lastUpdatedMs: l.epochMs - 30 * DAY - intIn(0, 1000, l.seed, 50, k) * MIN,
    });
  }
  return comboSeries;
}

/** How many markets each event has (1–5), summing to the target. */
function marketsPerEvent(l: Layout): number[] {
  const counts: number[] = [];
  for (let total = 0, e = 0; total < l.marketTarget; e++) {
    const n = Math.min(l.marketTarget - total, intIn(1, 5, l.seed, 20, e));
    counts.push(n);
    total += n;
  }
  return counts;
}

/**
 * Each event's regular series and times, in creation order (so newest-first listings are a reverse walk).
 * Regimes: 50% past (settled), 35% open now, 15% future.
 */
function draftEvents(l: Layout, regular: readonly SeriesInfo[], eventCount: number): Draft[] {
  const { seed, epochMs, historyMs } = l;
  const drafts: Draft[] = new Array(eventCount);
  for (let e = 0; e < eventCount; e++) {
    const s = hash32(seed, 21, e) % regular.length;
    const fc = FREQUENCIES[regular[s].frequencyClass];
    const r = unit(seed, 22, e);
    const u = unit(seed, 23, e);
    let open: number;
    if (r < 0.5) {
      const span = Math.max(HOUR, historyMs - fc.durationMs - HOUR);
      open = epochMs - historyMs + u * span;
    } else if (r < 0.85) {
      open = epochMs - u * fc.durationMs * 0.95 - MIN;
    } else {
      open = epochMs + MIN + u * l.futureMs;
    }
    open = Math.floor(open / MIN) * MIN;
    const lead = intIn(10, 24 * 60, seed, 24, e) * MIN;
    drafts[e] = { e, series: s, created: open - lead, open, close: open + fc.durationMs };
  }
  drafts.sort((a, b) => a.created - b.created || a.e - b.e);
  return drafts;
}

/** A world with its series and zeroed layout arrays, no events or markets placed yet. */
function emptyWorld(l: Layout, series: SeriesInfo[], eventCount: number): World {
  const { marketTarget } = l;
  return {
    seed: l.seed,
    epochMs: l.epochMs,
    cutoffLagMs: l.cutoffLagMs,
    series,
    seriesByTicker: new Map(series.map((s) => [s.ticker, s.index])),
    eventCount,
    marketCount: 0,
    eventTickers: new Array(eventCount),
    eventByTicker: new Map(),
    eventSeries: new Int32Array(eventCount),
    eventFirstMarket: new Int32Array(eventCount),
    eventMarketCount: new Uint8Array(eventCount),
    eventCreatedMs: new Float64Array(eventCount),
    eventOpenMs: new Float64Array(eventCount),
    eventCloseMs: new Float64Array(eventCount),
    eventScheduledCloseMs: new Float64Array(eventCount),
    eventCloseUpdateMs: new Float64Array(eventCount),
    eventDeterminedMs: new Float64Array(eventCount),
    eventSettledMs: new Float64Array(eventCount),
    eventStrikeBase: new Int32Array(eventCount),
    eventStrikeStep: new Int32Array(eventCount),
    marketTickers: [],
    marketByTicker: new Map(),
    marketEvent: new Int32Array(marketTarget),
    marketResult: new Uint8Array(marketTarget),
    marketPauseStartMs: new Float64Array(marketTarget),
    marketPauseEndMs: new Float64Array(marketTarget),
    marketStepMs: new Int32Array(marketTarget),
    eventCombo: new Uint8Array(eventCount),
    comboLegs: new Map(),
  };
}

/** An event ticker not yet taken: same series and close minute get a letter, like Kalshi's suffixes. */
function uniqueEventTicker(w: World, ticker: string): string {
  if (!w.eventByTicker.has(ticker)) return ticker;
  let k = 1;
  const letter = (n: number) => n < 26 ? String.fromCharCode(65 + n) : `Z${n}`;
  while (w.eventByTicker.has(`${ticker}${letter(k)}`)) k++;
  return `${ticker}${letter(k)}`;
}

/** Places event i (from its draft) in the world: ticker, series, lifecycle times, strikes. */
function placeEvent(
  w: World,
  i: number,
  d: Draft,
  series: SeriesInfo,
  combo: boolean,
): void {
  const seed = w.seed;
  const fc = FREQUENCIES[w.series[d.series].frequencyClass];
  const key = d.e; // stable per-draft key for randomness
  const ticker = uniqueEventTicker(
    w,
    combo
      ? `${series.ticker}-S${new Date(d.created).getUTCFullYear()}${hex(seed, 11, 53, key)}`
      : `${series.ticker}-${dateCode(d.close, fc.withTime)}`,
  );
  w.eventTickers[i] = ticker;
  w.eventByTicker.set(ticker, i);
  w.eventSeries[i] = series.index;
  w.eventCombo[i] = combo ? 1 : 0;
  w.eventCreatedMs[i] = d.created;
  w.eventOpenMs[i] = d.open;
  // 10% close early: announced at creation with a later close, updated 5 minutes before the real close.
  const early = unit(seed, 25, key) < 0.1 && fc.durationMs >= HOUR;
  w.eventCloseMs[i] = d.close;
  w.eventScheduledCloseMs[i] = early ? d.close + fc.durationMs : d.close;
  w.eventCloseUpdateMs[i] = early ? d.close - 5 * MIN : NaN;
  w.eventDeterminedMs[i] = d.close + intIn(1, 10, seed, 26, key) * MIN +
    intIn(0, 999, seed, 27, key);
  w.eventSettledMs[i] = w.eventDeterminedMs[i] + series.settlementTimerSeconds * 1000 +
    intIn(0, 999, seed, 28, key);
  w.eventStrikeBase[i] = intIn(10, 500, seed, 29, key);
  w.eventStrikeStep[i] = intIn(1, 5, seed, 30, key);
}

/** Places event i's n markets from index m on: tickers, results, pause windows. */
function placeMarkets(w: World, i: number, d: Draft, n: number, m: number): void {
  const seed = w.seed;
  const fc = FREQUENCIES[w.series[d.series].frequencyClass];
  const key = d.e;
  const ticker = w.eventTickers[i];
  const combo = w.eventCombo[i] === 1;
  w.eventFirstMarket[i] = m;
  w.eventMarketCount[i] = n;
  const yesIndex = hash32(seed, 31, key) % n;
  for (let j = 0; j < n; j++, m++) {
    const strike = w.eventStrikeBase[i] + j * w.eventStrikeStep[i];
    const mt = combo ? `${ticker}-${hex(seed, 11, 54, key, j)}` : `${ticker}-T${strike}`;
    w.marketTickers.push(mt);
    w.marketByTicker.set(mt, m);
    w.marketEvent[m] = i;
    w.marketStepMs[m] = fc.stepMs;
    // Strikes ascend: markets at or below the realised level resolve yes.
    w.marketResult[m] = j <= yesIndex ? 1 : 2;
    const dur = d.close - d.open;
    if (unit(seed, 32, key, j) < 0.1 && dur >= HOUR) {
      const ps = d.open + Math.floor((0.3 + 0.4 * unit(seed, 33, key, j)) * dur / MIN) * MIN;
      w.marketPauseStartMs[m] = ps;
      w.marketPauseEndMs[m] = Math.min(ps + intIn(5, 30, seed, 34, key, j) * MIN, d.close - MIN);
    } else {
      w.marketPauseStartMs[m] = NaN;
      w.marketPauseEndMs[m] = NaN;
    }
  }
}

/** Builds the world for a seed and size; the same options always give the same world. */
export function createWorld(options: WorldOptions): World {
  const l = layoutOf(options);
  const series = regularSeries(l);
  const counts = marketsPerEvent(l);
  const drafts = draftEvents(l, series, counts.length);
  const comboSeries = l.comboShare > 0 ? appendComboSeries(l, series) : [];
  const w = emptyWorld(l, series, counts.length);
  let m = 0;
  for (let i = 0; i < counts.length; i++) {
    const d = drafts[i];
    const key = d.e;
    // Combo events keep the drafted times but belong to a combo collection series.
    const combo = l.comboShare > 0 && unit(l.seed, 51, key) < l.comboShare;
    const s = combo
      ? series[comboSeries[hash32(l.seed, 52, key) % comboSeries.length]]
      : series[d.series];
    placeEvent(w, i, d, s, combo);
    placeMarkets(w, i, d, counts[key], m);
    m += counts[key];
  }
  w.marketCount = m;
  if (l.comboShare > 0) layoutComboLegs(w);
  return w;
}

/** Picks 2–6 legs per combo market among regular markets created earlier (any when none were). */
function layoutComboLegs(w: World): void {
  const regular: number[] = [];
  for (let m = 0; m < w.marketCount; m++) if (!isComboMarket(w, m)) regular.push(m);
  let before = 0; // regular markets with index < m
  for (let m = 0; m < w.marketCount; m++) {
    if (!isComboMarket(w, m)) {
      before++;
      continue;
    }
    const pool = before > 0 ? before : regular.length;
    const legs: ComboLeg[] = [];
    const events = new Set<number>();
    const want = intIn(2, 6, w.seed, 55, m);
    for (let k = 0; k < want * 3 && legs.length < want && pool > 0; k++) {
      const leg = regular[hash32(w.seed, 56, m, k) % pool];
      if (events.has(w.marketEvent[leg])) continue;
      events.add(w.marketEvent[leg]);
      legs.push({ market: leg, side: hash32(w.seed, 57, m, k) % 2 === 0 ? "yes" : "no" });
    }
    w.comboLegs.set(m, legs);
  }
}

/** The historical cutoff at a time: UTC midnight before `now - lag` (advances daily like Kalshi's). */
export function cutoffMs(w: World, nowMs: number): number {
  return Math.floor((nowMs - w.cutoffLagMs) / DAY) * DAY;
}

/** Whether the market exists at `nowMs` (created). */
export function marketExists(w: World, m: number, nowMs: number): boolean {
  return w.eventCreatedMs[w.marketEvent[m]] <= nowMs;
}

/** Whether the market's trading is paused at `t`. */
export function isPaused(w: World, m: number, t: number): boolean {
  const ps = w.marketPauseStartMs[m];
  return ps === ps && t >= ps && t < w.marketPauseEndMs[m];
}

/** REST status of a market at `t` (assumes it exists). */
export function marketStatus(w: World, m: number, t: number): MarketStatus {
  const e = w.marketEvent[m];
  if (t < w.eventOpenMs[e]) return "initialized";
  if (t < w.eventCloseMs[e]) return isPaused(w, m, t) ? "inactive" : "active";
  if (t < w.eventDeterminedMs[e]) return "closed";
  if (t < w.eventSettledMs[e]) return "determined";
  return "finalized";
}

/** Whether a market is archived behind the historical cutoff at `nowMs`. */
export function isHistorical(w: World, m: number, nowMs: number): boolean {
  const settled = w.eventSettledMs[w.marketEvent[m]];
  return settled <= nowMs && settled < cutoffMs(w, nowMs);
}

/** Deterministic market id (UUID-shaped). */
export function marketId(w: World, m: number): string {
  return uuidFrom(w.seed, 40, m);
}

/** Close time as REST shows it at `t` (scheduled until the early-close update). */
export function visibleCloseMs(w: World, e: number, t: number): number {
  const upd = w.eventCloseUpdateMs[e];
  return upd === upd && t < upd ? w.eventScheduledCloseMs[e] : w.eventCloseMs[e];
}

/** Lifecycle message kinds by slot, for {@link lifecycleTimeAt}. */
export const LIFECYCLE_SLOTS: readonly LifecycleKind[] = [
  "created",
  "deactivated",
  "activated",
  "close_date_updated",
  "determined",
  "settled",
];

/** Time of lifecycle slot i (see {@link LIFECYCLE_SLOTS}) of market m, or NaN when it has none. */
export function lifecycleTimeAt(w: World, m: number, i: number): number {
  const e = w.marketEvent[m];
  switch (i) {
    case 0:
      return w.eventCreatedMs[e];
    case 1:
      return w.marketPauseStartMs[m];
    case 2:
      return w.marketPauseEndMs[m];
    case 3:
      return w.eventCloseUpdateMs[e];
    case 4:
      return w.eventDeterminedMs[e];
    default:
      return w.eventSettledMs[e];
  }
}

/** Lifecycle times of a market: [kind, time] pairs in order; `created` first. */
export function lifecycleTimes(w: World, m: number): Array<[LifecycleKind, number]> {
  const e = w.marketEvent[m];
  const out: Array<[LifecycleKind, number]> = [["created", w.eventCreatedMs[e]]];
  const ps = w.marketPauseStartMs[m];
  if (ps === ps) {
    out.push(["deactivated", ps], ["activated", w.marketPauseEndMs[m]]);
  }
  const upd = w.eventCloseUpdateMs[e];
  if (upd === upd) out.push(["close_date_updated", upd]);
  out.push(["determined", w.eventDeterminedMs[e]], ["settled", w.eventSettledMs[e]]);
  return out;
}

/** Strike of a market (whole units of the simulated underlying). */
export function marketStrike(w: World, m: number): number {
  const e = w.marketEvent[m];
  return w.eventStrikeBase[e] + (m - w.eventFirstMarket[e]) * w.eventStrikeStep[e];
}

/** The last non-trading update time of a market at `t` (created, opened, paused, close moved, determined, settled). */
export function marketUpdatedMs(w: World, m: number, t: number): number {
  const e = w.marketEvent[m];
  let u = w.eventCreatedMs[e];
  for (const [, at] of lifecycleTimes(w, m)) if (at <= t && at > u) u = at;
  if (w.eventOpenMs[e] <= t && w.eventOpenMs[e] > u) u = w.eventOpenMs[e];
  return u;
}
