/**
 * Plans candlestick requests for claimed candle jobs: jobs with the same period and the same cell
 * of the scheduler's window grid (`job.ts`) share batch requests (`GET /markets/candlesticks`,
 * ≤ 100 tickers, ≤ 10,000 candles), a lone market uses the single-market endpoint (≤ 5,000
 * candles), a market behind the historical cutoff the historical endpoint. Pure: no I/O.
 * @module
 */
import { type CandleJobPayload, candleWindowCell } from "./job.ts";

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

/**
 * One unit of work: jobs fetched together, window piece by window piece. A `batch` unit holds one
 * job per market and asks for the union of their windows; a `single` or `historical` unit holds
 * adjacent windows of one market and period. Each job keeps only the candles of its own window.
 */
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

function windowOf(w: CandleWork<unknown>): Window {
  return { startTs: w.payload.start_ts, endTs: w.payload.end_ts };
}

/** The smallest window holding every work's window. */
function unionOf(work: readonly CandleWork<unknown>[]): Window {
  return {
    startTs: Math.min(...work.map((w) => w.payload.start_ts)),
    endTs: Math.max(...work.map((w) => w.payload.end_ts)),
  };
}

/**
 * Groups candle work into request units (see module doc). Live jobs of one period whose windows
 * lie in the same cell of the shared grid ({@linkcode candleWindowCell}) share batch requests over
 * the union of their windows; what is left (a lone market, a window off the grid, a market behind
 * the cutoff) is fetched one market at a time, with the adjacent windows of one market and period
 * merged into as few requests as the candle limit allows.
 */
export function planCandleUnits<J>(
  work: readonly CandleWork<J>[],
  limits: typeof CANDLE_LIMITS = CANDLE_LIMITS,
): CandleUnit<J>[] {
  const units: CandleUnit<J>[] = [];
  const alone: CandleWork<J>[] = [];
  const groups = new Map<string, CandleWork<J>[]>();
  for (const w of work) {
    const p = w.payload;
    if (p.historical) {
      alone.push(w);
      continue;
    }
    const cell = candleWindowCell(p.period_minutes, p.start_ts, p.end_ts);
    const key = cell === null
      ? `${p.period_minutes}:${p.start_ts}:${p.end_ts}`
      : `${p.period_minutes}:cell:${cell}`;
    const group = groups.get(key);
    if (group) group.push(w);
    else groups.set(key, [w]);
  }
  for (const group of groups.values()) {
    const period = group[0].payload.period_minutes;
    // The same market twice in one request would be fetched twice: keep repeats apart.
    const seen = new Set<string>();
    const unique: CandleWork<J>[] = [];
    for (const w of group) {
      if (seen.has(w.payload.ticker)) alone.push(w);
      else {
        seen.add(w.payload.ticker);
        unique.push(w);
      }
    }
    if (unique.length < 2) {
      alone.push(...unique);
      continue;
    }
    const union = unionOf(unique);
    const shape = batchShape(
      unique.length,
      periodCount(union.startTs, union.endTs, period),
      limits,
    );
    for (let i = 0; i < unique.length; i += shape.tickers) {
      const chunk = unique.slice(i, i + shape.tickers);
      if (chunk.length === 1) alone.push(...chunk);
      else {
        // The chunk's own union, not the group's: no candles (or pieces) none of its jobs need.
        const windows = splitWindow(unionOf(chunk), period, shape.periodsPerRequest);
        units.push({ endpoint: "batch", periodMinutes: period, windows, work: chunk });
      }
    }
  }
  // One market at a time: adjacent windows of a market and period become one run of requests.
  const runs = new Map<string, CandleWork<J>[]>();
  for (const w of alone) {
    const p = w.payload;
    const key = `${p.historical ? "historical" : "single"}:${p.ticker}:${p.period_minutes}`;
    const list = runs.get(key);
    if (list) list.push(w);
    else runs.set(key, [w]);
  }
  for (const list of runs.values()) {
    const endpoint = list[0].payload.historical ? "historical" : "single";
    const period = list[0].payload.period_minutes;
    list.sort((a, b) => a.payload.start_ts - b.payload.start_ts);
    let run: CandleWork<J>[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const window = { startTs: run[0].payload.start_ts, endTs: run.at(-1)!.payload.end_ts };
      units.push({
        endpoint,
        periodMinutes: period,
        windows: splitWindow(window, period, limits.singleCandles),
        work: run,
      });
      run = [];
    };
    for (const w of list) {
      const last = run.at(-1);
      if (last && w.payload.start_ts !== last.payload.end_ts + 1) flush();
      run.push(w);
    }
    flush();
  }
  return units;
}

/** Whether a candle ending at `endTs` belongs to the work's window. */
export function inWindow(work: CandleWork<unknown>, endTs: number): boolean {
  const window = windowOf(work);
  return endTs >= window.startTs && endTs <= window.endTs;
}

/** Whether the work's window overlaps `window`. */
export function overlaps(work: CandleWork<unknown>, window: Window): boolean {
  const own = windowOf(work);
  return own.startTs <= window.endTs && window.startTs <= own.endTs;
}
