/**
 * The backfill job contract between the scheduler (rest_service, ws_service) and the workers:
 * job kinds, their payloads (validated with zod when claimed) and idempotent job keys.
 * Times are Unix seconds (what Kalshi's candlestick and trade endpoints take).
 */
import { z } from "zod";

/** Candle periods Kalshi serves, in minutes. */
export const CANDLE_PERIODS = [1, 60, 1440] as const;

/** A candle period in minutes. */
export type CandlePeriod = (typeof CANDLE_PERIODS)[number];

/**
 * The window grid of candle jobs, seconds per cell and period: 1,440 one-minute, 240 one-hour and
 * 100 one-day periods. The scheduler cuts every candle job at these cell boundaries; workers fetch
 * the jobs of one period and one cell together through the batch endpoint (≤ 10,000 candles a
 * response, so 6, 41 and 100 markets a request). A cell is far below the 5,000-candle limit of one
 * single-market request, so a job never needs more than one.
 */
export const CANDLE_WINDOW_SECONDS: Readonly<Record<CandlePeriod, number>> = {
  1: 86_400,
  60: 864_000,
  1440: 8_640_000,
};

/**
 * The grid cell (index) of a candle window `[startTs, endTs]` (Unix s), or null when the window
 * crosses a cell boundary (such a job is fetched on its own).
 */
export function candleWindowCell(
  periodMinutes: CandlePeriod,
  startTs: number,
  endTs: number,
): number | null {
  const size = CANDLE_WINDOW_SECONDS[periodMinutes];
  const cell = Math.floor(startTs / size);
  return Math.floor(endTs / size) === cell ? cell : null;
}

/**
 * Payload of a `candles` job: candlesticks of one market, one period, over `[start_ts, end_ts]`
 * (Unix seconds, inclusive). A type, not an interface, so it stays assignable to a JSON value.
 */
export type CandleJobPayload = {
  /** The market ticker. */
  ticker: string;
  /** Its series' ticker (part of the single-market candlestick path). */
  series_ticker: string;
  /** Candle period in minutes. */
  period_minutes: CandlePeriod;
  /** Window start, Unix seconds (inclusive). */
  start_ts: number;
  /** Window end, Unix seconds (inclusive, not before `start_ts`). */
  end_ts: number;
  /** Behind the historical cutoff: only `/historical/markets/{ticker}/candlesticks` serves it. */
  historical: boolean;
};

/** Validates a claimed `candles` job's payload. */
export const candleJobPayloadSchema = z.object({
  ticker: z.string().min(1),
  series_ticker: z.string().min(1),
  period_minutes: z.union([z.literal(1), z.literal(60), z.literal(1440)]),
  start_ts: z.number().int().nonnegative(),
  end_ts: z.number().int().nonnegative(),
  historical: z.boolean(),
}).refine((p) => p.end_ts >= p.start_ts, {
  message: "end_ts must not precede start_ts",
}) satisfies z.ZodType<CandleJobPayload>;

/** Payload of a `trades` job: trades of one market over `[min_ts, max_ts]` (Unix seconds). */
export type TradeJobPayload = {
  /** The market ticker. */
  ticker: string;
  /** Earliest trade time, Unix seconds. */
  min_ts: number;
  /** Latest trade time, Unix seconds (not before `min_ts`). */
  max_ts: number;
  /** Behind the historical cutoff: only `/historical/trades` serves it. */
  historical: boolean;
};

/** Validates a claimed `trades` job's payload. */
export const tradeJobPayloadSchema = z.object({
  ticker: z.string().min(1),
  min_ts: z.number().int().nonnegative(),
  max_ts: z.number().int().nonnegative(),
  historical: z.boolean(),
}).refine((p) => p.max_ts >= p.min_ts, {
  message: "max_ts must not precede min_ts",
}) satisfies z.ZodType<TradeJobPayload>;

/** A job as the scheduler creates it. */
export type NewJob =
  | { kind: "candles"; payload: CandleJobPayload; priority?: number }
  | { kind: "trades"; payload: TradeJobPayload; priority?: number };

/** The idempotency key of a job: scheduling the same work twice yields the same key. */
export function jobKey(job: NewJob): string {
  if (job.kind === "candles") {
    const p = job.payload;
    return `candles:${p.ticker}:${p.period_minutes}:${p.start_ts}:${p.end_ts}`;
  }
  const p = job.payload;
  return `trades:${p.ticker}:${p.min_ts}:${p.max_ts}`;
}
