/**
 * The market page's order book at an instant (server-rendered, no JavaScript): a form choosing
 * the instant, a price ladder (YES bids and YES asks, the asks being NO bids at 1 − price) and a
 * cumulative depth chart, all from the rebuilt book (lib/orderbook `bookAt`).
 */
import {
  countUnitsToFixedPoint,
  PRICE_UNITS_PER_DOLLAR,
  priceUnitsToDollars,
} from "@kalshi-data/lib/kalshi";
import type { BookAt } from "@kalshi-data/lib/orderbook";
import { count, dollars, time } from "./format.ts";
import { Empty } from "./tables.tsx";

/** Levels shown on each side of the ladder (the ones nearest the touch). */
export const LADDER_LEVELS = 50;

/** A level: [price, size] in 1/10000 dollar and 1/100 contract. */
type Level = readonly [number, number];

/** One ladder row: a YES price with the YES bid or YES ask resting there (1/100 contracts). */
interface Rung {
  price: number;
  bid: number | null;
  ask: number | null;
}

/** Asks (highest first) above bids (highest first), each side cut to its best `LADDER_LEVELS`. */
function ladder(book: Extract<BookAt, { status: "ok" }>["book"]) {
  const bids = book.levels("yes").reverse();
  // NO bids, best first, as YES asks (ascending YES price, best first).
  const asks = book.levels("no").reverse().map(([p, s]): Level => [PRICE_UNITS_PER_DOLLAR - p, s]);
  const rungs: Rung[] = [
    ...asks.slice(0, LADDER_LEVELS).reverse().map(([p, s]) => ({ price: p, bid: null, ask: s })),
    ...bids.slice(0, LADDER_LEVELS).map(([p, s]) => ({ price: p, bid: s, ask: null })),
  ];
  const hidden = Math.max(0, bids.length - LADDER_LEVELS) +
    Math.max(0, asks.length - LADDER_LEVELS);
  return { rungs, hidden, bids, asks };
}

const size = (units: number | null) => (units === null ? "" : count(countUnitsToFixedPoint(units)));

