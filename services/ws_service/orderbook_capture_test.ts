/**
 * Acceptance of order-book capture (issue 16) against the simulator and PostgreSQL: books rebuilt
 * from the database equal the simulator's ground truth outside recorded gaps and right after each
 * resync, are never crossed or negative, and agree with the stored ticker rows.
 */
import { createTestDatabase } from "../../lib/db/testing/database.ts";
import type { Sql } from "@kalshi-data/lib/db";
import type { OrderbookLevels } from "@kalshi-data/lib/kalshi";
import { marketStatus, type ServedSimulator, type WsRecord } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { bookAt, type OrderBook } from "@kalshi-data/lib/orderbook";
import { createMetrics } from "@kalshi-data/lib/runtime";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { until } from "../../lib/testing/wait.ts";
import { type CaptureState, runWsCapture, type WsCaptureOptions } from "./capture.ts";
import { seedMarkets, simClock, startSim, testCredentials } from "./testing/sim.ts";

const quiet = createLogger("orderbook_capture_test", { level: "error" });

const COUNTED = [
  "ticker",
  "trade",
  "market_lifecycle_v2",
  "event_lifecycle",
  "orderbook_snapshot",
  "orderbook_delta",
  "subscribed",
  "ok",
  "unsubscribed",
  "error",
];

interface Run {
  state: CaptureState;
  metrics: ReturnType<typeof createMetrics>;
  abort: AbortController;
  done: ReturnType<typeof runWsCapture>;
}

/** Starts ws_service's capture on `served` with order books for the top `n` markets. */
async function startCapture(
  sql: Sql,
  served: ServedSimulator,
  extra: Partial<WsCaptureOptions>,
): Promise<Run> {
  const metrics = createMetrics();
  const abort = new AbortController();
  let state: CaptureState | undefined;
  const done = runWsCapture({
    sql,
    logger: quiet,
    metrics,
    signal: abort.signal,
    wsUrl: served.wsUrl,
    credentials: null,
    scope: EVERYTHING,
    spoolDir: Deno.makeTempDirSync({ prefix: "ws_spool_" }),
    clock: simClock(served),
    refreshMs: 3_600_000,
    flushIntervalMs: 20,
    gapSlackMs: 0,
    reconnect: { baseMs: 10, maxMs: 50 },
    orderbookCheckpointMs: 150,
    onReady: (s) => (state = s),
    ...extra,
  });
  await until(() => state !== undefined && served.sim.connections > 0, "capture ready");
  await until(
    () => state!.client.subscriptions().every((s) => s.sid !== null),
    "subscriptions confirmed",
  );
  return { state: state!, metrics, abort, done };
}

/** Frames the simulator sent (all connections). */
function sentCount(served: ServedSimulator): number {
  return (served.sim.groundTruth.records("ws") as WsRecord[])
    .filter((r) => r.kind === "ws_send").length;
}

function receivedCount(metrics: ReturnType<typeof createMetrics>): number {
  const c = metrics.counter("ws_messages_total", "");
  return COUNTED.reduce((n, type) => n + c.get({ type }), 0);
}

/** Advances simulated time in steps, waiting for the capture to receive each step. */
async function play(served: ServedSimulator, run: Run, steps: number, stepMs: number) {
  for (let i = 0; i < steps; i++) {
    served.sim.clock.advance(stepMs);
    const sent = sentCount(served);
    await until(
      () => receivedCount(run.metrics) >= sent || served.sim.connections === 0,
      "frames",
    );
  }
}

/** Gives the `n` most active open markets the highest volume_24h (the `top:N` scope's input). */
async function rankMarkets(sql: Sql, served: ServedSimulator, n: number): Promise<string[]> {
  const w = served.sim.world;
  const now = served.sim.clock.now();
  const active = Array.from({ length: w.marketCount }, (_, m) => m)
    .filter((m) => marketStatus(w, m, now) === "active")
    .sort((a, b) => w.marketStepMs[a] - w.marketStepMs[b])
    .slice(0, n);
  const tickers = active.map((m) => w.marketTickers[m]);
  await sql`UPDATE markets SET volume_24h = 1000 + array_position(${tickers}::text[], ticker)
            WHERE ticker = ANY(${tickers}::text[])`;
  return tickers.sort();
}

/** A seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Span {
  start: number;
  end: number;
}

/** Order-book gaps per market, merged into disjoint spans. */
async function gapSpans(sql: Sql, markets: readonly string[]): Promise<Map<string, Span[]>> {
  const rows = await sql<{ tickers: string[] | null; s: string; e: string }[]>`
    SELECT market_tickers AS tickers,
           (extract(epoch FROM gap_start) * 1000)::bigint::text AS s,
           (extract(epoch FROM gap_end) * 1000)::bigint::text AS e
    FROM capture_gaps WHERE channel IN ('orderbook_delta', 'all') ORDER BY gap_start`;
  const out = new Map<string, Span[]>();
  for (const t of markets) {
    const spans: Span[] = [];
    for (const r of rows) {
      if (r.tickers !== null && !r.tickers.includes(t)) continue;
      const span = { start: Number(r.s), end: Number(r.e) };
      const last = spans[spans.length - 1];
      if (last !== undefined && span.start <= last.end) last.end = Math.max(last.end, span.end);
      else spans.push(span);
    }
    out.set(t, spans);
  }
  return out;
}

