/**
 * Order books through the replay (issues 18 + 16): capture order books from the simulator into
 * database A (signed credentials, top:10, a dropped socket so A holds `resync` snapshots and
 * checkpoints); serve A's window (`serveReplay`, speed 0, the database source); capture the replay
 * into database B the same way. B's deltas equal A's, its subscribe/resync snapshots hold the same
 * books, and the book rebuilt from B equals the book rebuilt from A at every sampled delta instant.
 * The REST order-book endpoints answer the book as of replay time.
 */
import { createTestDatabase } from "../lib/db/testing/database.ts";
import type { Sql } from "@kalshi-data/lib/db";
import { type Clock, systemClock } from "@kalshi-data/lib/kalshi";
import { marketStatus, type ServedSimulator } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { bookAt, orderbookJson } from "@kalshi-data/lib/orderbook";
import { createDbSource, createReplayRest, serveReplay } from "@kalshi-data/lib/replay";
import { createMetrics } from "@kalshi-data/lib/runtime";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { until } from "../lib/testing/wait.ts";
import {
  type CaptureState,
  runWsCapture,
  type WsCaptureOptions,
} from "../services/ws_service/capture.ts";
import {
  seedMarkets,
  simClock,
  startSim,
  testCredentials,
} from "../services/ws_service/testing/sim.ts";

const quiet = createLogger("replay_orderbook_e2e", { level: "error" });
const TOP = 10;

interface Capture {
  state: CaptureState;
  stop(): Promise<void>;
}

async function capture(
  options: Pick<WsCaptureOptions, "sql" | "wsUrl" | "clock" | "credentials">,
): Promise<Capture> {
  const abort = new AbortController();
  let state: CaptureState | undefined;
  const done = runWsCapture({
    ...options,
    logger: quiet,
    metrics: createMetrics(),
    signal: abort.signal,
    scope: EVERYTHING,
    orderbookScope: { kind: "top", n: TOP },
    orderbookCheckpointMs: 150,
    spoolDir: Deno.makeTempDirSync({ prefix: "replay_ob_spool_" }),
    refreshMs: 3_600_000,
    tickerStaleMs: 0,
    flushIntervalMs: 20,
    gapSlackMs: 0,
    reconnect: { baseMs: 10, maxMs: 50 },
    onReady: (s) => (state = s),
  });
  await until(() => state !== undefined, "capture ready");
  await confirmed(state!);
  return {
    state: state!,
    async stop() {
      await state!.pipeline.drained();
      abort.abort();
      await done;
    },
  };
}

function confirmed(state: CaptureState): Promise<void> {
  return until(
    () =>
      state.client.subscriptions().length > 0 &&
      state.client.subscriptions().every((s) => s.sid !== null),
    "subscriptions confirmed",
  );
}

/** Gives `tickers` the highest volume_24h, in order (the `top:N` scope's input). */
async function rank(sql: Sql, tickers: readonly string[]): Promise<void> {
  await sql`UPDATE markets SET volume_24h = 1000 + array_position(${tickers}::text[], ticker)
            WHERE ticker = ANY(${tickers}::text[])`;
}

/** The `n` active markets with the most frequent steps. */
function busiest(served: ServedSimulator, n: number): string[] {
  const w = served.sim.world;
  const now = served.sim.clock.now();
  return Array.from({ length: w.marketCount }, (_, m) => m)
    .filter((m) => marketStatus(w, m, now) === "active")
    .sort((a, b) => w.marketStepMs[a] - w.marketStepMs[b])
    .slice(0, n)
    .map((m) => w.marketTickers[m]);
}

