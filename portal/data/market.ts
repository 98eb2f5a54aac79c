/**
 * The market page's data: the market row with its raw payload, candle coverage per period (to
 * pick the default chart period), recent ticks, lifecycle timeline and capture gaps. Every query
 * is an index lookup bounded by a LIMIT; nothing scans ticks without the (market, ts) index.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import type { Decimal } from "./types.ts";

/** Candle periods in minutes, finest first. */
export type Period = 1 | 60 | 1440;

/** Bars the default chart aims to stay under. */
export const DEFAULT_CHART_BARS = 1500;

/** Candles stored for one period of a market. */
export interface CandleCoverage {
  period: Period;
  first: Date | null;
  last: Date | null;
}

/** A stored tick. */
export interface TickRow {
  ts: Date;
  price: Decimal;
  yes_bid: Decimal;
  yes_ask: Decimal;
  volume: Decimal;
  open_interest: Decimal;
}

/** A lifecycle message. */
export interface LifecycleRow {
  id: string;
  message_type: string;
  event_type: string | null;
  event_ts: Date | null;
  received_at: Date;
}

/** A capture gap touching the market. */
export interface GapRow {
  id: string;
  channel: string;
  gap_start: Date;
  gap_end: Date;
  reason: string;
  filled_at: Date | null;
}

/** The market page's data. */
export interface MarketDetail {
  market: Record<string, unknown> & {
    ticker: string;
    event_ticker: string;
    title: string | null;
    status: string;
    open_time: Date | null;
    close_time: Date | null;
    rules_primary: string | null;
    rules_secondary: string | null;
    raw: unknown;
  };
  event: { event_ticker: string; title: string | null; series_ticker: string } | null;
  coverage: CandleCoverage[];
  /** The period the chart opens with. */
  defaultPeriod: Period;
  ticks: TickRow[];
  lifecycle: LifecycleRow[];
  gaps: GapRow[];
  /** Whether order books of the market are stored (the page rebuilds one only then). */
  hasOrderbook: boolean;
}

/** Options of {@linkcode loadMarket}. */
export interface MarketOptions {
  /** The current time. */
  now: Date;
}