const levelsOf = (book: OrderBook): OrderbookLevels => ({
  yes: book.levels("yes"),
  no: book.levels("no"),
});

async function firstSnapshotMs(sql: Sql, ticker: string): Promise<number | null> {
  const [row] = await sql<{ ms: string | null }[]>`
    SELECT (extract(epoch FROM min(s.ts)) * 1000)::bigint::text AS ms
    FROM orderbook_snapshots s JOIN orderbook_markets m ON m.id = s.market_id
    WHERE m.market_ticker = ${ticker}`;
  return row.ms === null ? null : Number(row.ms);
}

/** Rebuilds `ticker` at `ms` and checks it against the simulator; returns the book. */
async function assertBookTrue(
  sql: Sql,
  served: ServedSimulator,
  ticker: string,
  ms: number,
): Promise<OrderBook> {
  const rebuilt = await bookAt(sql, ticker, new Date(ms));
  assertEquals(rebuilt.status, "ok", `${ticker} at ${new Date(ms).toISOString()}`);
  if (rebuilt.status !== "ok") throw new Error("unreachable");
  assertEquals(rebuilt.refused, [], `${ticker} at ${ms}: no stored delta refused`);
  assertOk(!rebuilt.book.crossed(), `${ticker} at ${ms} is crossed`);
  assertEquals(levelsOf(rebuilt.book), served.sim.bookAt(ticker, ms), `${ticker} at ${ms}`);
  return rebuilt.book;
}

/** The stored tick of `ticker` at exactly `ms` (yes_bid, yes_ask in price units), if any. */
async function tickAt(sql: Sql, ticker: string, ms: number) {
  const [row] = await sql<{ bid: string; ask: string }[]>`
    SELECT (yes_bid * 10000)::bigint::text AS bid, (yes_ask * 10000)::bigint::text AS ask
    FROM ticks WHERE market_ticker = ${ticker} AND ts = ${new Date(ms)}
    ORDER BY received_at DESC LIMIT 1`;
  return row === undefined ? null : { bid: Number(row.bid), ask: Number(row.ask) };
}

