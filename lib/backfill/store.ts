/**
 * Writes backfilled rows: candles upserted by `(market_ticker, period_minutes, end_period_ts)`,
 * trades inserted once by `trade_id`, and the high-water marks that say how far a market's
 * history is stored without holes. Money leaves memory as exact decimal strings (`numeric`).
 * @module
 */
import type postgres from "postgres";
import type { Queryable } from "../db/mod.ts";
import {
  type Candlestick,
  countUnitsToFixedPoint,
  priceUnitsToDollars,
  type Trade,
} from "../kalshi/mod.ts";

/** Where candles came from (the `candles.source` column). */
export type CandleSource = "live" | "historical";
/** Where REST trades came from (the `trades.source` column). */
export type TradeSource = "rest" | "historical";

const ROWS_PER_STATEMENT = 1000;

const KNOWN_CANDLE_KEYS = new Set([
  "end_period_ts",
  "yes_bid",
  "yes_ask",
  "price",
  "volume",
  "volume_fp",
  "open_interest",
  "open_interest_fp",
]);

function price(units: number | null): string | null {
  return units === null ? null : priceUnitsToDollars(units);
}

/** Payload fields without a column (e.g. event candles' `price.min_dollars`), else null. */
function candleExtra(c: Candlestick): Record<string, unknown> | null {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.raw)) {
    if (!KNOWN_CANDLE_KEYS.has(key)) extra[key] = value;
  }
  if (c.price.min !== null) extra.price_min = priceUnitsToDollars(c.price.min);
  if (c.price.max !== null) extra.price_max = priceUnitsToDollars(c.price.max);
  return Object.keys(extra).length === 0 ? null : extra;
}

/** The `candles` row of one candlestick (prices in dollars, counts in contracts, exact). */
export function candleRow(
  ticker: string,
  periodMinutes: number,
  source: CandleSource,
  c: Candlestick,
): Record<string, string | number | Date | null | postgres.JSONValue> {
  return {
    market_ticker: ticker,
    period_minutes: periodMinutes,
    end_period_ts: new Date(c.endPeriodTs * 1000),
    yes_bid_open: price(c.yesBid.open),
    yes_bid_low: price(c.yesBid.low),
    yes_bid_high: price(c.yesBid.high),
    yes_bid_close: price(c.yesBid.close),
    yes_ask_open: price(c.yesAsk.open),
    yes_ask_low: price(c.yesAsk.low),
    yes_ask_high: price(c.yesAsk.high),
    yes_ask_close: price(c.yesAsk.close),
    price_open: price(c.price.open),
    price_low: price(c.price.low),
    price_high: price(c.price.high),
    price_close: price(c.price.close),
    price_mean: price(c.price.mean),
    price_previous: price(c.price.previous),
    volume: countUnitsToFixedPoint(c.volume),
    open_interest: countUnitsToFixedPoint(c.openInterest),
    source,
    extra: candleExtra(c) as postgres.JSONValue,
  };
}

/**
 * Upserts one market's candles of one period; a re-fetch overwrites (the latest candle of a live
 * market may still change). Returns how many rows were written.
 */
export async function storeCandles(
  tx: Queryable,
  batch: { ticker: string; periodMinutes: number; source: CandleSource; candles: Candlestick[] },
): Promise<number> {
  // One row per period end: a statement may not touch the same key twice.
  const byEnd = new Map<number, Candlestick>();
  for (const c of batch.candles) byEnd.set(c.endPeriodTs, c);
  const rows = [...byEnd.values()].map((c) =>
    candleRow(batch.ticker, batch.periodMinutes, batch.source, c)
  );
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    await tx`
      INSERT INTO candles ${tx(chunk)}
      ON CONFLICT (market_ticker, period_minutes, end_period_ts) DO UPDATE SET
        yes_bid_open = EXCLUDED.yes_bid_open, yes_bid_low = EXCLUDED.yes_bid_low,
        yes_bid_high = EXCLUDED.yes_bid_high, yes_bid_close = EXCLUDED.yes_bid_close,
        yes_ask_open = EXCLUDED.yes_ask_open, yes_ask_low = EXCLUDED.yes_ask_low,
        yes_ask_high = EXCLUDED.yes_ask_high, yes_ask_close = EXCLUDED.yes_ask_close,
        price_open = EXCLUDED.price_open, price_low = EXCLUDED.price_low,
        price_high = EXCLUDED.price_high, price_close = EXCLUDED.price_close,
        price_mean = EXCLUDED.price_mean, price_previous = EXCLUDED.price_previous,
        volume = EXCLUDED.volume, open_interest = EXCLUDED.open_interest,
        source = EXCLUDED.source, fetched_at = now(), extra = EXCLUDED.extra`;
  }
  return rows.length;
}

