/**
 * Order-book payloads: price levels as Kalshi sends them (current `[dollars, fixed-point]` string
 * pairs and legacy integer cents / contracts), the bodies of the WebSocket `orderbook_snapshot` and
 * `orderbook_delta` messages, and the REST answers of `GET /markets/{ticker}/orderbook` and
 * `GET /markets/orderbooks`. Levels normalise to {@linkcode OrderbookLevels} in exact units.
 */
import { z } from "zod";
import type { OrderbookLevel, OrderbookLevels } from "../orderbook.ts";
import {
  centsToPriceUnits,
  contractsToCountUnits,
  type CountUnits,
  type DecimalResult,
  decimalToUnits,
  dollarsToPriceUnits,
  fixedPointToCountUnits,
  PRICE_UNITS_PER_DOLLAR,
  type PriceUnits,
} from "../units.ts";
import {
  countShape,
  Label,
  priceShape,
  readCount,
  readPrice,
  requireCounts,
  requirePrices,
  requireStorableJson,
  Rfc3339,
  rfc3339Ms,
  SafeInteger,
  Ticker,
  UnixMillis,
  type Wire,
} from "./primitives.ts";

/** Longest decimal string accepted in a level (as for every other decimal field). */
const MAX_DECIMAL_TEXT = 32;

/** Most levels accepted on one side of a book (a 0.001-dollar grid has 999). */
export const MAX_ORDERBOOK_LEVELS = 10_000;

const LEVEL_EXPECTED =
  'expected a level [price, size]: price strictly between 0 and 1 dollar ("0.4200" ' +
  'or legacy integer cents), size not negative ("12.00" or legacy integer contracts)';

function levelPrice(value: string | number): PriceUnits {
  return typeof value === "string" ? dollarsToPriceUnits(value) : centsToPriceUnits(value);
}

function levelSize(value: string | number): CountUnits {
  return typeof value === "string" ? fixedPointToCountUnits(value) : contractsToCountUnits(value);
}

function insideDollar(price: PriceUnits): boolean {
  return price > 0 && price < PRICE_UNITS_PER_DOLLAR;
}

function unitsOf(value: string | number, scale: number, legacyScale: number): DecimalResult {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value >= 0 &&
        Number.isSafeInteger(value * legacyScale)
      ? { ok: true, value: value * legacyScale }
      : { ok: false, reason: "not a non-negative integer" };
  }
  if (value.length > MAX_DECIMAL_TEXT) {
    return { ok: false, reason: `longer than ${MAX_DECIMAL_TEXT} characters` };
  }
  return decimalToUnits(value, scale);
}

/** What is wrong with a wire level, or null. */
function levelProblem([price, size]: [string | number, string | number]): string | null {
  const p = unitsOf(price, 4, 100);
  if (!p.ok) return `price: ${p.reason}`;
  if (!insideDollar(p.value)) return "price not strictly between 0 and 1 dollar";
  const s = unitsOf(size, 2, 100);
  return s.ok ? null : `size: ${s.reason}`;
}

/** One wire level: `[price, size]`, each as a decimal string or a legacy integer. */
export const OrderbookLevelWire = z.tuple([
  z.union([z.string(), z.number()]),
  z.union([z.string(), z.number()]),
], { error: LEVEL_EXPECTED }).superRefine((level, ctx) => {
  const problem = levelProblem(level);
  if (problem !== null) {
    ctx.addIssue({ code: "custom", input: level, message: `${LEVEL_EXPECTED} (${problem})` });
  }
});

/** One side's wire levels, any order, no price twice. */
export const OrderbookSideWire = z.array(OrderbookLevelWire).max(MAX_ORDERBOOK_LEVELS, {
  error: `expected at most ${MAX_ORDERBOOK_LEVELS} price levels`,
}).superRefine((levels, ctx) => {
  const seen = new Set<number>();
  levels.forEach((level, i) => {
    let price: number;
    try {
      price = levelPrice(level[0]);
    } catch {
      return;
    }
    if (seen.has(price)) {
      ctx.addIssue({
        code: "custom",
        path: [i, 0],
        input: level[0],
        message: "expected each price at most once per side",
      });
    }
    seen.add(price);
  });
});

