import { join } from "node:path";
import { measureSpool } from "../capture/mod.ts";
import { parseCommandLine } from "../config/mod.ts";
import { statusCommand } from "../commands/mod.ts";
import { createPool, type Sql } from "../db/mod.ts";
import { type TestDatabase, withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import {
  collectStatus,
  exitCodeOf,
  renderJson,
  renderText,
  runStatus,
  type StatusConfig,
  statusContext,
  StatusDeadlineError,
  type StatusIo,
  withDeadline,
} from "./mod.ts";
import {
  seedDiscovery,
  seedHealthy,
  seedJob,
  seedOpenMarket,
  seedSession,
} from "./testing/seed.ts";

const NOW = new Date("2026-12-02T12:00:00.000Z");
const MINUTE = 60_000;

function config(url: string, args: string[] = []): StatusConfig {
  const parsed = parseCommandLine(statusCommand, {
    args: [`--database-url=${url}`, "--spool-dir=/nonexistent/status-test-spool", ...args],
    env: {},
  });
  if (parsed.help) throw new Error("unexpected help");
  return parsed.config;
}

function collect(sql: Sql, url: string, args: string[] = []) {
  const ctx = statusContext(config(url, args), NOW);
  return collectStatus({ sql, measureSpool }, ctx);
}

function io(extra: Partial<StatusIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: StatusIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    now: () => NOW,
    connect: (url, o) => createPool(url.href, { max: 1, ...o }),
    measureSpool,
    ...extra,
  };
  return { io: value, out, err };
}

/** The names of the failed checks after `seed` on top of a healthy capture. */
async function staleAfter(db: TestDatabase, seed: (sql: Sql) => Promise<unknown>) {
  await seed(db.sql);
  const report = await collect(db.sql, db.url);
  return { report, checks: report.stale.map((f) => f.check), text: renderText(report) };
}

Deno.test("a healthy capture reports every section and exits 0", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    const report = await collect(db.sql, db.url);
    assertEquals(report.stale, []);
    assertEquals(exitCodeOf(report), 0);
    const text = renderText(report);
    assertOk(text.startsWith(`kalshi-data status at ${NOW.toISOString()}: healthy`), text);
    for (const what of ["ws ticker", "ws trade", "ws market_lifecycle_v2", "discovery"]) {
      assertOk(text.includes(what), `${what} missing:\n${text}`);
    }
    assertOk(/backfill backlog\s+2 pending \(1 due\), 1 running/.test(text), text);
    assertOk(
      /open capture gaps\s+1, oldest from 2026-12-02T10:00:00.000Z\s+2h00m/.test(text),
      text,
    );
    assertOk(/dead letters \(last 24 h\)\s+rest:\/markets: 1, ws: 2/.test(text), text);
    assertOk(
      /ws ticker\s+received 2026-12-02T11:59:50.000Z, exchange \S+\s+10s\s+ok/.test(text),
      text,
    );

    const run = io();
    assertEquals(await runStatus(config(db.url), run.io), 0);
    assertOk(run.out.join("\n").includes(": healthy"), run.out.join("\n"));
  });
});

Deno.test("a silent ticker channel with open markets is stale, saying by how much", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    const { checks, report, text } = await staleAfter(
      db,
      (sql) => seedSession(sql, NOW, { silentMs: 12 * MINUTE + 4000 }),
    );
    assertEquals(checks, ["ticker"]);
    assertEquals(report.stale[0].message, "last message 12m04s ago, limit 5m");
    assertEquals([report.stale[0].ageSeconds, report.stale[0].limitSeconds], [724, 300]);
    assertOk(text.includes("  ticker: last message 12m04s ago, limit 5m"), text);
    assertOk(/ws ticker .* 12m04s\s+STALE/.test(text), text);
    // The trade channel is as quiet, but only the checked channels are judged ...
    const both = await collect(db.sql, db.url, ["--ws-channels=ticker,trade"]);
    assertEquals(both.stale.map((f) => f.check), ["ticker", "trade"]);
  });
});

Deno.test("a silent channel is not stale without open markets, nor right after a reconnect", async () => {
  await withTestDatabase(async (db) => {
    await seedSession(db.sql, NOW, { silentMs: 3_600_000 });
    await seedDiscovery(db.sql, NOW);
    assertEquals((await collect(db.sql, db.url)).stale, []);
    await seedOpenMarket(db.sql, NOW);
    assertEquals((await collect(db.sql, db.url)).stale.map((f) => f.check), ["ticker"]);
    await seedSession(db.sql, NOW, { silentMs: 3_600_000, connectedAgoMs: MINUTE });
    assertEquals((await collect(db.sql, db.url)).stale, []);
    await seedSession(db.sql, NOW, { silentMs: 3_600_000, connectedAgoMs: 6 * MINUTE });
    const late = await collect(db.sql, db.url);
    assertEquals(
      late.stale.map((f) => f.message),
      ["no message since the session connected 6m00s ago, limit 5m"],
    );
  });
});

