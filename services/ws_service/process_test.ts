/**
 * ws_service as a child process started through the launch plan (so its permission flags are
 * proven enough): SIGKILL mid-stream and restart, then SIGTERM.
 */
import { createTestDatabase } from "../../lib/db/testing/database.ts";
import { planLaunch, RUNNABLES } from "@kalshi-data/lib/launch";
import { type EmitRecord, serveSimulator, type WsRecord } from "@kalshi-data/lib/kalshi/sim";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { dollarsToPriceUnits, fixedPointToCountUnits } from "@kalshi-data/lib/kalshi";
import { seedMarkets, testCredentials } from "./testing/sim.ts";
import { until } from "../../lib/testing/wait.ts";
import type { Sql } from "@kalshi-data/lib/db";

type LogLine = Record<string, unknown> & { message?: string };

interface Child {
  process: Deno.ChildProcess;
  lines: LogLine[];
  /** Resolves once stderr ended. */
  closed: Promise<void>;
}

function spawnService(env: Record<string, string>): Child {
  const plan = planLaunch(RUNNABLES.ws_service, { args: [], env });
  if ("help" in plan) throw new Error("unexpected help");
  const process = new Deno.Command(plan.program, {
    args: plan.args,
    env: plan.env,
    cwd: plan.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: LogLine[] = [];
  const closed = (async () => {
    let rest = "";
    for await (const chunk of process.stderr.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part));
        } catch {
          lines.push({ message: part });
        }
      }
    }
  })();
  return { process, lines, closed };
}

const logged = (child: Child, test: (line: LogLine) => boolean) => child.lines.some(test);

