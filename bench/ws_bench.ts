/**
 * Live capture throughput. Part 1, end to end: a simulator firehose (its own process, a fast
 * clock, thousands of markets) through ws_service's capture (`runWsCapture`) into PostgreSQL —
 * ticks committed per second beside ticks received per second, receive→commit latency p50/p99,
 * and peak RSS of the capturing process beside its RSS before capture. Part 2, the write path:
 * the same tick rows written by the capture pipeline (batches, exactly-once ids, one transaction
 * each) beside a raw `COPY … FROM STDIN` of the same rows into the same table, in the same run
 * (goal ≥ 0.6×). Reports numbers; never fails on a time.
 */
import { Readable, Writable } from "node:stream";
import { pipeline as pipeStreams } from "node:stream/promises";
import { createCapturePipeline, openSpool, type TickRow } from "@kalshi-data/lib/capture";
import type { Sql } from "@kalshi-data/lib/db";
import { withTestDatabase } from "../lib/db/testing/database.ts";
import {
  createWorld,
  marketExists,
  marketStatus,
  visibleCloseMs,
  type World,
} from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { createMetrics } from "@kalshi-data/lib/runtime";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { type CaptureState, runWsCapture } from "../services/ws_service/capture.ts";
import type { BenchRow } from "./harness.ts";
import { startSimProcess as startSim } from "./_sim_process.ts";

const WORLD = { seed: 5, historyDays: 1, futureDays: 1 };
const logger = createLogger("ws_bench", { level: "error" });
const mb = (bytes: number) => bytes / 1_048_576;

/** The simulator in its own process, its clock running `speed` times real time from `startMs`. */
async function startSimProcess(markets: number, speed: number, startMs: number) {
  const sim = await startSim([
    `--markets=${markets}`,
    `--seed=${WORLD.seed}`,
    `--speed=${speed}`,
    `--start-time=${new Date(startMs).toISOString()}`,
    `--history-days=${WORLD.historyDays}`,
    `--future-days=${WORLD.futureDays}`,
  ]);
  return { wsUrl: sim.wsUrl, close: sim.close };
}

/** Stores every market that exists at `nowMs`, as discovery would have. */
async function seedMarkets(sql: Sql, w: World, nowMs: number): Promise<void> {
  const rows = [];
  for (let m = 0; m < w.marketCount; m++) {
    if (!marketExists(w, m, nowMs)) continue;
    const e = w.marketEvent[m];
    rows.push({
      ticker: w.marketTickers[m],
      event_ticker: w.eventTickers[e],
      status: marketStatus(w, m, nowMs),
      open_time: new Date(w.eventOpenMs[e]),
      close_time: new Date(visibleCloseMs(w, e, nowMs)),
      raw: {},
    });
  }
  for (let i = 0; i < rows.length; i += 1000) {
    await sql`INSERT INTO markets ${sql(rows.slice(i, i + 1000))}`;
  }
}

interface EndToEnd {
  seconds: number;
  received: number;
  committed: number;
  p50: number;
  p99: number;
  rssBefore: number;
  rssPeak: number;
}

async function endToEnd(
  sql: Sql,
  options: { markets: number; speed: number; seconds: number },
): Promise<EndToEnd> {
  const startMs = Date.now();
  const world = createWorld({ ...WORLD, markets: options.markets, epochMs: startMs });
  await seedMarkets(sql, world, startMs);
  const sim = await startSimProcess(options.markets, options.speed, startMs);
  const metrics = createMetrics();
  const abort = new AbortController();
  const spoolDir = await Deno.makeTempDir({ prefix: "ws_bench_spool_" });
  let state: CaptureState | undefined;
  const rssBefore = Deno.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, Deno.memoryUsage().rss);
  }, 100);
  try {
    const done = runWsCapture({
      sql,
      logger,
      metrics,
      signal: abort.signal,
      wsUrl: sim.wsUrl,
      credentials: null,
      scope: EVERYTHING,
      spoolDir,
      refreshMs: 3_600_000,
      tickerStaleMs: 0,
      onReady: (s) => (state = s),
    });
    while (state === undefined) await new Promise((r) => setTimeout(r, 10));
    const tickCounter = metrics.counter("ws_messages_total", "");
    // Measure from the first tick on (subscriptions confirmed, the stream flowing).
    while (tickCounter.get({ type: "ticker" }) === 0) await new Promise((r) => setTimeout(r, 10));
    const received0 = tickCounter.get({ type: "ticker" });
    const [c0] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM ticks`;
    const began = performance.now();
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
    const received = tickCounter.get({ type: "ticker" }) - received0;
    // Committed within the window: what the receive side handed over, once drained.
    await state.pipeline.drained();
    const seconds = (performance.now() - began) / 1000;
    const [c1] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM ticks`;
    abort.abort();
    await done;
    return {
      seconds,
      received,
      committed: Number(c1.n) - Number(c0.n),
      p50: state.pipeline.latency.quantile(0.5),
      p99: state.pipeline.latency.quantile(0.99),
      rssBefore,
      rssPeak,
    };
  } finally {
    clearInterval(sampler);
    abort.abort();
    await sim.close();
    await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
  }
}