function Ladder({ rungs }: { rungs: Rung[] }) {
  return (
    <table class="data orderbook-ladder" data-testid="orderbook-ladder">
      <thead>
        <tr>
          <th class="num">YES bids</th>
          <th class="num">YES price</th>
          <th class="num">YES asks</th>
          <th class="num">NO price</th>
        </tr>
      </thead>
      <tbody>
        {rungs.map((r) => (
          <tr data-side={r.bid === null ? "ask" : "bid"}>
            <td class="num">{size(r.bid)}</td>
            <td class="num">{dollars(priceUnitsToDollars(r.price))}</td>
            <td class="num">{size(r.ask)}</td>
            <td class="num">{dollars(priceUnitsToDollars(PRICE_UNITS_PER_DOLLAR - r.price))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Cumulative size at each level, walking away from the touch: [price, total][]. */
function cumulative(levels: readonly Level[]): Level[] {
  let total = 0;
  return levels.map(([p, s]) => [p, total += s]);
}

/** The price window of the chart: every level, plus a margin of a tenth (at least 1 cent). */
function priceWindow(levels: readonly Level[]): [number, number] {
  const prices = levels.map(([p]) => p);
  const [lo, hi] = [Math.min(...prices), Math.max(...prices)];
  const margin = Math.max(100, Math.round((hi - lo) / 10));
  return [Math.max(0, lo - margin), Math.min(PRICE_UNITS_PER_DOLLAR, hi + margin)];
}

/**
 * Cumulative depth against YES price: bids (green) accumulate from the best bid down, asks (red)
 * from the best ask up, over the window holding the levels. Only pixel positions are floats.
 */
function DepthChart({ bids, asks }: { bids: readonly Level[]; asks: readonly Level[] }) {
  const [width, height, pad] = [720, 160, 16];
  const cumBids = cumulative(bids);
  const cumAsks = cumulative(asks);
  const max = Math.max(1, cumBids.at(-1)?.[1] ?? 0, cumAsks.at(-1)?.[1] ?? 0);
  const [lo, hi] = priceWindow([...bids, ...asks]);
  const x = (p: number) => (((p - lo) / Math.max(1, hi - lo)) * width).toFixed(1);
  const y = (s: number) => (height - (s / max) * (height - pad)).toFixed(1);
  // A step outline: flat to each level's price, then up to its cumulative size.
  const steps = (points: readonly Level[], edge: number) => {
    if (points.length === 0) return "";
    const path = [`${x(points[0][0])},${y(0)}`];
    let prev = 0;
    for (const [p, s] of points) {
      path.push(`${x(p)},${y(prev)}`, `${x(p)},${y(s)}`);
      prev = s;
    }
    path.push(`${x(edge)},${y(prev)}`, `${x(edge)},${y(0)}`);
    return path.join(" ");
  };
  const label = (p: number) => dollars(priceUnitsToDollars(p));
  return (
    <svg
      class="chart depth-chart"
      viewBox={`0 0 ${width} ${height + 16}`}
      role="img"
      aria-label="Cumulative depth: YES bids and YES asks against YES price"
      data-testid="orderbook-depth"
    >
      <title>Cumulative depth</title>
      <line x1="0" y1={height} x2={width} y2={height} class="axis" />
      <polygon class="depth-bids" points={steps(cumBids, lo)} fill="#1a7f37" fill-opacity="0.35" />
      <polygon class="depth-asks" points={steps(cumAsks, hi)} fill="#cf222e" fill-opacity="0.35" />
      <text x="0" y={height + 14} class="tick-label">{label(lo)}</text>
      <text x={width} y={height + 14} class="tick-label end">{label(hi)}</text>
      <text x={width} y="12" class="tick-label end">
        {`max ${count(countUnitsToFixedPoint(max))} contracts`}
      </text>
    </svg>
  );
}

function AtForm({ ticker, at }: { ticker: string; at: Date }) {
  return (
    <form method="get" action={`/markets/${encodeURIComponent(ticker)}`} class="inline">
      <label>
        At (ISO 8601, UTC){" "}
        <input
          type="text"
          name="at"
          id="orderbook-at"
          value={at.toISOString()}
          size={26}
          maxLength={40}
        />
      </label>
      <button type="submit">Show book</button>
      <a href={`/api/markets/${encodeURIComponent(ticker)}/orderbook?at=${at.toISOString()}`}>
        JSON
      </a>
    </form>
  );
}

/** The order-book section of a market page. */
export function OrderBookSection(
  { ticker, at, result }: { ticker: string; at: Date; result: BookAt },
) {
  if (result.status === "unknown_market") {
    return (
      <section id="orderbook">
        <h2>Order book</h2>
        <Empty>No order book stored for this market.</Empty>
      </section>
    );
  }
  return (
    <section id="orderbook">
      <h2>Order book</h2>
      <AtForm ticker={ticker} at={at} />
      {result.status === "no_data"
        ? <Empty>No order book stored at or before {time(at)}.</Empty>
        : <Book result={result} />}
    </section>
  );
}

function Book({ result }: { result: Extract<BookAt, { status: "ok" }> }) {
  const { rungs, hidden, bids, asks } = ladder(result.book);
  return (
    <>
      <p class="muted" data-testid="orderbook-source">
        Rebuilt from the {result.snapshot.kind} snapshot of {time(new Date(result.snapshot.tsMs))}
        {" "}
        plus {result.deltas} delta(s)
        {result.refused.length > 0 ? `; ${result.refused.length} stored delta(s) refused` : ""}.
        {hidden > 0 ? ` ${hidden} level(s) further from the touch are not listed.` : ""}
      </p>
      {rungs.length === 0 ? <Empty>The book was empty.</Empty> : (
        <>
          <DepthChart bids={bids} asks={asks} />
          <Ladder rungs={rungs} />
        </>
      )}
    </>
  );
}
