/**
 * Test and benchmark support: backfill jobs for every market of a simulator world (windows on a
 * fixed grid per period, so markets share windows and batch), and the ground truth those jobs
 * must produce (the simulator's own testing/truth.ts reads it from the model). Also compares
 * that truth with the database.
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "../../db/mod.ts";
import {
  candleLine,
  MarketView,
  modelCandleLines,
  modelTradeLines,
  tradeLine,
  type Truth,
} from "../../kalshi/sim/testing/truth.ts";
import { isHistorical, marketExists, visibleCloseMs, type World } from "../../kalshi/sim/mod.ts";
import {
  CANDLE_PERIODS,
  CANDLE_WINDOW_SECONDS,
  type CandlePeriod,
  jobKey,
  type NewJob,
} from "../job.ts";
import { requiredRange, TRACKS } from "../schedule.ts";

/** The scheduler's window grid (one definition, in `job.ts`): windows of 1,440 / 240 / 100 periods. */
export const WINDOW_SECONDS: Readonly<Record<CandlePeriod, number>> = CANDLE_WINDOW_SECONDS;

export { candleLine, tradeLine, type Truth };

type Json = Record<string, unknown>;

/** A workload: jobs to run and the rows they must produce. */
export interface Workload {
  jobs: NewJob[];
  truth: Truth;
  /** Markets covered. */
  markets: number;
}

function cells(fromS: number, toS: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let c = Math.floor(fromS / size); c * size <= toS; c++) {
    out.push([c * size, (c + 1) * size - 1]);
  }
  return out;
}

/**
 * Jobs for every market that has opened by `nowMs` (candles of every period, and trades unless
 * `trades` is false), and the truth they must yield. The simulator clock must stay at `nowMs`.
 */
export function simWorkload(
  world: World,
  nowMs: number,
  options: { trades?: boolean; maxMarkets?: number } = {},
): Workload {
  const view = new MarketView(world);
  const jobs: NewJob[] = [];
  const candles: string[] = [];
  const trades: string[] = [];
  let markets = 0;
  for (let m = 0; m < world.marketCount; m++) {
    if (options.maxMarkets !== undefined && markets >= options.maxMarkets) break;
    const e = world.marketEvent[m];
    if (world.eventOpenMs[e] > nowMs) continue;
    markets++;
    const ticker = world.marketTickers[m];
    const seriesTicker = world.series[world.eventSeries[e]].ticker;
    const historical = isHistorical(world, m, nowMs);
    const openS = Math.floor(world.eventOpenMs[e] / 1000);
    const closeS = Math.ceil(Math.min(world.eventCloseMs[e], nowMs) / 1000);
    for (const period of CANDLE_PERIODS) {
      const windows = cells(openS, closeS + period * 60, WINDOW_SECONDS[period]);
      for (const [start, end] of windows) {
        jobs.push({
          kind: "candles",
          payload: {
            ticker,
            series_ticker: seriesTicker,
            period_minutes: period,
            start_ts: start,
            end_ts: end,
            historical,
          },
        });
      }
      const first = windows[0][0];
      const last = windows[windows.length - 1][1];
      candles.push(...modelCandleLines(view, m, nowMs, [first, last], period));
    }
    if (options.trades === false) continue;
    jobs.push({
      kind: "trades",
      payload: { ticker, min_ts: openS, max_ts: closeS, historical },
    });
    trades.push(...modelTradeLines(view, m, nowMs, [openS, closeS]));
  }
  return { jobs, truth: { candles: candles.sort(), trades: trades.sort() }, markets };
}

/** What {@linkcode scheduledTruth} returns: the rows, and how many scopes must hold a watermark. */
export interface ScheduledTruth extends Truth {
  /** Markets with at least one track to backfill. */
  markets: number;
  /** `market:period` scopes with candles to backfill (each gets a `candles.high_water`). */
  candleScopes: number;
  /** Markets with trades to backfill (each gets a `trades.high_water`). */
  tradeScopes: number;
}

/**
 * The rows a full pipeline run (discovery, scheduling, workers) must store with the simulator's
 * clock paused at `nowMs`: for every market that exists, every track's required range as the
 * scheduler defines it (`requiredRange`: open → min(close + pad, reachable at `scheduleNowMs`,
 * default `nowMs`)), with what the model holds at `nowMs`. Independent of how the ranges are cut
 * into jobs. Services run on the wall clock: pass it as `scheduleNowMs`.
 */