/** Normalises validated wire levels: exact units, ascending by price, empty levels dropped. */
export function readOrderbookSide(value: unknown): OrderbookLevel[] {
  if (!Array.isArray(value)) return [];
  const out: OrderbookLevel[] = [];
  for (const [p, s] of value as Array<[string | number, string | number]>) {
    const size = levelSize(s);
    if (size > 0) out.push([levelPrice(p), size]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The first present of the named wire sides (newest encoding first), normalised. */
function readSide(wire: Wire, names: readonly string[]): OrderbookLevel[] {
  for (const name of names) {
    if (Array.isArray(wire[name])) return readOrderbookSide(wire[name]);
  }
  return [];
}

/** Wire `orderbook_snapshot` body: a side's keys are omitted when it is empty. */
export const OrderbookSnapshotBodyWire = z.looseObject({
  market_ticker: Ticker,
  market_id: Label.nullish(),
  yes_dollars_fp: OrderbookSideWire.nullish(),
  no_dollars_fp: OrderbookSideWire.nullish(),
  yes_dollars: OrderbookSideWire.nullish(),
  no_dollars: OrderbookSideWire.nullish(),
  yes: OrderbookSideWire.nullish(),
  no: OrderbookSideWire.nullish(),
});

/** The levels of a validated snapshot body (`*_dollars_fp`, else `*_dollars`, else legacy). */
export function readSnapshotLevels(body: Wire): OrderbookLevels {
  return {
    yes: readSide(body, ["yes_dollars_fp", "yes_dollars", "yes"]),
    no: readSide(body, ["no_dollars_fp", "no_dollars", "no"]),
  };
}

const PRICE_RANGE_EXPECTED = "expected a level price strictly between 0 and 1 dollar";

/** Wire `orderbook_delta` body: signed size change at one level. */
export const OrderbookDeltaBodyWire = z.looseObject({
  market_ticker: Ticker,
  market_id: Label.nullish(),
  ...priceShape("price"),
  ...countShape("delta"),
  side: z.enum(["yes", "no"], { error: 'expected side "yes" or "no"' }),
  client_order_id: Label.nullish(),
  subaccount: SafeInteger.nullish(),
  ts: Rfc3339.nullish(),
  ts_ms: UnixMillis.nullish(),
}).superRefine((msg, ctx) => {
  requirePrices(msg, ctx, ["price"]);
  requireCounts(msg, ctx, ["delta"]);
  let price: PriceUnits | null = null;
  try {
    price = readPrice(msg, "price");
  } catch { /* reported by the field schema */ }
  if (price !== null && !insideDollar(price)) {
    ctx.addIssue({
      code: "custom",
      path: [msg.price_dollars != null ? "price_dollars" : "price"],
      input: msg.price_dollars ?? msg.price,
      message: PRICE_RANGE_EXPECTED,
    });
  }
});

/** Fields of a validated delta body in exact units. */
export function readDeltaBody(body: Wire): {
  side: "yes" | "no";
  price: PriceUnits;
  delta: CountUnits;
  tsMs: number | null;
  clientOrderId: string | null;
} {
  const ts = typeof body.ts === "string" ? rfc3339Ms(body.ts) : null;
  return {
    side: body.side as "yes" | "no",
    price: readPrice(body, "price") as PriceUnits,
    delta: readCount(body, "delta") as CountUnits,
    tsMs: typeof body.ts_ms === "number" ? body.ts_ms : ts,
    clientOrderId: typeof body.client_order_id === "string" ? body.client_order_id : null,
  };
}

/** Wire `orderbook_fp` object of the REST answers (Go may send a side as null when empty). */
export const OrderbookFpWire = z.looseObject({
  yes_dollars: OrderbookSideWire.nullish(),
  no_dollars: OrderbookSideWire.nullish(),
});

function readFp(fp: Wire): OrderbookLevels {
  return { yes: readOrderbookSide(fp.yes_dollars), no: readOrderbookSide(fp.no_dollars) };
}

/** `GET /markets/{ticker}/orderbook`, normalised. */
export interface OrderbookResponse {
  levels: OrderbookLevels;
  raw: Wire;
}

/** `GET /markets/{ticker}/orderbook` → `{orderbook_fp: {yes_dollars, no_dollars}}`. */
export const OrderbookResponseSchema = z.looseObject({ orderbook_fp: OrderbookFpWire })
  .superRefine(requireStorableJson)
  .transform((wire): OrderbookResponse => ({ levels: readFp(wire.orderbook_fp), raw: wire }));

/** One market's book in `GET /markets/orderbooks`. */
export interface MarketOrderbook {
  /** The market ticker. */
  ticker: string;
  /** Its book. */
  levels: OrderbookLevels;
}

/** `GET /markets/orderbooks`, normalised. */
export interface OrderbooksResponse {
  orderbooks: MarketOrderbook[];
  raw: Wire;
}

/** Most books accepted in one `GET /markets/orderbooks` answer (Kalshi takes ≤ 100 tickers). */
export const MAX_ORDERBOOKS_PER_ANSWER = 1000;

/** `GET /markets/orderbooks` → `{orderbooks: [{ticker, orderbook_fp}]}`. */
export const OrderbooksResponseSchema = z.looseObject({
  orderbooks: z.array(z.looseObject({ ticker: Ticker, orderbook_fp: OrderbookFpWire }))
    .max(MAX_ORDERBOOKS_PER_ANSWER, {
      error: `expected at most ${MAX_ORDERBOOKS_PER_ANSWER} order books`,
    }).nullish(),
}).superRefine(requireStorableJson).transform((wire): OrderbooksResponse => ({
  orderbooks: (wire.orderbooks ?? []).map((b) => ({
    ticker: b.ticker,
    levels: readFp(b.orderbook_fp),
  })),
  raw: wire,
}));
