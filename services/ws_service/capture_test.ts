import { createTestDatabase } from "../../lib/db/testing/database.ts";
import { createLogger } from "@kalshi-data/lib/log";
import { createMetrics, createReadiness } from "@kalshi-data/lib/runtime";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { assertEquals, assertOk, assertRejects } from "../../lib/testing/assert.ts";
import { startTcpProxy } from "../../lib/testing/tcp_proxy.ts";
import { createPool, type Sql } from "@kalshi-data/lib/db";
import { type CaptureState, runWsCapture, WsAuthError, type WsCaptureOptions } from "./capture.ts";
import { seedMarkets, sentFrames, simClock, startSim, testCredentials } from "./testing/sim.ts";
import { until } from "../../lib/testing/wait.ts";
import type { ServedSimulator, WsRecord } from "@kalshi-data/lib/kalshi/sim";
import { jobKey, type NewJob, requiredRange, TRACKS } from "@kalshi-data/lib/backfill";
import { createRestClient, type KalshiRestClient } from "@kalshi-data/lib/kalshi";

const quiet = createLogger("ws_service_test", { level: "error" });

function received(metrics: ReturnType<typeof createMetrics>): number {
  const c = metrics.counter("ws_messages_total", "");
  return ["ticker", "trade", "market_lifecycle_v2", "event_lifecycle"]
    .reduce((n, type) => n + c.get({ type }), 0);
}

interface Run {
  state: CaptureState;
  metrics: ReturnType<typeof createMetrics>;
  abort: AbortController;
  done: Promise<Awaited<ReturnType<typeof runWsCapture>>>;
}

