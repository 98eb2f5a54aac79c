/**
 * Replay end to end (issue 18's acceptance): discover and capture from the simulator into database
 * A (with a dropped socket, so A holds a recorded gap); serve A's window with `deno task replay
 * --speed 0`; point rest_service and ws_service (subprocesses through the launch plan, with
 * `KALSHI_CLOCK=server`) at it, capturing into database B; compare A and B row for row
 * (received_at, batch_id, sid, seq excluded).
 */
import { createTestDatabase } from "../lib/db/testing/database.ts";
import type { Sql } from "@kalshi-data/lib/db";
import { createLogger } from "@kalshi-data/lib/log";
import { createMetrics } from "@kalshi-data/lib/runtime";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { until } from "../lib/testing/wait.ts";
import {
  type CaptureState,
  runWsCapture,
  type WsCaptureOptions,
} from "../services/ws_service/capture.ts";
import { simClock, startSim } from "../services/ws_service/testing/sim.ts";
import { type Child, finish, spawnLaunched, spawnService } from "./testing/e2e.ts";

const quiet = createLogger("replay_e2e", { level: "error" });

interface Capture {
  state: CaptureState;
  stop(): Promise<void>;
}

async function capture(options: Pick<WsCaptureOptions, "sql" | "wsUrl" | "clock">) {
  const abort = new AbortController();
  let state: CaptureState | undefined;
  const done = runWsCapture({
    ...options,
    logger: quiet,
    metrics: createMetrics(),
    signal: abort.signal,
    credentials: null,
    scope: EVERYTHING,
    spoolDir: Deno.makeTempDirSync({ prefix: "replay_spool_" }),
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
  } satisfies Capture;
}

function confirmed(state: CaptureState): Promise<void> {
  return until(
    () =>
      state.client.subscriptions().length > 0 &&
      state.client.subscriptions().every((s) => s.sid !== null),
    "subscriptions confirmed",
  );
}

/** What both captures must hold identically, as comparable text. */
async function stored(sql: Sql) {
  const ticks = await sql<{ r: string }[]>`
    SELECT concat_ws('|', market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest,
                     yes_bid_size, yes_ask_size, last_trade_size, dollar_volume,
                     dollar_open_interest, extra::text) AS r
      FROM ticks ORDER BY 1`;
  const trades = await sql<{ r: string }[]>`
    SELECT concat_ws('|', trade_id, market_ticker, created_time, yes_price, no_price, count,
                     taker_side, taker_outcome_side, taker_book_side, is_block_trade, source,
                     raw::text) AS r
      FROM trades ORDER BY 1`;
  const lifecycle = await sql<{ r: string }[]>`
    SELECT concat_ws('|', message_type, event_type, market_ticker, event_ticker, event_ts,
                     (raw - 'sid' - 'seq')::text) AS r
      FROM market_lifecycle ORDER BY 1`;
  const gaps = await sql<{ r: string }[]>`
    SELECT concat_ws('|', channel, market_tickers::text, gap_start, gap_end, reason,
                     detail::text) AS r
      FROM capture_gaps ORDER BY 1`;
  const text = (rows: { r: string }[]) => rows.map((x) => x.r);
  return {
    ticks: text(ticks),
    trades: text(trades),
    lifecycle: text(lifecycle),
    gaps: text(gaps),
  };
}

async function play(served: ReturnType<typeof startSim>, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    served.sim.clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The URL a launched command logged in its "listening" line. */
async function listeningUrl(child: Child, key: string): Promise<string> {
  let url: string | undefined;
  await until(
    () => {
      for (const line of child.sofar.stderr.split("\n")) {
        if (!line.includes('"listening"')) continue;
        url = JSON.parse(line)[key];
      }
      return url !== undefined;
    },
    `${key} logged`,
    { limitMs: 60_000, diagnose: () => child.sofar.stderr },
  );
  return url!;
}

async function counts(sql: Sql): Promise<string> {
  const [row] = await sql<{ n: string }[]>`
    SELECT concat_ws(' ', (SELECT count(*) FROM ticks), (SELECT count(*) FROM trades),
                     (SELECT count(*) FROM market_lifecycle),
                     (SELECT count(*) FROM capture_gaps)) AS n`;
  return row.n;
}

Deno.test("rest_service and ws_service pointed at `deno task replay --speed 0` capture what A captured", async () => {
  const a = await createTestDatabase();
  const b = await createTestDatabase();
  const served = startSim(150, 9);
  const children: Child[] = [];
  try {
    // A: discovery from the simulator, then live capture with a dropped socket.
    const discovered = await finish(
      spawnService("rest_service", { db: a, served, args: ["--once"] }),
    );
    assertEquals(discovered.code, 0, discovered.stderr);
    const fromMs = served.sim.clock.now();
    const first = await capture({ sql: a.sql, wsUrl: served.wsUrl, clock: simClock(served) });
    await play(served, 20);
    served.sim.dropSockets();
    served.sim.clock.advance(10_000);
    await until(() => served.sim.connections > 0, "reconnected");
    await confirmed(first.state);
    await play(served, 20);
    await new Promise((r) => setTimeout(r, 200));
    await first.stop();
    const inA = await stored(a.sql);
    assertOk(inA.ticks.length > 500 && inA.gaps.length > 0, "A holds ticks and a gap");

    const replay = spawnLaunched("replay", {
      args: [
        "--port=0",
        `--from=${new Date(fromMs).toISOString()}`,
        `--to=${new Date(served.sim.clock.now() + 1).toISOString()}`,
        "--speed=0",
        "--quiet-ms=300",
      ],
      env: { DATABASE_URL: a.url, LOG_LEVEL: "info" },
    });
    children.push(replay);
    const wsUrl = await listeningUrl(replay, "ws_url");
    const restUrl = await listeningUrl(replay, "rest_url");
    const env = {
      DATABASE_URL: b.url,
      KALSHI_REST_URL: restUrl,
      KALSHI_WS_URL: wsUrl,
      KALSHI_CLOCK: "server",
      KALSHI_READS_PER_SECOND: "2000",
      LOG_LEVEL: "info",
    };
    const rest = await finish(spawnLaunched("rest_service", { args: ["--once"], env }));
    assertEquals(rest.code, 0, rest.stderr);
    const ws = spawnLaunched("ws_service", {
      args: [],
      env: {
        ...env,
        WS_SPOOL_DIR: Deno.makeTempDirSync({ prefix: "replay_ws_spool_" }),
        WS_TICKER_STALE_MS: "0",
        WS_FLUSH_MS: "20",
      },
    });
    children.push(ws);
    const want = await counts(a.sql);
    await until(async () => await counts(b.sql) === want, "B caught up with A", {
      limitMs: 180_000,
      everyMs: 200,
      diagnose: async () =>
        `B ${await counts(b.sql)} vs A ${want}\n${ws.sofar.stderr.slice(-3000)}`,
    });
    ws.child.kill("SIGTERM");
    const stopped = await finish(ws);
    assertEquals(stopped.code, 0, stopped.stderr.slice(-3000));
    const inB = await stored(b.sql);
    assertEquals(inB.ticks, inA.ticks);
    assertEquals(inB.trades, inA.trades);
    assertEquals(inB.lifecycle, inA.lifecycle);
    assertEquals(inB.gaps, inA.gaps);
  } finally {
    for (const c of children) {
      try {
        c.child.kill("SIGTERM");
      } catch { /* exited */ }
      await c.child.status;
    }
    await served.close();
    await a.drop();
    await b.drop();
  }
});
