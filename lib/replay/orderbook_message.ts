/**
 * Order-book messages as Kalshi sends them on `orderbook_delta`: `orderbook_snapshot` (both sides'
 * bids as `[dollars, contracts]` pairs, ascending, a side's key omitted when empty) and
 * `orderbook_delta` (`price_dollars`, signed `delta_fp`, `side`, `ts`, `ts_ms`), built from the
 * stored exact units.
 * @module
 */
import {
  countUnitsToFixedPoint,
  type OrderbookLevel,
  type OrderbookLevels,
  type OrderbookSide,
  priceUnitsToDollars,
} from "../kalshi/mod.ts";

/** The order-book channel. */
export const ORDERBOOK_CHANNEL = "orderbook_delta";

const wireSide = (levels: readonly OrderbookLevel[]) =>
  levels.map(([p, s]) => [priceUnitsToDollars(p), countUnitsToFixedPoint(s)]);

/** Kalshi's `orderbook_snapshot` body of one market's book. */
export function snapshotMsg(ticker: string, levels: OrderbookLevels): Record<string, unknown> {
  const msg: Record<string, unknown> = { market_ticker: ticker };
  if (levels.yes.length > 0) msg.yes_dollars_fp = wireSide(levels.yes);
  if (levels.no.length > 0) msg.no_dollars_fp = wireSide(levels.no);
  return msg;
}

/** A stored delta: side, price (1/10000 dollar), signed size change (1/100 contract), time. */
export interface StoredDelta {
  ticker: string;
  side: OrderbookSide;
  price: number;
  delta: number;
  tsMs: number;
}

/** Kalshi's `orderbook_delta` body. */
export function deltaMsg(d: StoredDelta): Record<string, unknown> {
  return {
    market_ticker: d.ticker,
    price_dollars: priceUnitsToDollars(d.price),
    delta_fp: countUnitsToFixedPoint(d.delta),
    side: d.side,
    ts: rfc3339(d.tsMs),
    ts_ms: d.tsMs,
  };
}

/** RFC 3339 in UTC with only the fraction digits needed ("…T04:00:04.828Z", "…T04:00:04Z"). */
function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}
