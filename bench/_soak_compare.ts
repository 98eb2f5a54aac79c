/**
 * After a soak run: the database against the simulator's ground truth (`ws.ndjson`, every frame
 * sent on every socket) — ticks and trades missing outside recorded capture gaps, duplicated rows,
 * gaps the audit left unfilled, and receive→commit latency outside the fault windows.
 */
import { join } from "node:path";
import type { Sql } from "@kalshi-data/lib/db";

/** A span (Unix ms) during which a fault was active, plus its recovery. */
export interface FaultWindow {
  name: string;
  fromMs: number;
  toMs: number;
}

/** What the comparison found. */
export interface SoakFindings {
  ticksSent: number;
  ticksMissing: number;
  tradesSent: number;
  tradesMissing: number;
  duplicateTicks: number;
  duplicateLifecycle: number;
  gaps: number;
  gapsUnfilled: number;
  p50: number;
  p99: number;
  p99All: number;
  /** Ticks and trades sent after the stop signal and not stored (see `missing`). */
  missingAfterStop: number;
  /** Send times (Unix ms) of the ticks and trades missing outside gaps, for diagnosis. */
  missedAtMs: number[];
  /** The longest pauses between consecutive batch commits (the batch after each, its rows). */
  pauses: { atMs: number; pauseMs: number; rows: number }[];
  /** Receive→commit p50/p99 (ms) per 10 s of receive time, for finding stalls. */
  timeline: { atMs: number; p50: number; p99: number; rows: number }[];
}

interface Gap {
  channel: string;
  tickers: Set<string> | null;
  fromMs: number;
  toMs: number;
}

/** Ticks (`ticker|ts_ms`) and trades (trade id) sent on any socket, with their send times. */
async function sentFrames(dir: string) {
  const ticks = new Map<string, number>();
  const trades = new Map<string, { ticker: string; ms: number }>();
  const file = await Deno.open(join(dir, "ws.ndjson"));
  let buffer = "";
  for await (const text of file.readable.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.includes('"ws_send"') || !line.includes('"n":')) continue;
      const record = JSON.parse(line) as { frame?: string; time_ms: number };
      const frame = JSON.parse(record.frame ?? "{}") as {
        type?: string;
        msg?: Record<string, unknown>;
      };
      const msg = frame.msg ?? {};
      if (frame.type === "ticker") ticks.set(`${msg.market_ticker}|${msg.ts_ms}`, record.time_ms);
      if (frame.type === "trade") {
        trades.set(String(msg.trade_id), { ticker: String(msg.market_ticker), ms: record.time_ms });
      }
    }
  }
  return { ticks, trades };
}

async function recordedGaps(sql: Sql): Promise<Gap[]> {
  const rows = await sql<{ channel: string; tickers: string[] | null; a: string; b: string }[]>`
    SELECT channel, market_tickers AS tickers,
      (extract(epoch FROM gap_start) * 1000)::bigint::text AS a,
      (extract(epoch FROM gap_end) * 1000)::bigint::text AS b
    FROM capture_gaps`;
  return rows.map((r) => ({
    channel: r.channel,
    tickers: r.tickers === null ? null : new Set(r.tickers),
    fromMs: Number(r.a),
    toMs: Number(r.b),
  }));
}

/** Whether a message of `ticker` at `ms` (sent or exchange time) falls in a gap of `channel`. */
function inGap(gaps: Gap[], channel: string, ticker: string, times: number[]): boolean {
  return gaps.some((g) =>
    (g.channel === channel || g.channel === "all") &&
    (g.tickers === null || g.tickers.has(ticker)) &&
    times.some((ms) => ms >= g.fromMs - 1_000 && ms <= g.toMs + 1_000)
  );
}

/**
 * Sent ticks and trades not stored and in no gap. Frames sent after the stop signal are counted
 * apart: the service stopped reading them, and the restart gap its next start opens from its
 * watermark covers them — a gap this run cannot see, as nothing starts again.
 */
async function missing(sql: Sql, dir: string, stopMs: number) {
  const sent = await sentFrames(dir);
  const gaps = await recordedGaps(sql);
  const storedTicks = new Set<string>();
  const cursor = sql<{ k: string }[]>`
    SELECT market_ticker || '|' || (extract(epoch FROM ts) * 1000)::bigint AS k FROM ticks`
    .cursor(10_000);
  for await (const rows of cursor) for (const r of rows) storedTicks.add(r.k);
  const missedAtMs: number[] = [];
  let afterStop = 0;
  for (const [key, sentMs] of sent.ticks) {
    if (storedTicks.has(key)) continue;
    const [ticker, ts] = key.split("|");
    if (sentMs >= stopMs) afterStop++;
    else if (!inGap(gaps, "ticker", ticker, [sentMs, Number(ts)])) missedAtMs.push(sentMs);
  }
  const storedTrades = new Set<string>();
  for await (
    const rows of sql<{ id: string }[]>`SELECT trade_id AS id FROM trades`.cursor(10_000)
  ) {
    for (const r of rows) storedTrades.add(r.id);
  }
  let tradesMissing = 0;
  for (const [id, t] of sent.trades) {
    if (storedTrades.has(id) || inGap(gaps, "trade", t.ticker, [t.ms])) continue;
    if (t.ms >= stopMs) {
      afterStop++;
      continue;
    }
    tradesMissing++;
    missedAtMs.push(t.ms);
  }
  return {
    ticksSent: sent.ticks.size,
    ticksMissing: missedAtMs.length - tradesMissing,
    tradesSent: sent.trades.size,
    tradesMissing,
    missedAtMs,
    missingAfterStop: afterStop,
  };
}

