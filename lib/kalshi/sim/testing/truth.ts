/**
 * Test and benchmark support: what the simulator's model says the database must hold — candles
 * of any period and trades of a market over a range, read from the model directly (never through
 * its HTTP surface), as canonical comparable lines.
 * @module
 */
import { dollarsToPriceUnits, fixedPointToCountUnits } from "../../units.ts";
import { liveCandles } from "../candles.ts";
import { stepsThrough, tradesAt } from "../market_path.ts";
import { MarketView } from "../objects.ts";
import { isHistorical } from "../world.ts";

export { MarketView };

/** What the simulator's model says the database must hold. */
export interface Truth {
  /** Canonical candle lines (see {@linkcode candleLine}). */
  candles: string[];
  /** Canonical trade lines (see {@linkcode tradeLine}). */
  trades: string[];
}

type Json = Record<string, unknown>;

function units(value: unknown, scale: "price" | "count"): string {
  if (value === null || value === undefined) return "-";
  const text = String(value);
  return String(scale === "price" ? dollarsToPriceUnits(text) : fixedPointToCountUnits(text));
}

/** One candle as a comparable line: prices in 1/10000 dollar, counts in 1/100 contract. */
export function candleLine(c: {
  ticker: string;
  period: number;
  endTs: number;
  source: string;
  yesBid: unknown[];
  yesAsk: unknown[];
  price: unknown[];
  volume: unknown;
  openInterest: unknown;
}): string {
  return [
    c.ticker,
    c.period,
    c.endTs,
    c.source,
    c.yesBid.map((v) => units(v, "price")).join(","),
    c.yesAsk.map((v) => units(v, "price")).join(","),
    c.price.map((v) => units(v, "price")).join(","),
    units(c.volume, "count"),
    units(c.openInterest, "count"),
  ].join("|");
}

/** One trade as a comparable line. */
export function tradeLine(t: {
  tradeId: string;
  ticker: string;
  createdMs: number;
  yesPrice: unknown;
  noPrice: unknown;
  count: unknown;
  outcomeSide: unknown;
  bookSide: unknown;
}): string {
  return [
    t.tradeId,
    t.ticker,
    t.createdMs,
    units(t.yesPrice, "price"),
    units(t.noPrice, "price"),
    units(t.count, "count"),
    t.outcomeSide,
    t.bookSide,
  ].join("|");
}

/** The model's candles of market `m` ending in `[from, to]` (Unix s), as canonical lines. */
export function modelCandleLines(
  view: MarketView,
  m: number,
  nowMs: number,
  [from, to]: readonly [number, number],
  period: 1 | 60 | 1440,
): string[] {
  const world = view.world;
  const ticker = world.marketTickers[m];
  const source = isHistorical(world, m, nowMs) ? "historical" : "live";
  return liveCandles(view, m, nowMs, from, to, period).map((c) => {
    const q = (o: unknown) => {
      const x = o as Json;
      return [x.open_dollars, x.low_dollars, x.high_dollars, x.close_dollars];
    };
    const p = c.price as Json;
    return candleLine({
      ticker,
      period,
      endTs: c.end_period_ts as number,
      source,
      yesBid: q(c.yes_bid),
      yesAsk: q(c.yes_ask),
      price: [
        p.open_dollars,
        p.low_dollars,
        p.high_dollars,
        p.close_dollars,
        p.mean_dollars,
        p.previous_dollars,
      ],
      volume: c.volume_fp,
      openInterest: c.open_interest_fp,
    });
  });
}

/** The model's trades of market `m` created in `[from, to]` (Unix s, inclusive) by `nowMs`. */
export function modelTradeLines(
  view: MarketView,
  m: number,
  nowMs: number,
  [from, to]: readonly [number, number],
): string[] {
  const world = view.world;
  const out: string[] = [];
  for (let k = 0; k < stepsThrough(world, m, nowMs); k++) {
    for (const t of tradesAt(world, m, k)) {
      if (t.tsMs > nowMs || t.tsMs < from * 1000 || t.tsMs > to * 1000 + 999) continue;
      const wire = view.trade(t);
      out.push(tradeLine({
        tradeId: String(wire.trade_id),
        ticker: world.marketTickers[m],
        createdMs: t.tsMs,
        yesPrice: wire.yes_price_dollars,
        noPrice: wire.no_price_dollars,
        count: wire.count_fp,
        outcomeSide: wire.taker_outcome_side,
        bookSide: wire.taker_book_side,
      }));
    }
  }
  return out;
}