/** The `trades` row of one REST trade. */
export function tradeRow(
  source: TradeSource,
  t: Trade,
): Record<string, string | boolean | null | postgres.JSONValue> {
  const takerSide = typeof t.raw.taker_side === "string" ? t.raw.taker_side : null;
  return {
    trade_id: t.tradeId,
    market_ticker: t.ticker,
    // Kept as text: Kalshi sends microseconds, which a JS Date would drop.
    created_time: t.createdTime,
    yes_price: priceUnitsToDollars(t.yesPrice),
    no_price: priceUnitsToDollars(t.noPrice),
    count: countUnitsToFixedPoint(t.count),
    taker_side: takerSide,
    taker_outcome_side: t.takerOutcomeSide,
    taker_book_side: t.takerBookSide,
    is_block_trade: t.isBlockTrade,
    source,
    raw: t.raw as postgres.JSONValue,
  };
}

/** Inserts trades not stored yet (by `trade_id`); returns how many were new. */
export async function storeTrades(
  tx: Queryable,
  batch: { source: TradeSource; trades: Trade[] },
): Promise<number> {
  const byId = new Map<string, Trade>();
  for (const t of batch.trades) byId.set(t.tradeId, t);
  const rows = [...byId.values()].map((t) => tradeRow(batch.source, t));
  let inserted = 0;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const result = await tx`
      INSERT INTO trades ${tx(chunk)} ON CONFLICT (trade_id) DO NOTHING`;
    inserted += result.count;
  }
  return inserted;
}

/** A completed job's window, for {@linkcode advanceWatermark}. */
export interface WatermarkWindow {
  /** `candles` or `trades`. */
  kind: "candles" | "trades";
  /** The job's row id (it counts as done even before its completion commits). */
  jobId: string;
  ticker: string;
  /** Candle period (candles only). */
  periodMinutes?: number;
}

/**
 * The windows of every job of the scope of `window` (its market, and period for candles): `id`,
 * `state`, `start_ts`, `end_ts`. Selected by the `(payload ->> 'ticker', kind)` index of
 * migration 0004 — an equality, so no collation can turn it into a scan, as a `LIKE` on
 * `job_key` would under any collation but "C". A query fragment (await it, or nest it).
 */
export function scopeWindows(
  sql: Queryable,
  window: WatermarkWindow,
): postgres.PendingQuery<postgres.Row[]> {
  const isCandles = window.kind === "candles";
  const startField = isCandles ? "start_ts" : "min_ts";
  const endField = isCandles ? "end_ts" : "max_ts";
  const period = isCandles
    ? sql`AND payload ->> 'period_minutes' = ${String(window.periodMinutes)}`
    : sql``;
  return sql`
    SELECT id, state, (payload ->> ${startField})::bigint AS start_ts,
      (payload ->> ${endField})::bigint AS end_ts
    FROM backfill_jobs
    WHERE payload ->> 'ticker' = ${window.ticker} AND kind = ${window.kind} ${period}`;
}

/**
 * Moves the high-water mark of a market (and period) forward inside the completing transaction:
 * to the latest window end such that every job of that market (and period) starting before it
 * has succeeded — a dead, pending or running earlier window is a hole it never passes. Never
 * beyond `nowTs` (a window reaching into the future is not complete yet), never backwards.
 * Completions of one scope are serialised with a transaction advisory lock. Returns the mark.
 */
export async function advanceWatermark(
  tx: Queryable,
  window: WatermarkWindow,
  options: { nowTs: number },
): Promise<Date | null> {
  const isCandles = window.kind === "candles";
  const key = isCandles ? "candles.high_water" : "trades.high_water";
  const scope = isCandles ? `${window.ticker}:${window.periodMinutes}` : window.ticker;
  await tx`SELECT pg_advisory_xact_lock(hashtext(${key + "|" + scope}))`;
  const [row] = await tx<{ mark: string | null }[]>`
    WITH windows AS (${scopeWindows(tx, window)}), hole AS (
      SELECT min(start_ts) AS start_ts FROM windows
      WHERE state <> 'succeeded' AND id <> ${window.jobId}
    )
    SELECT max(end_ts)::text AS mark FROM windows, hole
    WHERE (state = 'succeeded' OR id = ${window.jobId})
      AND (hole.start_ts IS NULL OR windows.end_ts < hole.start_ts)`;
  if (row?.mark === null || row?.mark === undefined) return null;
  const markTs = Math.min(Number(row.mark), options.nowTs);
  const field = isCandles ? "endPeriodTs" : "createdTime";
  const iso = new Date(markTs * 1000).toISOString();
  const [stored] = await tx<{ value: Record<string, string> }[]>`
    INSERT INTO ingest_state (key, scope, value, updated_at)
    VALUES (${key}, ${scope}, ${tx.json({ [field]: iso })}, now())
    ON CONFLICT (key, scope) DO UPDATE SET
      value = CASE WHEN (ingest_state.value->>${field})::timestamptz >= ${iso}::timestamptz
        THEN ingest_state.value ELSE EXCLUDED.value END,
      updated_at = now()
    RETURNING value`;
  return new Date(stored.value[field]);
}