/** Loads a market, or undefined when unknown. */
export async function loadMarket(
  sql: Sql,
  ticker: string,
  options: MarketOptions,
): Promise<MarketDetail | undefined> {
  // One statement: the market row (postgres.js maps its types as everywhere else) plus everything
  // else as one JSON document built by PostgreSQL (numerics cast to text, so decimals stay
  // exact). Each statement costs a socket write and a round trip, which dominated the page's
  // time; an unknown ticker returns no row at all. Every LIMIT is a constant: with a parameter
  // there, PostgreSQL estimates the generic plan too dear and plans each execution afresh
  // (~0.4 ms of server CPU per page at 10 M rows).
  const rows = await sql<(MarketDetail["market"] & { portal_detail: string })[]>`
      SELECT m.*, json_build_object(
        'coverage', (
          SELECT json_agg(json_build_object(
            'period', p.period,
            'first', to_char((SELECT end_period_ts FROM candles
                              WHERE market_ticker = ${ticker} AND period_minutes = p.period
                              ORDER BY end_period_ts LIMIT 1) AT TIME ZONE 'UTC', ${ISO}),
            'last', to_char((SELECT end_period_ts FROM candles
                             WHERE market_ticker = ${ticker} AND period_minutes = p.period
                             ORDER BY end_period_ts DESC LIMIT 1) AT TIME ZONE 'UTC', ${ISO})
          ) ORDER BY p.period)
          FROM unnest(ARRAY[1, 60, 1440]::smallint[]) AS p(period)),
        'ticks', (
          SELECT coalesce(json_agg(json_build_object(
            'ts', to_char(t.ts AT TIME ZONE 'UTC', ${ISO}), 'price', t.price::text,
            'yes_bid', t.yes_bid::text, 'yes_ask', t.yes_ask::text, 'volume', t.volume::text,
            'open_interest', t.open_interest::text) ORDER BY t.ts DESC), '[]'::json)
          FROM (SELECT ts, price, yes_bid, yes_ask, volume, open_interest FROM ticks
                WHERE market_ticker = ${ticker} AND ts <= ${options.now}
                ORDER BY ts DESC LIMIT 20) t),
        'lifecycle', (
          SELECT coalesce(json_agg(json_build_object(
            'id', l.id::text, 'message_type', l.message_type, 'event_type', l.event_type,
            'event_ts', to_char(l.event_ts AT TIME ZONE 'UTC', ${ISO}),
            'received_at', to_char(l.received_at AT TIME ZONE 'UTC', ${ISO})
          ) ORDER BY l.received_at, l.id), '[]'::json)
          FROM (SELECT id, message_type, event_type, event_ts, received_at FROM market_lifecycle
                WHERE market_ticker = ${ticker} ORDER BY received_at, id LIMIT 200) l),
        'event', (
          SELECT json_build_object('event_ticker', e.event_ticker, 'title', e.title,
                                   'series_ticker', e.series_ticker)
          FROM events e WHERE e.event_ticker = m.event_ticker),
        'orderbook', EXISTS (SELECT FROM orderbook_markets o WHERE o.market_ticker = m.ticker),
        -- Gaps during the market's life: open (else its first daily candle) to close (else now).
        'gaps', (
          WITH life AS (
            SELECT coalesce(m.open_time,
                     (SELECT min(end_period_ts) FROM candles c
                      WHERE c.market_ticker = m.ticker AND c.period_minutes = 1440),
                     ${options.now}) AS start,
                   least(coalesce(m.close_time, ${options.now}), ${options.now}) AS stop
          )
          SELECT coalesce(json_agg(json_build_object(
            'id', g.id::text, 'channel', g.channel, 'reason', g.reason,
            'gap_start', to_char(g.gap_start AT TIME ZONE 'UTC', ${ISO}),
            'gap_end', to_char(g.gap_end AT TIME ZONE 'UTC', ${ISO}),
            'filled_at', to_char(g.filled_at AT TIME ZONE 'UTC', ${ISO})
          ) ORDER BY g.gap_start DESC), '[]'::json)
          FROM (SELECT g.* FROM capture_gaps g, life
                WHERE g.gap_end >= life.start AND g.gap_start <= life.stop
                  AND (g.market_tickers IS NULL OR ${ticker} = ANY (g.market_tickers))
                ORDER BY g.gap_start DESC LIMIT 50) g)
      )::text AS portal_detail
      FROM markets m WHERE m.ticker = ${ticker}`;
  if (rows.length === 0) return undefined;
  const { portal_detail: detail, ...market } = rows[0];
  const d = JSON.parse(detail);
  const coverage: CandleCoverage[] = d.coverage.map((c: Record<string, string | null>) => ({
    period: Number(c.period) as Period,
    first: toDate(c.first),
    last: toDate(c.last),
  }));
  return {
    market,
    event: d.event,
    coverage,
    defaultPeriod: choosePeriod(coverage),
    ticks: d.ticks.map((t: TickRow & { ts: string }) => ({ ...t, ts: new Date(t.ts) })),
    lifecycle: d.lifecycle.map((l: Record<string, string | null>) => ({
      ...l,
      event_ts: toDate(l.event_ts),
      received_at: new Date(l.received_at!),
    })),
    gaps: d.gaps.map((g: Record<string, string | null>) => ({
      ...g,
      gap_start: new Date(g.gap_start!),
      gap_end: new Date(g.gap_end!),
      filled_at: toDate(g.filled_at),
    })),
    hasOrderbook: d.orderbook === true,
  };
}

/** to_char pattern of Date#toISOString, applied to `ts AT TIME ZONE 'UTC'`. */
const ISO = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

function toDate(text: string | null | undefined): Date | null {
  return text ? new Date(text) : null;
}

/** First and last candle of each period (six index probes). */
export async function candleCoverage(sql: Sql, ticker: string): Promise<CandleCoverage[]> {
  const rows = await sql<{ period: number; first: Date | null; last: Date | null }[]>`
    SELECT p.period,
      (SELECT end_period_ts FROM candles
       WHERE market_ticker = ${ticker} AND period_minutes = p.period
       ORDER BY end_period_ts LIMIT 1) AS first,
      (SELECT end_period_ts FROM candles
       WHERE market_ticker = ${ticker} AND period_minutes = p.period
       ORDER BY end_period_ts DESC LIMIT 1) AS last
    FROM unnest(ARRAY[1, 60, 1440]::smallint[]) AS p(period)
    ORDER BY p.period`;
  return rows.map((r) => ({ period: r.period as Period, first: r.first, last: r.last }));
}

/**
 * The finest period whose stored candles span at most {@linkcode DEFAULT_CHART_BARS} bars, so the
 * chart shows the market's whole life; else the coarsest period that has candles; 60 when none.
 */
export function choosePeriod(coverage: readonly CandleCoverage[]): Period {
  const stored = coverage.filter((c) => c.first && c.last);
  if (stored.length === 0) return 60;
  const start = Math.min(...stored.map((c) => c.first!.getTime()));
  const end = Math.max(...stored.map((c) => c.last!.getTime()));
  const spanMinutes = (end - start) / 60_000;
  const sorted = [...stored].sort((a, b) => a.period - b.period);
  for (const c of sorted) {
    if (spanMinutes / c.period <= DEFAULT_CHART_BARS) return c.period;
  }
  return sorted[sorted.length - 1].period;
}
