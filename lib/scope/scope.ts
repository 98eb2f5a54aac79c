/**
 * The ingestion scope: which series, events and markets the platform captures. One definition
 * shared by discovery (rest_service), backfill scheduling and live capture (ws_service).
 *
 * Every list is "everything" when empty. Matching is exact (Kalshi tickers and category names are
 * case-sensitive), except frequencies, which are compared case-insensitively.
 * @module
 */

/** Market statuses as Kalshi's REST API reports them. */
export const MARKET_STATUSES = [
  "initialized",
  "active",
  "inactive",
  "closed",
  "determined",
  "disputed",
  "amended",
  "finalized",
] as const;

/** A market status. */
export type MarketStatus = (typeof MARKET_STATUSES)[number];

/** The `status=` filter words of `GET /markets` and the statuses each stands for. */
export const STATUS_GROUPS: Readonly<Record<string, readonly MarketStatus[]>> = {
  unopened: ["initialized"],
  open: ["active", "inactive"],
  paused: ["inactive"],
  closed: ["closed", "determined", "disputed", "amended"],
  settled: ["finalized"],
};

/** What to capture. Empty lists mean "no restriction". */
export interface Scope {
  /** Series tickers, e.g. `["KXBTC", "KXFED"]`. */
  series: readonly string[];
  /** Categories (a series matches when its `category` or any of its `categories` is listed). */
  categories: readonly string[];
  /**
   * Strike periods: a series' `frequency` (e.g. `hourly`, `daily`, `fifteen_min`) or an event's
   * `strike_period`; lower-case.
   */
  frequencies: readonly string[];
  /** Market statuses a market must have when first discovered (see {@linkcode marketInScope}). */
  statuses: readonly MarketStatus[];
  /** Whether multivariate ("combo", `KXMVE…`) markets and events are captured. */
  includeCombos: boolean;
}

/** The default scope: everything, combos included. */
export const EVERYTHING: Scope = Object.freeze({
  series: [],
  categories: [],
  frequencies: [],
  statuses: [],
  includeCombos: true,
});

/** What scope decisions need to know about a series (the normalised `Series` fits). */
export interface ScopeSeries {
  /** The series ticker. */
  ticker: string;
  /** Its category, as Kalshi names it. */
  category?: string | null;
  /** Every category it is listed under. */
  categories?: readonly string[] | null;
  /** How often its events recur (`hourly`, `daily`, …). */
  frequency?: string | null;
}

/** What scope decisions need to know about an event (the normalised `KalshiEvent` fits). */
export interface ScopeEvent {
  /** The event ticker. */
  eventTicker: string;
  /** Its series' ticker. */
  seriesTicker: string;
  /** Its category. */
  category?: string | null;
  /** The span its markets cover (`day`, `week`, …), when Kalshi says. */
  strikePeriod?: string | null;
}

/** What scope decisions need to know about a market (the normalised `Market` fits). */
export interface ScopeMarket {
  /** The market ticker. */
  ticker: string;
  /** Its event's ticker. */
  eventTicker: string;
  /** Kalshi's market status (`active`, `closed`, …). */
  status: string;
  /** Set on multivariate markets. */
  mveCollectionTicker?: string | null;
  /** Known series ticker, when the caller has it (e.g. from the markets table). */
  seriesTicker?: string | null;
}

/** Options of {@linkcode marketInScope}. */
export interface MarketScopeOptions {
  /**
   * Skip the status filter: a market already captured stays in scope whatever its status
   * becomes (scheduling and updates use this; only first discovery filters by status).
   */
  ignoreStatus?: boolean;
}

/** Builds a scope from partial settings; missing fields mean "everything". */
export function createScope(partial: Partial<Scope> = {}): Scope {
  const statuses = new Set<MarketStatus>();
  for (const s of partial.statuses ?? []) statuses.add(s);
  return {
    series: [...new Set(partial.series ?? [])],
    categories: [...new Set(partial.categories ?? [])],
    frequencies: [...new Set((partial.frequencies ?? []).map((f) => f.toLowerCase()))],
    statuses: [...statuses],
    includeCombos: partial.includeCombos ?? true,
  };
}

/**
 * Expands status words: Kalshi's market statuses and the `GET /markets?status=` group words
 * (`unopened`, `open`, `paused`, `closed`, `settled`). Returns the unknown words separately.
 */
export function expandStatuses(
  words: readonly string[],
): { statuses: MarketStatus[]; unknown: string[] } {
  const statuses = new Set<MarketStatus>();
  const unknown: string[] = [];
  for (const raw of words) {
    const word = raw.trim().toLowerCase();
    // A group word wins: `closed` means what Kalshi's `status=closed` filter returns.
    if (word in STATUS_GROUPS) { for (const s of STATUS_GROUPS[word]) statuses.add(s); }
    else if ((MARKET_STATUSES as readonly string[]).includes(word)) {
      statuses.add(word as MarketStatus);
    } else unknown.push(raw);
  }
  return { statuses: [...statuses], unknown };
}

