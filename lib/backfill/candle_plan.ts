/**
 * Plans candlestick requests for claimed candle jobs: jobs with the same period and window share
 * batch requests (`GET /markets/candlesticks`, ≤ 100 tickers, ≤ 10,000 candles), a lone market
 * uses the single-market endpoint (≤ 5,000 candles), a market behind the historical cutoff the
 * historical endpoint. Pure: no I/O.
 * @module
 */
import type { CandleJobPayload } from "./job.ts";

/** Kalshi's limits on candle requests. */
export const CANDLE_LIMITS = {
  /** Tickers per batch request. */
  batchTickers: 100,
  /** Candles per batch response. */
  batchCandles: 10_000,
  /** Candles per single-market (live or historical) response. */
  singleCandles: 5_000,
} as const;

/** A candle job with its validated payload. */
export interface CandleWork<J = unknown> {
  job: J;
  payload: CandleJobPayload;
}

/** A window of end_period_ts values, Unix seconds, inclusive. */
export interface Window {
  startTs: number;
  endTs: number;
}

/** One unit of work: jobs fetched together, window piece by window piece. */
export interface CandleUnit<J = unknown> {
  /** `batch`: the batch endpoint; `single`: one market live; `historical`: one market archived. */
  endpoint: "batch" | "single" | "historical";
  periodMinutes: 1 | 60 | 1440;
  /** The pieces of the shared window, each within the endpoint's candle limit. */
  windows: Window[];
  work: CandleWork<J>[];
}

/** Candle period ends in `[startTs, endTs]` at most (Kalshi counts them this way for its limits). */
export function periodCount(startTs: number, endTs: number, periodMinutes: number): number {
  if (endTs < startTs) return 0;
  return Math.floor((endTs - startTs) / (periodMinutes * 60)) + 1;
}

/** Splits a window into consecutive pieces of at most `maxPeriods` period ends each. */
export function splitWindow(window: Window, periodMinutes: number, maxPeriods: number): Window[] {
  const step = periodMinutes * 60 * maxPeriods;
  const out: Window[] = [];
  for (let start = window.startTs; start <= window.endTs; start += step) {
    out.push({ startTs: start, endTs: Math.min(window.endTs, start + step - 1) });
  }
  return out;
}

/**
 * How many tickers to put in each batch request, and the window piece length, minimising the
 * number of requests for `markets` markets sharing a window of `periods` period ends.
 */
export function batchShape(
  markets: number,
  periods: number,
  limits: typeof CANDLE_LIMITS = CANDLE_LIMITS,
): { tickers: number; periodsPerRequest: number; requests: number } {
  let best = {
    tickers: 1,
    periodsPerRequest: Math.min(periods, limits.singleCandles),
    requests: 0,
  };
  best.requests = markets * Math.ceil(periods / best.periodsPerRequest);
  for (let k = 2; k <= Math.min(markets, limits.batchTickers); k++) {
    const per = Math.min(periods, Math.floor(limits.batchCandles / k));
    if (per < 1) break;
    const requests = Math.ceil(markets / k) * Math.ceil(periods / per);
    if (requests < best.requests || (requests === best.requests && per >= best.periodsPerRequest)) {
      best = { tickers: k, periodsPerRequest: per, requests };
    }
  }
  return best;
}

/** Groups candle work into request units (see module doc). */
export function planCandleUnits<J>(
  work: readonly CandleWork<J>[],
  limits: typeof CANDLE_LIMITS = CANDLE_LIMITS,
): CandleUnit<J>[] {
  const units: CandleUnit<J>[] = [];
  const groups = new Map<string, CandleWork<J>[]>();
  for (const w of work) {
    const p = w.payload;
    if (p.historical) {
      units.push({
        endpoint: "historical",
        periodMinutes: p.period_minutes,
        windows: splitWindow(
          { startTs: p.start_ts, endTs: p.end_ts },
          p.period_minutes,
          limits.singleCandles,
        ),
        work: [w],
      });
      continue;
    }
    const key = `${p.period_minutes}:${p.start_ts}:${p.end_ts}`;
    const group = groups.get(key);
    if (group) group.push(w);
    else groups.set(key, [w]);
  }
  for (const group of groups.values()) {
    const { period_minutes: period, start_ts: startTs, end_ts: endTs } = group[0].payload;
    // The same market twice in one request would be fetched twice: keep duplicates apart.
    const seen = new Set<string>();
    const unique: CandleWork<J>[] = [];
    const repeats: CandleWork<J>[] = [];
    for (const w of group) {
      if (seen.has(w.payload.ticker)) repeats.push(w);
      else {
        seen.add(w.payload.ticker);
        unique.push(w);
      }
    }
    const shape = batchShape(unique.length, periodCount(startTs, endTs, period), limits);
    const windows = splitWindow({ startTs, endTs }, period, shape.periodsPerRequest);
    for (let i = 0; i < unique.length; i += shape.tickers) {
      const chunk = unique.slice(i, i + shape.tickers);
      units.push({
        endpoint: chunk.length === 1 ? "single" : "batch",
        periodMinutes: period,
        windows: chunk.length === 1
          ? splitWindow({ startTs, endTs }, period, limits.singleCandles)
          : windows,
        work: chunk,
      });
    }
    for (const w of repeats) {
      units.push({
        endpoint: "single",
        periodMinutes: period,
        windows: splitWindow({ startTs, endTs }, period, limits.singleCandles),
        work: [w],
      });
    }
  }
  return units;
}