Deno.test("order books rebuilt from the database equal the simulator's outside gaps, with dropped deltas and socket drops", async () => {
  const db = await createTestDatabase();
  const { auth, credentials } = testCredentials();
  const served = startSim(150, 3, { auth });
  try {
    await seedMarkets(db.sql, served);
    const top = await rankMarkets(db.sql, served, 10);
    const run = await startCapture(db.sql, served, {
      credentials,
      orderbookScope: { kind: "top", n: 10 },
    });
    assertEquals([...run.state.orderbook.markets].sort(), top, "top:10 by volume_24h");
    const startMs = served.sim.clock.now();
    await play(served, run, 20, 5_000);
    served.sim.setFaults({ dropOrderbookDeltas: { next: 2 } });
    await play(served, run, 20, 5_000);
    served.sim.setFaults({ dropOrderbookDeltas: { probability: 0.01 } });
    await play(served, run, 20, 5_000);
    served.sim.setFaults({});
    served.sim.dropSockets();
    await until(() => run.state.client.connected, "reconnected");
    await play(served, run, 20, 5_000);
    served.sim.dropSockets();
    await until(() => run.state.client.connected, "reconnected again");
    await play(served, run, 20, 5_000);
    await until(() => run.state.orderbook.openGaps === 0, "every resync done");
    await play(served, run, 5, 5_000);
    const endMs = served.sim.clock.now();
    await run.state.pipeline.drained();
    run.abort.abort();
    assertEquals((await run.done).flushed, true);
    const drops = (served.sim.groundTruth.records("ws") as WsRecord[])
      .filter((r) => r.kind === "ws_fault" && r.fault === "drop_delta").length;
    assertOk(drops >= 2, `deltas dropped: ${drops}`);
    const spans = await gapSpans(db.sql, top);
    const reasons = await db.sql<{ reason: string }[]>`
      SELECT DISTINCT reason FROM capture_gaps WHERE channel = 'orderbook_delta' ORDER BY 1`;
    assertEquals(reasons.map((r) => r.reason), ["disconnect", "seq_gap"]);
    const [kinds] = await db.sql<{ subscribe: number; resync: number; checkpoint: number }[]>`
      SELECT count(*) FILTER (WHERE kind = 'subscribe')::int AS subscribe,
             count(*) FILTER (WHERE kind = 'resync')::int AS resync,
             count(*) FILTER (WHERE kind = 'checkpoint')::int AS checkpoint
      FROM orderbook_snapshots`;
    assertEquals(kinds.subscribe, top.length);
    assertOk(kinds.resync >= 2 * top.length && kinds.checkpoint > 0, JSON.stringify(kinds));

    // Exact again right after each gap's resync.
    let afterGaps = 0;
    for (const [ticker, list] of spans) {
      for (const span of list) {
        if (span.end >= endMs) continue;
        await assertBookTrue(db.sql, served, ticker, span.end);
        afterGaps++;
      }
    }
    assertOk(afterGaps >= top.length * 2, `checked after ${afterGaps} gaps`);

    // ≥ 200 random (market, instant) pairs outside the gaps; best bid/ask = the stored tick.
    const random = prng(42);
    let compared = 0;
    let withTick = 0;
    const first = new Map<string, number>();
    for (const t of top) first.set(t, (await firstSnapshotMs(db.sql, t)) ?? endMs);
    for (let tries = 0; compared < 240 && tries < 5000; tries++) {
      const ticker = top[Math.floor(random() * top.length)];
      const from = Math.max(startMs, first.get(ticker)!);
      const ms = from + Math.floor(random() * (endMs - from));
      if (spans.get(ticker)!.some((s) => ms >= s.start && ms <= s.end)) continue;
      const book = await assertBookTrue(db.sql, served, ticker, ms);
      compared++;
      const tick = await tickAt(db.sql, ticker, ms);
      if (tick === null) continue;
      withTick++;
      assertEquals(
        [book.bestBid("yes")?.price ?? 0, 10_000 - (book.bestBid("no")?.price ?? 0)],
        [tick.bid, tick.ask],
      );
    }
    assertOk(compared >= 200, `compared ${compared} pairs`);

    // The stored ticks' instants: best bid/ask of the rebuilt book equal the tick's.
    const ticks = await db.sql<{ market_ticker: string; ms: string }[]>`
      SELECT market_ticker, (extract(epoch FROM ts) * 1000)::bigint::text AS ms FROM ticks
      WHERE market_ticker = ANY(${top}::text[]) ORDER BY random() LIMIT 150`;
    for (const row of ticks) {
      const ms = Number(row.ms);
      const t = row.market_ticker;
      if (ms < first.get(t)! || spans.get(t)!.some((s) => ms >= s.start && ms <= s.end)) continue;
      const book = await assertBookTrue(db.sql, served, t, ms);
      const tick = (await tickAt(db.sql, t, ms))!;
      withTick++;
      assertEquals(
        [book.bestBid("yes")?.price ?? 0, 10_000 - (book.bestBid("no")?.price ?? 0)],
        [tick.bid, tick.ask],
        `${t} at ${ms}: best bid/ask = the stored tick`,
      );
    }
    assertOk(withTick >= 50, `compared ${withTick} ticks`);
  } finally {
    await served.close();
    await db.drop();
  }
});

Deno.test("the order-book scope follows the watch set: top:N re-ranked at a refresh adds and drops books on one connection", async () => {
  const db = await createTestDatabase();
  const { auth, credentials } = testCredentials();
  const served = startSim(150, 3, { auth });
  try {
    await seedMarkets(db.sql, served);
    const ranked = await rankMarkets(db.sql, served, 4);
    const run = await startCapture(db.sql, served, {
      credentials,
      orderbookScope: { kind: "top", n: 3 },
    });
    const subscribed = () =>
      [
        ...(run.state.client.subscriptions().find((s) => s.channel === "orderbook_delta")
          ?.marketTickers ?? []),
      ].sort();
    const before = [...run.state.orderbook.markets].sort();
    assertEquals(subscribed(), before);
    await play(served, run, 3, 5_000);
    // The fourth-ranked market overtakes the first of the three.
    const [out] = before;
    const incoming = ranked.find((t) => !before.includes(t))!;
    await db.sql`UPDATE markets SET volume_24h = 0 WHERE ticker = ${out}`;
    await db.sql`UPDATE markets SET volume_24h = 999999 WHERE ticker = ${incoming}`;
    await run.state.refresh();
    const after = [...before.filter((t) => t !== out), incoming].sort();
    assertEquals([...run.state.orderbook.markets].sort(), after);
    await until(() => subscribed().join() === after.join(), "order-book subscription updated");
    await until(() => run.state.orderbook.levels(incoming) !== null, "snapshot of the new market");
    assertEquals(run.state.orderbook.levels(out), null, "the dropped market's book is forgotten");
    await play(served, run, 3, 5_000);
    await run.state.pipeline.drained();
    run.abort.abort();
    await run.done;
    const kinds = await db.sql<{ t: string; kind: string }[]>`
      SELECT DISTINCT m.market_ticker AS t, s.kind FROM orderbook_snapshots s
      JOIN orderbook_markets m ON m.id = s.market_id WHERE s.kind <> 'checkpoint' ORDER BY 1`;
    assertEquals([...kinds], [...before, incoming].sort().map((t) => ({ t, kind: "subscribe" })));
    const connections = (served.sim.groundTruth.records("ws") as WsRecord[])
      .filter((r) => r.kind === "ws_open").length;
    assertEquals(connections, 1, "no reconnect");
  } finally {
    await served.close();
    await db.drop();
  }
});