Deno.test("SIGKILL mid-stream and a restart: every message stored once or inside a restart gap; SIGTERM flushes and exits 0", async () => {
  const db = await createTestDatabase();
  // Signed handshakes: the order-book channel requires them.
  const { auth, credentials } = testCredentials();
  const keyFile = Deno.makeTempFileSync({ prefix: "ws_key_", suffix: ".pem" });
  Deno.writeTextFileSync(
    keyFile,
    credentials.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  );
  // Simulated time runs 10× real time but starts behind it, so exchange times never pass the
  // service's own clock (gap bounds mix the two, as with the real exchange).
  const served = serveSimulator({
    seed: 21,
    markets: 400,
    startMs: Date.now() - 300_000,
    speed: 10,
    pumpIntervalMs: 50,
    pingSeconds: 0,
    historyDays: 1,
    futureDays: 1,
    auth: { publicKeyPem: auth.publicKeyPem, keyId: auth.keyId },
  });
  const spoolDir = Deno.makeTempDirSync({ prefix: "ws_spool_proc_" });
  const env = {
    DATABASE_URL: db.url,
    KALSHI_WS_URL: served.wsUrl,
    KALSHI_REST_URL: served.restUrl,
    WS_SPOOL_DIR: spoolDir,
    WS_INSTANCE: "proc_test",
    WS_FLUSH_MS: "20",
    WS_REFRESH_MS: "3600000",
    LOG_LEVEL: "info",
    SHUTDOWN_TIMEOUT_MS: "10000",
    KALSHI_API_KEY_ID: auth.keyId,
    KALSHI_PRIVATE_KEY_PATH: keyFile,
    WS_ORDERBOOK_SCOPE: "top:15",
  };
  const children: Child[] = [];
  const tickCount = async () =>
    Number((await db.sql<{ n: string }[]>`SELECT count(*) AS n FROM ticks`)[0].n);
  try {
    assertOk(await seedMarkets(db.sql, served) > 50);
    // Watch every seeded market whatever the service's clock says.
    await db.sql`UPDATE markets SET open_time = NULL, close_time = NULL, volume_24h = 1`;
    const seeded = new Set(
      (await db.sql<{ ticker: string }[]>`SELECT ticker FROM markets`).map((r) => r.ticker),
    );

    // The first process commits only every 100 rows, so a kill finds rows not yet committed.
    const first = spawnService({ ...env, WS_FLUSH_MS: "60000", WS_BATCH_ROWS: "100" });
    children.push(first);
    await until(() => logged(first, (l) => l.message === "capturing"), "first start");
    await until(async () => await tickCount() >= 50, "ticks committed by the first process");
    const sentTicks = () =>
      (served.sim.groundTruth.records("ws") as WsRecord[]).filter((r) =>
        r.kind === "ws_send" && r.n !== undefined && r.frame!.startsWith('{"type":"ticker"')
      ).length;
    await until(async () => sentTicks() >= await tickCount() + 20, "ticks sent, not committed");
    first.process.kill("SIGKILL");
    assertEquals((await first.process.status).signal, "SIGKILL");
    await first.closed;
    // Let the exchange go on while nothing listens.
    const emitted = served.sim.groundTruth.records("emit").length;
    await until(
      () => served.sim.groundTruth.records("emit").length > emitted + 100,
      "emissions while down",
    );

    const second = spawnService(env);
    children.push(second);
    await until(
      () =>
        logged(
          second,
          (l) => l.message === "capture gap" && l.reason === "restart" && l.channel === "ticker",
        ),
      "restart gap on ticker",
    );
    const before = await tickCount();
    await until(async () => await tickCount() >= before + 100, "ticks after the restart");
    second.process.kill("SIGTERM");
    const status = await second.process.status;
    await second.closed;
    assertEquals(status.code, 0);
    const stopped = second.lines.find((l) => l.message === "capture stopped");
    assertEquals(stopped?.flushed, true);
    assertEquals([...Deno.readDirSync(spoolDir)].filter((e) => e.name !== ".lock").length, 0);

    // Ground truth: data frames the simulator sent on any connection.
    const emits = new Map<number, EmitRecord>();
    for (const r of served.sim.groundTruth.records("emit") as EmitRecord[]) emits.set(r.n, r);
    const sent: EmitRecord[] = [];
    for (const r of served.sim.groundTruth.records("ws") as WsRecord[]) {
      if (r.kind !== "ws_send" || r.n === undefined) continue;
      const e = emits.get(r.n)!;
      if ((e.type === "ticker" || e.type === "trade") && seeded.has(e.market_ticker!)) sent.push(e);
    }
    const ticks = await db.sql<{ k: string }[]>`
      SELECT market_ticker || '|' || (extract(epoch FROM ts) * 1000)::bigint AS k FROM ticks`;
    const tickKeys = new Set(ticks.map((r) => r.k));
    assertEquals(tickKeys.size, ticks.length, "duplicated ticks");
    const trades = new Set(
      (await db.sql<{ trade_id: string }[]>`SELECT trade_id FROM trades`).map((r) => r.trade_id),
    );
    const gaps = await db.sql<
      { channel: string; reason: string; s: string; e: string; markets: string[] | null }[]
    >`
      SELECT channel, reason, (extract(epoch FROM gap_start) * 1000)::bigint AS s,
             (extract(epoch FROM gap_end) * 1000)::bigint AS e, market_tickers AS markets
      FROM capture_gaps`;
    assertEquals(new Set(gaps.map((g) => g.reason)), new Set(["restart"]));
    assertEquals(gaps.filter((g) => g.channel === "ticker").length, 1);
    let storedSent = 0;
    let missed = 0;
    for (const e of sent) {
      const stored = e.type === "ticker"
        ? tickKeys.has(`${e.market_ticker}|${e.msg.ts_ms}`)
        : trades.has(String(e.msg.trade_id));
      if (stored) {
        storedSent++;
        continue;
      }
      missed++;
      const covered = gaps.some((g) =>
        g.channel === e.channel && Number(g.s) <= e.time_ms && e.time_ms <= Number(g.e) &&
        (g.markets === null || g.markets.includes(e.market_ticker!))
      );
      assertOk(covered, `${e.type} of ${e.market_ticker} at ${e.time_ms} outside every gap`);
    }
    // Nothing stored that was not sent (or twice): stored rows are exactly the sent ones found.
    assertEquals(tickKeys.size + trades.size, storedSent);
    // The waits above saw at least 50 + 100 ticks committed; all of them must be sent ones.
    assertOk(storedSent >= 150, `only ${storedSent} messages stored`);
    assertOk(missed > 0, "the kill lost nothing: the test did not exercise the restart gap");
    await assertDeltasOnceOrInGap(db.sql, served.sim.groundTruth.records("ws") as WsRecord[]);
  } finally {
    for (const child of children) {
      try {
        child.process.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.process.status;
      await child.closed.catch(() => {});
    }
    await served.close();
    await db.drop();
    await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
    await Deno.remove(keyFile).catch(() => {});
  }
});

/**
 * Order-book deltas: every one sent is stored at most once (as a multiset: equal deltas may share
 * a millisecond), and every one not stored lies inside an order-book gap of its market.
 */
async function assertDeltasOnceOrInGap(sql: Sql, records: WsRecord[]): Promise<void> {
  const key = (t: string, ms: number | string, side: string, price: number, delta: number) =>
    `${t}|${ms}|${side}|${price}|${delta}`;
  const sent = new Map<string, { n: number; ticker: string; ms: number }>();
  for (const r of records) {
    if (r.kind !== "ws_send" || !r.frame!.startsWith('{"type":"orderbook_delta"')) continue;
    const m = JSON.parse(r.frame!).msg;
    const k = key(
      m.market_ticker,
      m.ts_ms,
      m.side,
      dollarsToPriceUnits(m.price_dollars),
      fixedPointToCountUnits(m.delta_fp),
    );
    const seen = sent.get(k) ?? { n: 0, ticker: m.market_ticker, ms: m.ts_ms };
    seen.n++;
    sent.set(k, seen);
  }
  const stored = await sql<
    { t: string; ms: string; side: string; price: number; delta: number; n: number }[]
  >`
    SELECT m.market_ticker AS t, (extract(epoch FROM d.ts) * 1000)::bigint::text AS ms,
           d.side::text AS side, d.price::int AS price, d.delta, count(*)::int AS n
    FROM orderbook_deltas d JOIN orderbook_markets m ON m.id = d.market_id
    GROUP BY 1, 2, 3, 4, 5`;
  const gaps = await sql<{ s: string; e: string; markets: string[] | null }[]>`
    SELECT (extract(epoch FROM gap_start) * 1000)::bigint AS s,
           (extract(epoch FROM gap_end) * 1000)::bigint AS e, market_tickers AS markets
    FROM capture_gaps WHERE channel IN ('orderbook_delta', 'all')`;
  let total = 0;
  for (const r of stored) {
    const k = key(r.t, r.ms, r.side === "y" ? "yes" : "no", r.price, r.delta);
    const s = sent.get(k);
    assertOk(s !== undefined && s.n >= r.n, `stored delta ${k} ×${r.n} was not sent that often`);
    s.n -= r.n;
    total += r.n;
  }
  for (const [k, s] of sent) {
    if (s.n === 0) continue;
    const covered = gaps.some((g) =>
      Number(g.s) <= s.ms && s.ms <= Number(g.e) &&
      (g.markets === null || g.markets.includes(s.ticker))
    );
    assertOk(covered, `order-book delta ${k} neither stored nor inside a gap`);
  }
  assertOk(total > 100, `only ${total} order-book deltas stored`);
}