/** Whether the scope captures everything (no filter at all). */
export function isEverything(scope: Scope): boolean {
  return scope.series.length === 0 && scope.categories.length === 0 &&
    scope.frequencies.length === 0 && scope.statuses.length === 0 && scope.includeCombos;
}

/**
 * The series ticker of an event ticker by Kalshi's naming convention (`SERIES-REST`); a fallback
 * when neither the event nor the series is at hand.
 */
export function seriesTickerOfEvent(eventTicker: string): string {
  const dash = eventTicker.indexOf("-");
  return dash < 0 ? eventTicker : eventTicker.slice(0, dash);
}

/**
 * The event ticker of a market ticker by Kalshi's naming convention (`EVENT-OUTCOME`: everything
 * before the last dash); a fallback when the message names no event.
 */
export function eventTickerOfMarket(marketTicker: string): string {
  const dash = marketTicker.lastIndexOf("-");
  return dash < 0 ? marketTicker : marketTicker.slice(0, dash);
}

/** Whether a market is multivariate (a combo). */
export function isComboMarket(
  market: Pick<ScopeMarket, "ticker" | "mveCollectionTicker">,
): boolean {
  return (market.mveCollectionTicker ?? "") !== "" || market.ticker.startsWith("KXMVE");
}

/** Whether a series ticker is a multivariate one. */
export function isComboTicker(ticker: string): boolean {
  return ticker.startsWith("KXMVE");
}

function categoryMatches(scope: Scope, series: ScopeSeries | undefined, event?: ScopeEvent) {
  if (scope.categories.length === 0) return true;
  const names = new Set<string>();
  if (series?.category) names.add(series.category);
  for (const c of series?.categories ?? []) names.add(c);
  if (event?.category) names.add(event.category);
  if (names.size === 0) return false;
  return scope.categories.some((c) => names.has(c));
}

function frequencyMatches(scope: Scope, series: ScopeSeries | undefined, event?: ScopeEvent) {
  if (scope.frequencies.length === 0) return true;
  const values = [series?.frequency, event?.strikePeriod]
    .filter((v): v is string => typeof v === "string" && v !== "")
    .map((v) => v.toLowerCase());
  return values.some((v) => scope.frequencies.includes(v));
}

/** Whether a series is in scope (series, category and frequency filters). */
export function seriesInScope(scope: Scope, series: ScopeSeries): boolean {
  if (!scope.includeCombos && isComboTicker(series.ticker)) return false;
  if (scope.series.length > 0 && !scope.series.includes(series.ticker)) return false;
  if (!categoryMatches(scope, series)) return false;
  // An event's strike period may still match when the series' frequency does not.
  if (scope.frequencies.length > 0 && !series.frequency) return true;
  return frequencyMatches(scope, series);
}

/**
 * Whether an event is in scope. The series decides category and frequency; without it those
 * filters can only be checked against the event's own fields (conservatively: no match = out).
 */
export function eventInScope(scope: Scope, event: ScopeEvent, series?: ScopeSeries): boolean {
  if (!scope.includeCombos && isComboTicker(event.seriesTicker)) return false;
  if (scope.series.length > 0 && !scope.series.includes(event.seriesTicker)) return false;
  if (!categoryMatches(scope, series, event)) return false;
  return frequencyMatches(scope, series, event);
}

/**
 * Whether a market is in scope. Pass its event and series when known: category and frequency
 * filters need them, and a market whose series cannot be told is out of scope while such filters
 * are set (callers look them up, e.g. in the `events`/`series` tables; {@linkcode scopeNeeds}).
 * Without an event the series ticker falls back to `market.seriesTicker`, then to the event
 * ticker's prefix.
 */
export function marketInScope(
  scope: Scope,
  market: ScopeMarket,
  event?: ScopeEvent,
  series?: ScopeSeries,
  options: MarketScopeOptions = {},
): boolean {
  if (!scope.includeCombos && isComboMarket(market)) return false;
  if (
    !options.ignoreStatus && scope.statuses.length > 0 &&
    !(scope.statuses as readonly string[]).includes(market.status)
  ) return false;
  const seriesTicker = series?.ticker ?? event?.seriesTicker ?? market.seriesTicker ??
    seriesTickerOfEvent(market.eventTicker);
  if (scope.series.length > 0 && !scope.series.includes(seriesTicker)) return false;
  if (!categoryMatches(scope, series, event)) return false;
  return frequencyMatches(scope, series, event);
}

/** Which related objects {@linkcode marketInScope} needs under this scope to decide. */
export function scopeNeeds(scope: Scope): { event: boolean; series: boolean } {
  const detail = scope.categories.length > 0 || scope.frequencies.length > 0;
  return { event: detail, series: detail };
}