/** Reads back up to `limit` stored ticks as capture rows. */
async function storedTicks(sql: Sql, limit: number): Promise<TickRow[]> {
  const rows = await sql<Record<string, string | null>[]>`
    SELECT market_ticker, (extract(epoch FROM ts) * 1000)::bigint::text AS ts_ms, price::text,
      yes_bid::text, yes_ask::text, volume::text, open_interest::text, yes_bid_size::text,
      yes_ask_size::text, last_trade_size::text, dollar_volume::text,
      dollar_open_interest::text, (extract(epoch FROM received_at) * 1000)::bigint::text AS ra,
      extra::text
    FROM ticks LIMIT ${limit}`;
  return rows.map((r) => ({
    marketTicker: r.market_ticker!,
    tsMs: Number(r.ts_ms),
    price: r.price!,
    yesBid: r.yes_bid!,
    yesAsk: r.yes_ask!,
    volume: r.volume!,
    openInterest: r.open_interest!,
    yesBidSize: r.yes_bid_size,
    yesAskSize: r.yes_ask_size,
    lastTradeSize: r.last_trade_size,
    dollarVolume: r.dollar_volume,
    dollarOpenInterest: r.dollar_open_interest,
    receivedAtMs: Number(r.ra),
    extra: r.extra,
  }));
}

/** Rows/s of the capture pipeline writing `ticks` (sealed in 5000-row batches) until drained. */
async function pipelineRate(sql: Sql, ticks: TickRow[]): Promise<number> {
  await sql`TRUNCATE ticks, ingested_batches`;
  const spoolDir = await Deno.makeTempDir({ prefix: "ws_bench_pipe_" });
  try {
    const spool = await openSpool(spoolDir);
    const began = performance.now();
    const pipe = createCapturePipeline({
      sql,
      spool,
      logger,
      instance: "bench",
      sessionId: crypto.randomUUID(),
      maxBufferRows: ticks.length + 1,
    });
    for (const t of ticks) pipe.tick(t);
    pipe.seal();
    await pipe.drained();
    const seconds = (performance.now() - began) / 1000;
    await pipe.stop();
    return ticks.length / seconds;
  } finally {
    await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
  }
}

function csvField(value: string | null): string {
  if (value === null) return "";
  return /[",\n\r]/.test(value) || value === "" ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Rows/s of one raw `COPY ticks FROM STDIN` (CSV) of `ticks`. */
async function copyRate(sql: Sql, ticks: TickRow[]): Promise<number> {
  await sql`TRUNCATE ticks, ingested_batches`;
  const began = performance.now();
  function* chunks() {
    const lines: string[] = [];
    for (const t of ticks) {
      lines.push(
        [
          csvField(t.marketTicker),
          new Date(t.tsMs).toISOString(),
          csvField(t.price),
          csvField(t.yesBid),
          csvField(t.yesAsk),
          csvField(t.volume),
          csvField(t.openInterest),
          csvField(t.yesBidSize),
          csvField(t.yesAskSize),
          csvField(t.lastTradeSize),
          csvField(t.dollarVolume),
          csvField(t.dollarOpenInterest),
          new Date(t.receivedAtMs).toISOString(),
          "copy",
          csvField(t.extra),
        ].join(","),
      );
      if (lines.length === 5000) yield lines.splice(0).join("\n") + "\n";
    }
    if (lines.length > 0) yield lines.join("\n") + "\n";
  }
  const writable = await sql`
    COPY ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest, yes_bid_size,
      yes_ask_size, last_trade_size, dollar_volume, dollar_open_interest, received_at, batch_id,
      extra) FROM STDIN WITH (FORMAT csv)`.writable();
  await pipeStreams(Readable.from(chunks()), writable as unknown as Writable);
  const seconds = (performance.now() - began) / 1000;
  const [n] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM ticks`;
  if (Number(n.n) !== ticks.length) throw new Error(`COPY stored ${n.n} of ${ticks.length} rows`);
  return ticks.length / seconds;
}

/** `deno task bench ws [--quick]`. */
export default async function wsBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const markets = quick ? 3000 : 6000;
  const speed = quick ? 120 : 300;
  const seconds = quick ? 15 : 180;
  const writeRows = quick ? 100_000 : 400_000;
  return await withTestDatabase(async ({ sql }) => {
    const e2e = await endToEnd(sql, { markets, speed, seconds });
    const ticks = await storedTicks(sql, writeRows);
    // Alternate, best of each: neither side gets the warmer cache for free.
    let pipe = 0;
    let copy = 0;
    for (let round = 0; round < (quick ? 1 : 2); round++) {
      copy = Math.max(copy, await copyRate(sql, ticks));
      pipe = Math.max(pipe, await pipelineRate(sql, ticks));
    }
    const label = `${markets} markets, sim ×${speed}, ${Math.round(e2e.seconds)} s`;
    return [
      {
        name: `ticks/s committed end to end (${label})`,
        unit: "ticks/s",
        value: e2e.committed / e2e.seconds,
        baselineName: "ticks/s received from the simulator",
        baseline: e2e.received / e2e.seconds,
      },
      {
        name: `capture pipeline writes ${ticks.length} ticks (5000-row batches, exactly once)`,
        unit: "ticks/s",
        value: pipe,
        baselineName: "raw COPY FROM STDIN of the same rows",
        baseline: copy,
      },
      {
        name: "receive→commit latency p50",
        unit: "ms",
        value: e2e.p50,
        baselineName: "batch age limit (WS_FLUSH_MS)",
        baseline: 250,
      },
      {
        name: "receive→commit latency p99",
        unit: "ms",
        value: e2e.p99,
        baselineName: "batch age limit (WS_FLUSH_MS)",
        baseline: 250,
      },
      {
        name: "peak RSS while capturing",
        unit: "MiB",
        value: mb(e2e.rssPeak),
        baselineName: "RSS before capture started",
        baseline: mb(e2e.rssBefore),
      },
    ];
  });
}