async function startCapture(
  sql: Sql,
  served: ServedSimulator,
  extra: Partial<WsCaptureOptions> = {},
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

/** Advances simulated time in steps, waiting for the capture to receive each step. */
async function play(served: ServedSimulator, run: Run, steps: number, stepMs: number) {
  for (let i = 0; i < steps; i++) {
    served.sim.clock.advance(stepMs);
    const sent = sentFrames(served).length;
    await until(() => received(run.metrics) >= sent || served.sim.connections === 0, "frames");
  }
}

async function dbTruth(sql: Sql) {
  const [counts] = await sql<
    { ticks: string; dup_ticks: string; trades: string; lifecycle: string }[]
  >`
    SELECT (SELECT count(*) FROM ticks) AS ticks,
           (SELECT count(*) FROM (SELECT market_ticker, ts FROM ticks GROUP BY 1, 2
                                  HAVING count(*) > 1) d) AS dup_ticks,
           (SELECT count(*) FROM trades) AS trades,
           (SELECT count(*) FROM market_lifecycle) AS lifecycle`;
  return counts;
}

Deno.test("a long simulator run lands in PostgreSQL exactly as the simulator sent it", async () => {
  const db = await createTestDatabase();
  const served = startSim(600);
  try {
    const seeded = await seedMarkets(db.sql, served);
    assertOk(seeded > 100);
    const run = await startCapture(db.sql, served);
    assertOk(run.state.watched.size > 50, `watching ${run.state.watched.size}`);
    await play(served, run, 300, 10_000);
    await run.state.pipeline.drained();
    run.abort.abort();
    const summary = await run.done;
    assertEquals(summary.flushed, true);
    const frames = sentFrames(served);
    const ticks = frames.filter((f) => f.type === "ticker");
    const trades = frames.filter((f) => f.type === "trade");
    const lifecycle = frames.filter((f) => f.type !== "ticker" && f.type !== "trade");
    assertOk(frames.length > 20_000, `only ${frames.length} frames`);
    const counts = await dbTruth(db.sql);
    assertEquals(Number(counts.ticks), ticks.length);
    assertEquals(Number(counts.trades), trades.length);
    assertEquals(Number(counts.lifecycle), lifecycle.length);
    // Content: every tick the simulator sent, field by field.
    const rows = await db.sql<{ k: string }[]>`
      SELECT market_ticker || '|' || (extract(epoch FROM ts) * 1000)::bigint || '|' ||
             price || '|' || yes_bid || '|' || yes_ask || '|' || volume || '|' || open_interest
             AS k FROM ticks`;
    const expected = ticks.map((f) => {
      const m = f.emit.msg;
      return `${m.market_ticker}|${m.ts_ms}|${m.price_dollars}|${m.yes_bid_dollars}|` +
        `${m.yes_ask_dollars}|${m.volume_fp}|${m.open_interest_fp}`;
    }).sort();
    assertEquals(rows.map((r) => r.k).sort(), expected);
    const tradeIds = await db.sql<{ trade_id: string; count: string; yes_price: string }[]>`
      SELECT trade_id, count::text, yes_price::text FROM trades ORDER BY trade_id`;
    assertEquals(
      tradeIds.map((t) => `${t.trade_id}|${t.count}|${t.yes_price}`),
      trades.map((f) =>
        `${f.emit.msg.trade_id}|${f.emit.msg.count_fp}|${f.emit.msg.yes_price_dollars}`
      )
        .sort(),
    );
    const [gaps] = await db.sql<{ n: string }[]>`SELECT count(*) AS n FROM capture_gaps`;
    assertEquals(Number(gaps.n), 0);
  } finally {
    await served.close();
    await db.drop();
  }
});

Deno.test("a database outage mid-stream loses and duplicates nothing and drains the spool", async () => {
  const db = await createTestDatabase();
  const { auth, credentials } = testCredentials();
  const served = startSim(300, 11, { auth });
  const url = new URL(db.url);
  const proxy = startTcpProxy({ hostname: url.hostname, port: Number(url.port || 5432) });
  const sql = createPool(proxy.url(db.url), { max: 2, connectTimeoutSeconds: 2 });
  try {
    await seedMarkets(db.sql, served);
    await db.sql`UPDATE markets SET volume_24h = 1`; // top:20 = the first 20 by ticker
    const run = await startCapture(sql, served, {
      maxBufferRows: 1000,
      flushBudgetMs: 2000,
      credentials,
      orderbookScope: { kind: "top", n: 20 },
      orderbookCheckpointMs: 100,
    });
    await play(served, run, 30, 10_000);
    proxy.cut();
    await play(served, run, 60, 10_000);
    await until(() => run.state.pipeline.stats.batchesSpooled > 0, "batches spooled");
    proxy.restore();
    await play(served, run, 30, 10_000);
    const bookFrames = (type: string) =>
      (served.sim.groundTruth.records("ws") as WsRecord[])
        .filter((r) => r.kind === "ws_send" && r.frame!.startsWith(`{"type":"${type}"`)).length;
    const books = run.state.orderbook.stats;
    await until(
      () =>
        books.deltas === bookFrames("orderbook_delta") &&
        books.snapshots === bookFrames("orderbook_snapshot"),
      "every order-book frame handled",
    );
    await run.state.pipeline.drained();
    run.abort.abort();
    const summary = await run.done;
    assertEquals(summary.flushed, true);
    // Order books: every delta and snapshot once (checkpoints besides), no order-book gap.
    const [stored] = await db.sql<{ deltas: number; snapshots: number; gaps: number }[]>`
      SELECT (SELECT count(*)::int FROM orderbook_deltas) AS deltas,
             (SELECT count(*)::int FROM orderbook_snapshots WHERE kind <> 'checkpoint')
               AS snapshots,
             (SELECT count(*)::int FROM capture_gaps) AS gaps`;
    assertEquals(stored, {
      deltas: bookFrames("orderbook_delta"),
      snapshots: bookFrames("orderbook_snapshot"),
      gaps: 0,
    });
    assertOk(stored.deltas > 1000, `only ${stored.deltas} deltas`);
    const frames = sentFrames(served);
    const counts = await dbTruth(db.sql);
    assertEquals(Number(counts.ticks), frames.filter((f) => f.type === "ticker").length);
    assertEquals(Number(counts.trades), frames.filter((f) => f.type === "trade").length);
    assertEquals(
      Number(counts.lifecycle),
      frames.filter((f) => f.type !== "ticker" && f.type !== "trade").length,
    );
    assertEquals(Number(counts.dup_ticks), 0);
    assertEquals(run.state.pipeline.stats.spoolBytes, 0);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    await proxy.close();
    await served.close();
    await db.drop();
  }
});

Deno.test("dropped sockets and malformed frames: reconnect, gaps recorded, bad frames dead-lettered", async () => {
  const db = await createTestDatabase();
  const served = startSim(300, 5);
  try {
    await seedMarkets(db.sql, served);
    const run = await startCapture(db.sql, served);
    served.sim.setFaults({
      dropSockets: { everyFrames: 1500 },
      malformedMessages: { probability: 0.01 },
      unknownTypeMessages: { probability: 0.005 },
    });
    for (let i = 0; i < 200; i++) {
      served.sim.clock.advance(10_000);
      // Pacing only: frames sent just before a drop may never arrive (they must fall in a gap).
      await until(() => served.sim.connections > 0, "connected");
      await new Promise((r) => setTimeout(r, 15));
    }
    served.sim.setFaults({});
    await until(
      () => run.state.client.subscriptions().every((s) => s.sid !== null),
      "re-subscribed",
    );
    const settled = received(run.metrics);
    served.sim.clock.advance(10_000);
    await until(() => received(run.metrics) > settled, "a frame after the faults");
    await run.state.pipeline.drained();
    run.abort.abort();
    await run.done;
    type Ws = import("@kalshi-data/lib/kalshi/sim").WsRecord;
    const ws = served.sim.groundTruth.records("ws") as Ws[];
    const drops = ws.filter((r) => r.kind === "ws_fault" && r.fault === "drop").length;
    assertOk(drops >= 3, `only ${drops} drops`);
    const counts = await dbTruth(db.sql);
    assertEquals(Number(counts.dup_ticks), 0);
    // Every malformed or unknown frame the simulator sent before the last drop is dead-lettered.
    const faults = ws.filter((r) => r.kind === "ws_fault" && r.fault !== "drop").length;
    const [dead] = await db.sql<{ n: string }[]>`SELECT count(*) AS n FROM dead_letters`;
    assertOk(Number(dead.n) > 0, "no dead letters");
    assertOk(Number(dead.n) <= faults, `${dead.n} dead letters, ${faults} bad frames sent`);
    const gaps = await db.sql<
      { channel: string; reason: string; s: string; e: string; markets: string[] | null }[]
    >`
      SELECT channel, reason, (extract(epoch FROM gap_start) * 1000)::bigint AS s,
             (extract(epoch FROM gap_end) * 1000)::bigint AS e, market_tickers AS markets
      FROM capture_gaps`;
    const tickerGaps = gaps.filter((g) => g.channel === "ticker" && g.reason === "disconnect");
    assertOk(tickerGaps.length >= drops - 1, `${tickerGaps.length} ticker gaps, ${drops} drops`);
    // Every tick and trade of a watched market is stored exactly once or lies inside a gap of
    // its channel.
    const storedTicks = new Set(
      (await db.sql<{ k: string }[]>`
        SELECT market_ticker || '|' || (extract(epoch FROM ts) * 1000)::bigint AS k FROM ticks`)
        .map((r) => r.k),
    );
    const storedTrades = new Set(
      (await db.sql<{ trade_id: string }[]>`SELECT trade_id FROM trades`).map((r) => r.trade_id),
    );
    type Emit = import("@kalshi-data/lib/kalshi/sim").EmitRecord;
    const emits = served.sim.groundTruth.records("emit") as Emit[];
    let missed = 0;
    for (const e of emits) {
      if (e.type !== "ticker" && e.type !== "trade") continue;
      if (!run.state.watched.has(e.market_ticker!)) continue;
      const stored = e.type === "ticker"
        ? storedTicks.has(`${e.market_ticker}|${e.msg.ts_ms}`)
        : storedTrades.has(String(e.msg.trade_id));
      if (stored) continue;
      missed++;
      const covered = gaps.some((g) =>
        g.channel === e.channel && Number(g.s) <= e.time_ms && e.time_ms <= Number(g.e) &&
        (g.markets === null || g.markets.includes(e.market_ticker!))
      );
      assertOk(covered, `${e.type} of ${e.market_ticker} at ${e.time_ms} outside every gap`);
    }
    assertOk(missed > 0, "the drops lost nothing: the test did not exercise gaps");
  } finally {
    await served.close();
    await db.drop();
  }
});

Deno.test("a stuck database at stop: the injected deadline spools the buffer and a restart replays it exactly once", async () => {
  const db = await createTestDatabase();
  const served = startSim(200, 13);
  const spoolDir = Deno.makeTempDirSync({ prefix: "ws_spool_stuck_" });
  const firstSql = createPool(db.url, { max: 2 });
  const secondSql = createPool(db.url, { max: 2 });
  const lockSql = createPool(db.url, { max: 1 });
  let release = () => {};
  let locked: Promise<unknown> = Promise.resolve();
  try {
    await seedMarkets(db.sql, served);
    const deadline = new AbortController();
    const first = await startCapture(firstSql, served, {
      spoolDir,
      flushDeadline: deadline.signal,
    });
    await play(served, first, 10, 10_000);
    await first.state.pipeline.drained();
    // Hold a lock every batch write needs: the writer blocks inside its transaction.
    const holding = Promise.withResolvers<void>();
    const released = new Promise<void>((resolve) => (release = resolve));
    locked = lockSql.begin(async (tx) => {
      await tx`LOCK TABLE ingested_batches IN ACCESS EXCLUSIVE MODE`;
      holding.resolve();
      await released;
    });
    await holding.promise;
    await play(served, first, 10, 10_000);
    await until(() => first.state.pipeline.writing, "a write blocked on the lock");
    first.abort.abort();
    deadline.abort();
    const summary = await first.done;
    assertEquals(summary.flushed, false);
    assertOk(summary.spooledBatches > 0, "nothing spooled");
    assertOk(
      [...Deno.readDirSync(spoolDir)].filter((e) => e.name !== ".lock").length > 0,
      "no spool segment on disk",
    );
    // The blocked write may still commit once the lock goes: the replay must skip its batch.
    release();
    await locked;
    await firstSql.end({ timeout: 5 });
    const second = await startCapture(secondSql, served, { spoolDir });
    await second.state.pipeline.drained();
    assertEquals(second.state.pipeline.stats.spoolBytes, 0);
    second.abort.abort();
    assertEquals((await second.done).flushed, true);
    const frames = sentFrames(served);
    const counts = await dbTruth(db.sql);
    assertEquals(Number(counts.ticks), frames.filter((f) => f.type === "ticker").length);
    assertEquals(Number(counts.trades), frames.filter((f) => f.type === "trade").length);
    assertEquals(
      Number(counts.lifecycle),
      frames.filter((f) => f.type !== "ticker" && f.type !== "trade").length,
    );
    assertEquals(Number(counts.dup_ticks), 0);
    assertEquals([...Deno.readDirSync(spoolDir)].filter((e) => e.name !== ".lock").length, 0);
  } finally {
    release();
    await locked.catch(() => {});
    for (const pool of [firstSql, secondSql, lockSql]) {
      await pool.end({ timeout: 1 }).catch(() => {});
    }
    await served.close();
    await db.drop();
    await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("markets opening and closing mid-run are added and dropped with update_subscription on one connection", async () => {
  const db = await createTestDatabase();
  const served = startSim(600, 17);
  try {
    await seedMarkets(db.sql, served);
    // The watch set is the database's: five markets open later, five others close mid-run.
    const tickers = (await db.sql<{ ticker: string }[]>`
      SELECT ticker FROM markets WHERE status = 'active' ORDER BY close_time DESC, ticker`).map((
      r,
    ) => r.ticker);
    const opening = tickers.slice(0, 5);
    const closing = tickers.slice(5, 10);
    await db.sql`UPDATE markets SET open_time = '2100-01-01' WHERE ticker = ANY(${opening})`;
    const run = await startCapture(db.sql, served);
    const initial = new Set(run.state.watched);
    for (const t of opening) assertOk(!initial.has(t), `${t} watched before it opened`);
    await play(served, run, 10, 10_000);
    await db.sql`UPDATE markets SET open_time = NULL WHERE ticker = ANY(${opening})`;
    await db.sql`
      UPDATE markets SET close_time = ${new Date(served.sim.clock.now() - 1000)}
      WHERE ticker = ANY(${closing})`;
    await run.state.pipeline.drained();
    await run.state.refresh();
    await play(served, run, 20, 10_000);
    const everWatched = new Set([...initial, ...run.state.watched]);
    await run.state.pipeline.drained();
    const added = [...everWatched].filter((t) => !initial.has(t));
    const dropped = [...initial].filter((t) => !run.state.watched.has(t));
    assertOk(added.length > 0, "no market opened during the run");
    assertOk(dropped.length > 0, "no market closed during the run");
    const subs = run.state.client.subscriptions();
    const ticker = subs.find((s) => s.channel === "ticker")!;
    assertEquals(new Set(ticker.marketTickers), new Set(run.state.watched));
    run.abort.abort();
    await run.done;
    type Ws = import("@kalshi-data/lib/kalshi/sim").WsRecord;
    const ws = served.sim.groundTruth.records("ws") as Ws[];
    assertEquals(ws.filter((r) => r.kind === "ws_open").length, 1, "the service reconnected");
    const commands = ws.filter((r) => r.kind === "ws_recv").map((r) => JSON.parse(r.frame!));
    const updates = commands.filter((c) => c.cmd === "update_subscription");
    const addedByUpdate = new Set(
      updates.filter((c) => c.params.action === "add_markets").flatMap((c) =>
        c.params.market_tickers
      ),
    );
    const droppedByUpdate = new Set(
      updates.filter((c) => c.params.action === "delete_markets").flatMap((c) =>
        c.params.market_tickers
      ),
    );
    for (const t of added) assertOk(addedByUpdate.has(t), `${t} not added by update_subscription`);
    for (const t of dropped) assertOk(droppedByUpdate.has(t), `${t} not dropped`);
    // Ticks of an added market were captured; the control replies were not taken for seq gaps.
    const [n] = await db.sql<{ n: string }[]>`
      SELECT count(*) AS n FROM ticks WHERE market_ticker = ANY(${added})`;
    assertOk(Number(n.n) > 0, "no tick of an added market stored");
    const frames = sentFrames(served);
    const counts = await dbTruth(db.sql);
    assertEquals(Number(counts.ticks), frames.filter((f) => f.type === "ticker").length);
    assertEquals(Number(counts.trades), frames.filter((f) => f.type === "trade").length);
    const [gaps] = await db.sql<{ n: string }[]>`SELECT count(*) AS n FROM capture_gaps`;
    assertEquals(Number(gaps.n), 0);
  } finally {
    await served.close();
    await db.drop();
  }
});

Deno.test("a market first met through a lifecycle message is fetched from REST, upserted and gets its backfill jobs, with the message as fallback while REST fails", async () => {
  const db = await createTestDatabase();
  const served = startSim(200, 23);
  try {
    // No market stored: nothing is watched, only lifecycle messages flow.
    const w = served.sim.world;
    const now0 = served.sim.clock.now();
    let e = -1;
    for (let i = 0; i < w.eventCount; i++) {
      if (w.eventCreatedMs[i] <= now0) continue;
      if (e < 0 || w.eventOpenMs[i] < w.eventOpenMs[e]) e = i;
    }
    assertOk(e >= 0, "no event created after the start");
    const ticker = w.marketTickers[w.eventFirstMarket[e]];
    const real = createRestClient({ baseUrl: served.restUrl, readsPerSecond: 1000 });
    let restUp = false;
    const restClient: Pick<KalshiRestClient, "getMarket"> = {
      getMarket: (t, o) =>
        restUp ? real.getMarket(t, o) : Promise.reject(new Error("REST unreachable (test)")),
    };
    const run = await startCapture(db.sql, served, { restClient });
    // Past the creation: the market row comes from the message, REST is down, it stays pending.
    while (served.sim.clock.now() <= w.eventCreatedMs[e]) served.sim.clock.advance(60_000);
    await until(async () => {
      const [r] = await db.sql`SELECT 1 FROM markets WHERE ticker = ${ticker}`;
      return r !== undefined && run.state.newMarkets.pending.has(ticker);
    }, "the created market stored");
    await run.state.newMarkets.retry();
    const [fallback] = await db.sql<
      { event_ticker: string; series_ticker: string; open_time: Date; created_time: Date | null }[]
    >`SELECT event_ticker, series_ticker, open_time, created_time FROM markets
      WHERE ticker = ${ticker}`;
    assertEquals(fallback.event_ticker, w.eventTickers[e]);
    assertEquals(fallback.series_ticker, w.series[w.eventSeries[e]].ticker);
    assertEquals(fallback.open_time.getTime(), w.eventOpenMs[e]);
    assertEquals(fallback.created_time, null); // only REST knows it
    assertEquals(run.state.newMarkets.pending.get(ticker)?.fetched, false);
    // Before it opens nothing is reachable: no jobs yet. Two hours after its open, a refresh
    // schedules from the fallback row.
    const [before] = await db.sql<{ n: string }[]>`
      SELECT count(*) AS n FROM backfill_jobs WHERE payload->>'ticker' = ${ticker}`;
    assertEquals(Number(before.n), 0);
    while (served.sim.clock.now() < w.eventOpenMs[e] + 2 * 3_600_000) {
      served.sim.clock.advance(300_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    await run.state.pipeline.drained();
    await run.state.refresh();
    const [scheduled] = await db.sql<{ n: string }[]>`
      SELECT count(*) AS n FROM backfill_jobs WHERE payload->>'ticker' = ${ticker}`;
    assertOk(Number(scheduled.n) > 0, "no jobs scheduled from the fallback row");
    assertOk(run.state.newMarkets.pending.has(ticker), "left pending without REST's view");
    // REST returns: the next refresh replaces the row with REST's view and the market leaves.
    restUp = true;
    await run.state.refresh();
    assertOk(!run.state.newMarkets.pending.has(ticker), "still pending after REST returned");
    const [market] = await db.sql<
      {
        event_ticker: string;
        series_ticker: string;
        open_time: Date;
        close_time: Date;
        created_time: Date | null;
        latest_expiration_time: Date | null;
        from_message: boolean;
      }[]
    >`
      SELECT event_ticker, series_ticker, open_time, close_time, created_time,
             latest_expiration_time, raw ? 'event_type' AS from_message
      FROM markets WHERE ticker = ${ticker}`;
    assertEquals(market.event_ticker, w.eventTickers[e]);
    assertEquals(market.series_ticker, w.series[w.eventSeries[e]].ticker);
    assertEquals(market.open_time.getTime(), w.eventOpenMs[e]);
    assertOk(market.close_time.getTime() > market.open_time.getTime(), "close before open");
    assertEquals(market.created_time?.getTime(), w.eventCreatedMs[e]);
    assertOk(market.latest_expiration_time !== null, "REST's latest_expiration_time missing");
    assertEquals(market.from_message, false);
    // Its jobs: the shared job keys, every track, all of this market.
    const jobs = await db.sql<{ kind: "candles" | "trades"; job_key: string; payload: never }[]>`
      SELECT kind, job_key, payload FROM backfill_jobs WHERE payload->>'ticker' = ${ticker}`;
    for (const job of jobs) {
      assertEquals(job.job_key, jobKey({ kind: job.kind, payload: job.payload } as NewJob));
    }
    const tracks = new Set(
      jobs.map((j) =>
        j.kind === "trades" ? "trades" : `candles${
          (j.payload as { period_minutes: number })
            .period_minutes
        }`
      ),
    );
    // Every track with something reachable by now (the daily track waits for a day boundary).
    const nowS = Math.floor(served.sim.clock.now() / 1000);
    const due = TRACKS.filter((t) =>
      requiredRange(t, { openTime: market.open_time, closeTime: market.close_time }, nowS, 120) !==
        null
    );
    assertOk(due.length >= 3, `only ${due.length} tracks due`);
    assertEquals(tracks, new Set(due.map((t) => t.name)));
    const [mark] = await db.sql<{ value: Record<string, number> }[]>`
      SELECT value FROM ingest_state WHERE key = 'backfill.scheduled' AND scope = ${ticker}`;
    assertOk(mark.value.candles1 >= w.eventOpenMs[e] / 1000, "watermark did not move");
    run.abort.abort();
    assertEquals((await run.done).flushed, true);
  } finally {
    await served.close();
    await db.drop();
  }
});

Deno.test("readiness turns 503 when the simulator goes silent while markets are open, and back when data flows", async () => {
  const db = await createTestDatabase();
  const served = startSim(120);
  try {
    await seedMarkets(db.sql, served);
    const readiness = createReadiness();
    const run = await startCapture(db.sql, served, {
      readiness,
      readyMaxSilenceMs: 300_000,
      tickerStaleMs: 0,
    });
    const verdict = async () => {
      const report = await readiness.evaluate();
      return report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.reason}`);
    };
    await play(served, run, 6, 10_000);
    assertEquals(await verdict(), []);
    const open = run.metrics.render().then((t) => /ws_subscribed_open_markets (\d+)/.exec(t)?.[1]);
    assertOk(Number(await open) > 0, "markets are open");

    served.sim.setFaults({ silentSockets: true });
    const before = received(run.metrics);
    served.sim.clock.advance(200_000);
    assertEquals(await verdict(), [], "silent for less than the limit");
    served.sim.clock.advance(200_000);
    const reasons = await verdict();
    assertEquals(received(run.metrics), before, "nothing arrived while silent");
    assertEquals(reasons.length, 1);
    assertOk(
      /^data: no data message for 6m\d\ds while \d+ watched market\(s\) are open \(limit 5m00s\)$/
        .test(reasons[0]),
      reasons[0],
    );

    served.sim.setFaults({});
    await play(served, run, 1, 10_000);
    assertEquals(await verdict(), []);
    run.abort.abort();
    await run.done;
    assertEquals(
      (await verdict())[0],
      "connected: the Kalshi WebSocket is not connected (reconnecting)",
    );
  } finally {
    await served.close();
    await db.drop();
  }
});

for (const [limit, statuses] of [[3, [401, 401, 403, 401]], [2, [403, 401]]] as const) {
  Deno.test(`refused handshakes stop the capture with WsAuthError after ${limit} in a row`, async () => {
    const db = await createTestDatabase();
    let handshakes = 0;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
      const status = statuses[Math.min(handshakes, statuses.length - 1)];
      handshakes++;
      return new Response('{"code":"token_authentication_failure"}', { status });
    });
    const wsUrl = `ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`;
    const metrics = createMetrics();
    try {
      const error = await assertRejects(
        () =>
          runWsCapture({
            sql: db.sql,
            logger: quiet,
            metrics,
            signal: new AbortController().signal,
            wsUrl,
            credentials: null,
            scope: EVERYTHING,
            spoolDir: Deno.makeTempDirSync({ prefix: "ws_spool_auth_" }),
            refreshMs: 3_600_000,
            reconnect: { baseMs: 10, maxMs: 50 },
            ...(limit === 3 ? {} : { authFailureLimit: limit }),
          }),
        WsAuthError,
      );
      assertEquals([error.status, error.attempts], [statuses[limit - 1], limit]);
      assertOk(error.message.startsWith(
        `Kalshi refused the WebSocket handshake to ${wsUrl} with HTTP ${
          statuses[limit - 1]
        } ${limit} times in a row: an authentication problem.`,
      ));
      assertEquals(handshakes, limit, "no handshake after the limit");
      assertEquals(metrics.counter("ws_auth_failures_total", "").get({}), limit);
    } finally {
      await server.shutdown();
      await db.drop();
    }
  });
}

Deno.test("a restart gap covers the markets the previous run watched that closed while it was down", async () => {
  const db = await createTestDatabase();
  const served = startSim(300, 19);
  const spoolDir = Deno.makeTempDirSync({ prefix: "ws_spool_restart_" });
  try {
    await seedMarkets(db.sql, served);
    const first = await startCapture(db.sql, served, { spoolDir });
    await play(served, first, 5, 10_000);
    await first.state.pipeline.drained();
    const watchedBefore = [...first.state.watched].sort();
    first.abort.abort();
    await first.done;
    const downAt = served.sim.clock.now();
    // While the service is down, five of its markets close: the next watch set drops them.
    const closing = watchedBefore.slice(0, 5);
    await db.sql`
      UPDATE markets SET close_time = ${new Date(downAt + 5_000)} WHERE ticker = ANY(${closing})`;
    served.sim.clock.advance(30_000);
    const second = await startCapture(db.sql, served, { spoolDir });
    for (const t of closing) assertOk(!second.state.watched.has(t), `${t} still watched`);
    await second.state.pipeline.drained();
    second.abort.abort();
    await second.done;
    const gaps = await db.sql<
      { channel: string; market_tickers: string[] | null; s: Date; e: Date }[]
    >`
      SELECT channel, market_tickers, gap_start AS s, gap_end AS e FROM capture_gaps
      WHERE reason = 'restart'`;
    for (const channel of ["ticker", "trade"]) {
      const gap = gaps.find((g) => g.channel === channel);
      assertOk(gap !== undefined, `no restart gap on ${channel}`);
      assertOk(gap.s.getTime() <= downAt && gap.e.getTime() >= downAt + 30_000, "span too short");
      for (const t of closing) {
        assertOk(
          gap.market_tickers === null || gap.market_tickers.includes(t),
          `the ${channel} restart gap leaves out ${t}, closed during the downtime`,
        );
      }
    }
    const [row] = await db.sql<{ n: number }[]>`
      SELECT max(coalesce(cardinality(market_tickers), 0))::int AS n FROM capture_gaps
      WHERE reason = 'restart'`;
    assertEquals(row.n, 0, "a restart gap lists every market in its row");
  } finally {
    await served.close();
    await db.drop();
    await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
  }
});