Deno.test("open markets without any capture session are stale; without open markets they are not", async () => {
  await withTestDatabase(async (db) => {
    await seedDiscovery(db.sql, NOW);
    assertEquals((await collect(db.sql, db.url)).stale, []);
    await seedOpenMarket(db.sql, NOW);
    const report = await collect(db.sql, db.url);
    assertEquals(report.stale.map((f) => [f.check, f.message]), [[
      "ws session",
      "no capture session (ingest_state ws.session) while 1 market(s) are open",
    ]]);
    // A market closed (or not yet open) does not count.
    await db.sql`UPDATE markets SET close_time = ${new Date(NOW.getTime() - MINUTE)}`;
    assertEquals((await collect(db.sql, db.url)).stale, []);
  });
});

Deno.test("the newest channel time over several sessions counts", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    await seedSession(db.sql, NOW, { instance: "old", silentMs: 5 * 3_600_000 });
    const report = await collect(db.sql, db.url);
    assertEquals(report.stale, []);
    const ws = report.sections.websocket as { sessions: { instance: string }[] };
    assertEquals(ws.sessions.map((s) => s.instance), ["default", "old"]);
  });
});

Deno.test("an old discovery pass, or none, is stale", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    const { checks, report } = await staleAfter(db, (sql) => seedDiscovery(sql, NOW, 40 * MINUTE));
    assertEquals(checks, ["discovery"]);
    assertEquals(report.stale[0].message, "last pass started 40m00s ago, limit 30m");
    await db.sql`DELETE FROM ingest_state WHERE key = 'discovery.markets_synced'`;
    const none = await collect(db.sql, db.url);
    assertEquals(none.stale.map((f) => f.message), [
      "no discovery pass recorded (ingest_state discovery.markets_synced)",
    ]);
  });
});

Deno.test("a due job waiting beyond the limit is stale", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    const { checks, report, text } = await staleAfter(
      db,
      (sql) => seedJob(sql, NOW, { key: "stuck", state: "pending", runAfterAgoMs: 70 * MINUTE }),
    );
    assertEquals(checks, ["backfill"]);
    assertEquals(
      report.stale[0].message,
      "oldest due job has waited 1h10m, limit 1h (2 due, 1 running)",
    );
    assertOk(/oldest due job\s+waiting\s+1h10m\s+STALE/.test(text), text);
    assertOk(/backfill backlog\s+3 pending \(2 due\), 1 running/.test(text), text);
  });
});

Deno.test("a job that died within the window is stale, with its error truncated", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    const error = "HTTP 500 from /markets/X/candlesticks: " + "x".repeat(400);
    const { checks, report } = await staleAfter(
      db,
      (sql) => seedJob(sql, NOW, { key: "died", state: "dead", finishedAgoMs: 10 * MINUTE, error }),
    );
    assertEquals(checks, ["dead jobs"]);
    const message = report.stale[0].message;
    assertOk(message.startsWith("1 job(s) died in the last 1h, newest error: HTTP 500"), message);
    assertOk(message.endsWith("…") && message.length < 200, message);
    const backfill = report.sections.backfill as { deadRecent: number; newestDeadError: string };
    assertEquals([backfill.deadRecent, backfill.newestDeadError.length], [1, 300]);
    // A narrower window leaves it out.
    assertEquals((await collect(db.sql, db.url, ["--dead-window=5"])).stale, []);
  });
});

Deno.test("--json prints one object with the status, the failed checks and every section", async () => {
  await withTestDatabase(async (db) => {
    await seedHealthy(db.sql, NOW);
    await seedDiscovery(db.sql, NOW, 2 * 3_600_000);
    const spool = await Deno.makeTempDir({ prefix: "status_spool_" });
    try {
      await Deno.writeTextFile(join(spool, "segment-000000000001.ndjson"), "{}\n{}\n");
      await Deno.writeTextFile(join(spool, "notes.txt"), "not a segment");
      const run = io();
      const code = await runStatus({ ...config(db.url, ["--json"]), spoolDir: spool }, run.io);
      assertEquals(code, 1);
      assertEquals(run.out.length, 1);
      const json = JSON.parse(run.out[0]);
      assertEquals(Object.keys(json), [
        "generatedAt",
        "status",
        "exitCode",
        "stale",
        "limits",
        "websocket",
        "orderbook",
        "discovery",
        "backfill",
        "captureGaps",
        "deadLetters",
        "spool",
        "archive",
      ]);
      assertEquals([json.generatedAt, json.status, json.exitCode], [NOW.toISOString(), "stale", 1]);
      assertEquals(json.orderbook, {
        lastDeltaAt: null,
        lastDeltaAgeSeconds: null,
        lastSnapshotAt: null,
        booksLastHour: 0,
        gapsLastDay: 0,
        openGaps: 0,
      });
      assertEquals(json.stale, [{
        check: "discovery",
        message: "last pass started 2h00m ago, limit 30m",
        ageSeconds: 7200,
        limitSeconds: 1800,
      }]);
      assertEquals(json.limits, {
        wsSilenceSeconds: 300,
        wsChannels: ["ticker"],
        maxPassAgeSeconds: 1800,
        maxDueAgeSeconds: 3600,
        deadWindowMinutes: 60,
      });
      assertEquals(json.websocket.openMarkets, 1);
      assertEquals(json.websocket.channels.ticker, {
        lastReceivedAt: "2026-12-02T11:59:50.000Z",
        lastMessageAt: "2026-12-02T11:59:49.950Z",
        ageSeconds: 10,
      });
      assertEquals(json.discovery, { lastPassAt: "2026-12-02T10:00:00.000Z", ageSeconds: 7200 });
      assertEquals(json.backfill, {
        pending: 2,
        running: 1,
        due: 1,
        oldestDueWaitSeconds: 120,
        deadWindowMinutes: 60,
        deadRecent: 0,
        newestDeadError: null,
      });
      assertEquals(json.captureGaps, {
        open: 1,
        oldestStart: "2026-12-02T10:00:00.000Z",
        ageSeconds: 7200,
      });
      assertEquals(json.deadLetters.bySource, { "rest:/markets": 1, ws: 2 });
      assertEquals(json.spool, { dir: spool, local: true, segments: 1, bytes: 6 });
      assertEquals(JSON.parse(renderJson(await collect(db.sql, db.url))).spool.local, false);
    } finally {
      await Deno.remove(spool, { recursive: true });
    }
  });
});

