/**
 * Which watched markets get their order book captured (`WS_ORDERBOOK_SCOPE`): `all`, `none`,
 * `series:A,B` (markets of those series), or `top:N` (the N with the highest `volume_24h`). The
 * order-book channel carries about ten times the ticker's traffic, hence a bounded default.
 * @module
 */
/** A parsed `WS_ORDERBOOK_SCOPE`. */
export type OrderbookScope =
  | { kind: "all" }
  | { kind: "none" }
  | { kind: "series"; series: readonly string[] }
  | { kind: "top"; n: number };

/** Largest N of `top:N`. */
export const MAX_ORDERBOOK_TOP = 100_000;

const SERIES = /^[A-Za-z0-9_.-]{1,64}$/;

/** What a `WS_ORDERBOOK_SCOPE` value must look like. */
export const ORDERBOOK_SCOPE_EXPECTED: string = "all | none | series:A,B (series tickers) | " +
  `top:N (N from 1 to ${MAX_ORDERBOOK_TOP}, the N watched markets with the highest volume_24h)`;

/** The problem of a `WS_ORDERBOOK_SCOPE` text, or null when it is valid. */
function scopeProblem(text: string): string | null {
  if (text === "all" || text === "none") return null;
  const series = /^series:(.+)$/.exec(text);
  if (series !== null) {
    const bad = series[1].split(",").find((s) => !SERIES.test(s.trim()));
    return bad === undefined ? null : `"${bad}" is not a series ticker`;
  }
  const top = /^top:([0-9]{1,7})$/.exec(text);
  if (top !== null) {
    const n = Number(top[1]);
    return n >= 1 && n <= MAX_ORDERBOOK_TOP ? null : `N=${n} is not from 1 to ${MAX_ORDERBOOK_TOP}`;
  }
  return "unknown form";
}

/**
 * Reads a `WS_ORDERBOOK_SCOPE` text (surrounding spaces ignored). Throws a RangeError naming the
 * expected forms, the problem and the text when it is not one of them.
 */
export function parseOrderbookScope(raw: string): OrderbookScope {
  const text = raw.trim();
  const problem = scopeProblem(text);
  if (problem !== null) {
    throw new RangeError(
      `expected ${ORDERBOOK_SCOPE_EXPECTED}; ${problem} in ${JSON.stringify(text)}`,
    );
  }
  if (text === "all" || text === "none") return { kind: text };
  if (text.startsWith("series:")) {
    return { kind: "series", series: text.slice(7).split(",").map((s) => s.trim()) };
  }
  return { kind: "top", n: Number(text.slice(4)) };
}

/** A watched market as the order-book scope sees it. */
export interface OrderbookCandidate {
  /** The market's ticker. */
  ticker: string;
  /** The ticker of the market's series, or null when unknown (never matches `series:`). */
  seriesTicker: string | null;
  /** `markets.volume_24h` as a decimal string (contracts), or null when unknown. */
  volume24h: string | null;
}

/** Compares two non-negative decimal strings exactly (null sorts lowest). */
function compareDecimal(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const [ai, af = ""] = a.replace(/^0+(?=\d)/, "").split(".");
  const [bi, bf = ""] = b.replace(/^0+(?=\d)/, "").split(".");
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const x = af.padEnd(width, "0");
  const y = bf.padEnd(width, "0");
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * The tickers of `candidates` whose order book is captured under `scope`, sorted. `top:N` breaks
 * ties by ticker, so the choice is stable between refreshes.
 */
export function selectOrderbookMarkets(
  candidates: readonly OrderbookCandidate[],
  scope: OrderbookScope,
): string[] {
  switch (scope.kind) {
    case "none":
      return [];
    case "all":
      return candidates.map((c) => c.ticker).sort();
    case "series": {
      const wanted = new Set(scope.series);
      return candidates.filter((c) => c.seriesTicker !== null && wanted.has(c.seriesTicker))
        .map((c) => c.ticker).sort();
    }
    case "top":
      return [...candidates]
        .sort((a, b) => compareDecimal(b.volume24h, a.volume24h) || (a.ticker < b.ticker ? -1 : 1))
        .slice(0, scope.n).map((c) => c.ticker).sort();
  }
}