export function scheduledTruth(
  world: World,
  nowMs: number,
  options: { lagSeconds?: number; trades?: boolean; scheduleNowMs?: number } = {},
): ScheduledTruth {
  const view = new MarketView(world);
  const nowS = Math.floor((options.scheduleNowMs ?? nowMs) / 1000);
  const lag = options.lagSeconds ?? 120;
  const out: ScheduledTruth = {
    candles: [],
    trades: [],
    markets: 0,
    candleScopes: 0,
    tradeScopes: 0,
  };
  for (let m = 0; m < world.marketCount; m++) {
    if (!marketExists(world, m, nowMs)) continue;
    const e = world.marketEvent[m];
    const life = {
      openTime: new Date(world.eventOpenMs[e]),
      closeTime: new Date(visibleCloseMs(world, e, nowMs)),
    };
    let any = false;
    for (const track of TRACKS) {
      if (track.kind === "trades" && options.trades === false) continue;
      const range = requiredRange(track, life, nowS, lag);
      if (range === null) continue;
      any = true;
      if (track.kind === "candles") {
        out.candleScopes++;
        out.candles.push(...modelCandleLines(view, m, nowMs, range, track.period!));
      } else {
        out.tradeScopes++;
        out.trades.push(...modelTradeLines(view, m, nowMs, range));
      }
    }
    if (any) out.markets++;
  }
  out.candles.sort();
  out.trades.sort();
  return out;
}

/** Inserts jobs the way the scheduler does (idempotent by job key); returns how many were new. */
export async function insertJobs(
  sql: Sql,
  jobs: readonly NewJob[],
  options: { maxAttempts?: number } = {},
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < jobs.length; i += 1000) {
    const rows = jobs.slice(i, i + 1000).map((j) => ({
      kind: j.kind,
      job_key: jobKey(j),
      payload: j.payload as unknown as postgres.JSONValue,
      priority: j.priority ?? 0,
      max_attempts: options.maxAttempts ?? 8,
    }));
    const result = await sql`
      INSERT INTO backfill_jobs ${sql(rows)} ON CONFLICT (job_key) DO NOTHING`;
    inserted += result.count;
  }
  return inserted;
}

/** Reads what the database holds, in the same canonical lines as the truth. */
export async function readStored(sql: Sql): Promise<Truth & { duplicateTrades: number }> {
  const candleRows = await sql<Json[]>`
    SELECT market_ticker, period_minutes, extract(epoch FROM end_period_ts)::bigint AS end_ts,
      source, yes_bid_open, yes_bid_low, yes_bid_high, yes_bid_close, yes_ask_open, yes_ask_low,
      yes_ask_high, yes_ask_close, price_open, price_low, price_high, price_close, price_mean,
      price_previous, volume, open_interest
    FROM candles`;
  const candles = candleRows.map((r) =>
    candleLine({
      ticker: String(r.market_ticker),
      period: Number(r.period_minutes),
      endTs: Number(r.end_ts),
      source: String(r.source),
      yesBid: [r.yes_bid_open, r.yes_bid_low, r.yes_bid_high, r.yes_bid_close],
      yesAsk: [r.yes_ask_open, r.yes_ask_low, r.yes_ask_high, r.yes_ask_close],
      price: [
        r.price_open,
        r.price_low,
        r.price_high,
        r.price_close,
        r.price_mean,
        r.price_previous,
      ],
      volume: r.volume,
      openInterest: r.open_interest,
    })
  ).sort();
  const tradeRows = await sql<Json[]>`
    SELECT trade_id, market_ticker, created_time, yes_price, no_price, count,
      taker_outcome_side, taker_book_side FROM trades`;
  const trades = tradeRows.map((r) =>
    tradeLine({
      tradeId: String(r.trade_id),
      ticker: String(r.market_ticker),
      createdMs: (r.created_time as Date).getTime(),
      yesPrice: r.yes_price,
      noPrice: r.no_price,
      count: r.count,
      outcomeSide: r.taker_outcome_side,
      bookSide: r.taker_book_side,
    })
  ).sort();
  const [dup] = await sql<{ n: string }[]>`
    SELECT count(*) - count(DISTINCT trade_id) AS n FROM trades`;
  return { candles, trades, duplicateTrades: Number(dup.n) };
}

/** Lines only in `expected` (missing) and only in `actual` (extra), at most `limit` each. */
export function diffLines(
  expected: readonly string[],
  actual: readonly string[],
  limit = 5,
): { missing: string[]; extra: string[]; missingCount: number; extraCount: number } {
  const have = new Set(actual);
  const want = new Set(expected);
  const missing = expected.filter((l) => !have.has(l));
  const extra = actual.filter((l) => !want.has(l));
  return {
    missing: missing.slice(0, limit),
    extra: extra.slice(0, limit),
    missingCount: missing.length,
    extraCount: extra.length,
  };
}