/** A local port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("an unreachable database gives exit 3 and one line, in JSON too", async () => {
  const url = `postgres://kalshi:secret@127.0.0.1:${closedPort()}/kalshi`;
  const run = io();
  assertEquals(await runStatus(config(url, ["--json"]), run.io), 3);
  assertEquals(run.err.length, 1);
  assertOk(
    run.err[0].startsWith("status: cannot tell: database unreachable at postgres://kalshi:***@"),
  );
  assertOk(!run.err.join("").includes("secret") && !run.err.join("").includes("    at "));
  assertEquals(JSON.parse(run.out[0]).status, "unknown");
});

Deno.test("a server that never answers gives exit 3 within the timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const drained: Promise<void>[] = [];
  // Read (and drop) what the client sends until it hangs up, without closing on its EOF as
  // `conn.readable` would: a hang-up from this side while postgres.js still has a write queued
  // (ECONNRESET, or "ended by the other party") would surface after the test.
  const drain = async (conn: Deno.Conn) => {
    const buffer = new Uint8Array(4096);
    try {
      while ((await conn.read(buffer)) !== null) { /* dropped */ }
    } catch { /* reset by the client */ }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      drained.push(drain(conn));
    }
  })();
  try {
    const { port } = listener.addr as Deno.NetAddr;
    const run = io();
    const code = await runStatus(
      config(`postgres://postgres@127.0.0.1:${port}/x`, ["--timeout=1"]),
      run.io,
    );
    assertEquals(code, 3);
    assertOk(
      /^status: cannot tell: (database unreachable|the database at)/.test(run.err[0]),
      run.err[0],
    );
  } finally {
    listener.close();
    // Wait (bounded) for the client to hang up, then for its queued writes (postgres.js writes
    // on the next turns of the event loop) to run, before closing this side.
    const bound = Promise.withResolvers<void>();
    const timer = setTimeout(bound.resolve, 10_000);
    await Promise.race([Promise.all(drained), bound.promise]);
    clearTimeout(timer);
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const conn of held) {
      try {
        conn.close();
      } catch { /* closed by the reader already */ }
    }
    await accepting.catch(() => {});
  }
});

Deno.test("a database without the schema gives exit 3 and says to migrate", async () => {
  await withTestDatabase(async (db) => {
    const run = io();
    assertEquals(await runStatus(config(db.url), run.io), 3);
    assertOk(run.err[0].includes("schema") && run.err[0].includes("deno task migrate"), run.err[0]);
  }, { migrate: false });
});

Deno.test("the deadline rejects work that never settles", async () => {
  const error = await assertRejects(withDeadline(new Promise(() => {}), 10), StatusDeadlineError);
  assertEquals(error.ms, 10);
  assertEquals(await withDeadline(Promise.resolve(7), 1000), 7);
});

Deno.test("bad values are usage errors naming the setting", () => {
  for (const args of [["--ws-silence=abc"], ["--ws-channels=Ticker!"], ["--bogus"]]) {
    let message = "";
    try {
      config("postgres://postgres@127.0.0.1:5432/x", args);
    } catch (error) {
      message = (error as Error).message;
    }
    assertOk(message.startsWith("Invalid configuration:"), `${args}: ${message}`);
  }
});

Deno.test("the spool is measured without being created; unreadable or absent is null", async () => {
  const dir = await Deno.makeTempDir({ prefix: "status_spool_" });
  try {
    assertEquals(await measureSpool(join(dir, "absent")), null);
    assertEquals(await measureSpool(dir), { segments: 0, bytes: 0 });
    await Deno.writeTextFile(join(dir, "segment-000000000002.ndjson"), "abc\n");
    await Deno.writeTextFile(join(dir, "segment-000000000003.ndjson"), "de\n");
    assertEquals(await measureSpool(dir), { segments: 2, bytes: 7 });
    assertOk((await Array.fromAsync(Deno.readDir(dir))).length === 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