/** Receive→commit latency (ms) quantiles of the ticks received in `[fromMs, toMs]`, outside `faults`. */
async function latency(sql: Sql, fromMs: number, toMs: number, faults: FaultWindow[]) {
  // ingested_at is the batch transaction's start: the commit follows within its write time.
  const [r] = await sql<{ p50: number | null; p99: number | null; all99: number | null }[]>`
    WITH l AS (
      SELECT extract(epoch FROM b.ingested_at - t.received_at) * 1000 AS ms,
        EXISTS (SELECT 1 FROM unnest(${
    faults.map((f) => new Date(f.fromMs).toISOString())
  }::timestamptz[],
                  ${faults.map((f) => new Date(f.toMs).toISOString())}::timestamptz[]) AS w(a, z)
                WHERE t.received_at BETWEEN w.a AND w.z) AS in_fault
      FROM ticks t JOIN ingested_batches b USING (batch_id)
      WHERE t.received_at BETWEEN ${new Date(fromMs).toISOString()}::timestamptz
        AND ${new Date(toMs).toISOString()}::timestamptz
    )
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE NOT in_fault) AS p50,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE NOT in_fault) AS p99,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS all99
    FROM l`;
  const timeline = await sql<{ at_ms: string; p50: number; p99: number; rows: number }[]>`
    SELECT (floor(extract(epoch FROM t.received_at) / 10) * 10000)::bigint::text AS at_ms,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.ingested_at - t.received_at) * 1000) AS p50,
      percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM b.ingested_at - t.received_at) * 1000) AS p99,
      count(*)::int AS rows
    FROM ticks t JOIN ingested_batches b USING (batch_id)
    WHERE t.received_at BETWEEN ${new Date(fromMs).toISOString()}::timestamptz
      AND ${new Date(toMs).toISOString()}::timestamptz
    GROUP BY 1 ORDER BY 1`;
  // The longest pauses between consecutive batch commits: a stall shows up here first.
  const pauses = await sql<{ at_ms: string; pause_ms: number; rows: number }[]>`
    SELECT (extract(epoch FROM ingested_at) * 1000)::bigint::text AS at_ms, row_count AS rows,
      extract(epoch FROM ingested_at - lag(ingested_at) OVER (ORDER BY ingested_at)) * 1000
        AS pause_ms
    FROM ingested_batches
    ORDER BY pause_ms DESC NULLS LAST LIMIT 5`;
  return {
    pauses: pauses.map((p) => ({ atMs: Number(p.at_ms), pauseMs: p.pause_ms, rows: p.rows })),
    p50: r.p50 ?? Number.NaN,
    p99: r.p99 ?? Number.NaN,
    p99All: r.all99 ?? Number.NaN,
    timeline: timeline.map((t) => ({
      atMs: Number(t.at_ms),
      p50: t.p50,
      p99: t.p99,
      rows: t.rows,
    })),
  };
}

/** Compares the database with the ground truth in `truthDir`. */
export async function compareWithTruth(
  sql: Sql,
  options: { truthDir: string; fromMs: number; stopMs: number; faults: FaultWindow[] },
): Promise<SoakFindings> {
  const [dup] = await sql<{ ticks: number; lifecycle: number; gaps: number; unfilled: number }[]>`
    SELECT
      (SELECT count(*) FROM ticks)::int - (SELECT count(*) FROM (SELECT DISTINCT market_ticker, ts,
        price, yes_bid, yes_ask, volume, open_interest FROM ticks) d)::int AS ticks,
      (SELECT count(*) FROM market_lifecycle)::int - (SELECT count(*) FROM (SELECT DISTINCT
        message_type, event_type, market_ticker, event_ticker, raw FROM market_lifecycle) d)::int
        AS lifecycle,
      (SELECT count(*) FROM capture_gaps)::int AS gaps,
      (SELECT count(*) FROM capture_gaps WHERE filled_at IS NULL)::int AS unfilled`;
  return {
    ...await missing(sql, options.truthDir, options.stopMs),
    duplicateTicks: dup.ticks,
    duplicateLifecycle: dup.lifecycle,
    gaps: dup.gaps,
    gapsUnfilled: dup.unfilled,
    ...await latency(sql, options.fromMs, options.stopMs, options.faults),
  };
}