async function play(served: ServedSimulator, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    served.sim.clock.advance(5_000);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Stored deltas and subscribe/resync snapshots as comparable text (ord, checkpoints excluded;
 * a snapshot's ts too: a snapshot carries no exchange time, each capture stamps it from its own
 * receive clock and the next delta — the book comparison at delta instants covers it).
 */
async function stored(sql: Sql) {
  const deltas = await sql<{ r: string }[]>`
    SELECT concat_ws('|', m.market_ticker, d.ts, d.side, d.price, d.delta) AS r
      FROM orderbook_deltas d JOIN orderbook_markets m ON m.id = d.market_id ORDER BY 1`;
  const snapshots = await sql<{ r: string }[]>`
    SELECT concat_ws('|', m.market_ticker, s.kind, s.yes_price::text, s.yes_size::text,
                     s.no_price::text, s.no_size::text) AS r
      FROM orderbook_snapshots s JOIN orderbook_markets m ON m.id = s.market_id
     WHERE s.kind <> 'checkpoint' ORDER BY 1`;
  return { deltas: deltas.map((x) => x.r), snapshots: snapshots.map((x) => x.r) };
}

/**
 * Row counts, one table per statement: a statement reading both tables can deadlock with the
 * writer creating a day's partitions of both (it locks them in the other order).
 */
async function counts(sql: Sql): Promise<string> {
  const [deltas] = await sql<{ n: string }[]>`SELECT count(*)::text AS n FROM orderbook_deltas`;
  const [snapshots] = await sql<{ n: string }[]>`
    SELECT count(*)::text AS n FROM orderbook_snapshots WHERE kind <> 'checkpoint'`;
  return `${deltas.n} ${snapshots.n}`;
}

/** Every `step`-th stored delta instant of A, per market. */
async function instants(sql: Sql, step: number) {
  const rows = await sql<{ ticker: string; ms: string }[]>`
    SELECT ticker, ms FROM (
      SELECT m.market_ticker AS ticker, (extract(epoch FROM d.ts) * 1000)::bigint::text AS ms,
             row_number() OVER (ORDER BY d.ts, d.ord) AS n
        FROM orderbook_deltas d JOIN orderbook_markets m ON m.id = d.market_id) AS x
     WHERE n % ${step} = 0`;
  return rows.map((r) => ({ ticker: r.ticker, ms: Number(r.ms) }));
}

async function levelsAt(sql: Sql, ticker: string, ms: number) {
  const rebuilt = await bookAt(sql, ticker, new Date(ms));
  return rebuilt.status === "ok" ? rebuilt.book.toLevels() : rebuilt.status;
}

Deno.test("ws_service capturing `replay` stores the order books A captured, resyncs included", async () => {
  const a = await createTestDatabase();
  const b = await createTestDatabase();
  const { auth, credentials } = testCredentials();
  const served = startSim(150, 3, { auth });
  let replay: ReturnType<typeof serveReplay> | null = null;
  try {
    // Both catalogs as of the window start (B's capture starts at replay time = the window start).
    await seedMarkets(a.sql, served);
    await seedMarkets(b.sql, served);
    await rank(a.sql, busiest(served, TOP));
    const fromMs = served.sim.clock.now();
    const first = await capture({
      sql: a.sql,
      wsUrl: served.wsUrl,
      clock: simClock(served),
      credentials,
    });
    const books = [...first.state.orderbook.markets].sort();
    assertEquals(books.length, TOP);
    await play(served, 20);
    served.sim.dropSockets();
    await until(() => first.state.client.connected, "reconnected");
    await until(() => first.state.orderbook.openGaps === 0, "resynced");
    await play(served, 20);
    await new Promise((r) => setTimeout(r, 200));
    await first.stop();
    const inA = await stored(a.sql);
    const [kinds] = await a.sql<{ resync: number; checkpoint: number }[]>`
      SELECT count(*) FILTER (WHERE kind = 'resync')::int AS resync,
             count(*) FILTER (WHERE kind = 'checkpoint')::int AS checkpoint
        FROM orderbook_snapshots`;
    assertOk(
      inA.deltas.length > 200 && kinds.resync >= TOP && kinds.checkpoint > 0,
      `A holds deltas, resyncs and checkpoints: ${inA.deltas.length} ${JSON.stringify(kinds)}`,
    );

    const toMs = served.sim.clock.now() + 1;
    replay = serveReplay({
      source: createDbSource(a.sql),
      rest: createReplayRest(a.sql, { fromMs, now: () => replay?.now() ?? fromMs }),
      window: { fromMs, toMs },
      speed: 0,
      quietMs: 300,
      clock: systemClock,
      logger: quiet,
    });
    const served2 = replay;
    // B's clock is replay time, as KALSHI_CLOCK=server makes it.
    const replayClock: Clock = { now: () => served2.now(), sleep: systemClock.sleep };
    await rank(b.sql, books);
    const second = await capture({
      sql: b.sql,
      wsUrl: replay.wsUrl,
      clock: replayClock,
      credentials,
    });
    assertEquals([...second.state.orderbook.markets].sort(), books);
    const want = await counts(a.sql);
    await until(async () => await counts(b.sql) === want, "B caught up with A", {
      limitMs: 120_000,
      everyMs: 100,
      diagnose: async () => `B ${await counts(b.sql)} vs A ${want}`,
    });
    await until(() => replay!.sessions().every((s) => s.finished), "replay finished");
    await second.stop();
    const inB = await stored(b.sql);
    assertEquals(inB.deltas, inA.deltas);
    assertEquals(inB.snapshots, inA.snapshots);

    const sampled = await instants(a.sql, 5);
    assertOk(sampled.length >= 40, `sampled ${sampled.length} instants`);
    for (const { ticker, ms } of sampled) {
      assertEquals(
        await levelsAt(b.sql, ticker, ms),
        await levelsAt(a.sql, ticker, ms),
        `${ticker} at ${new Date(ms).toISOString()}`,
      );
    }

    // REST: the books as of replay time (the window's end once the replay finished).
    const atMs = replay.now();
    const one = await (await fetch(`${replay.restUrl}/markets/${books[0]}/orderbook`)).json();
    const rebuilt = await bookAt(a.sql, books[0], new Date(atMs));
    assertEquals(rebuilt.status, "ok");
    if (rebuilt.status === "ok") assertEquals(one, orderbookJson(rebuilt.book));
    const many =
      await (await fetch(`${replay.restUrl}/markets/orderbooks?tickers=${books.join(",")}`))
        .json() as { orderbooks: { ticker: string }[] };
    assertEquals(many.orderbooks.map((o) => o.ticker), books);
    const missing = await fetch(`${replay.restUrl}/markets/NO-SUCH-MARKET/orderbook`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await replay?.close();
    await served.close();
    await a.drop();
    await b.drop();
  }
});
