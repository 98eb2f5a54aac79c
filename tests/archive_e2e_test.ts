/**
 * Issue 17's acceptance, end to end: after a simulator run (rest_service --once discovers the
 * catalog; ws_service's capture records ticks, trades and lifecycle messages across midnight
 * UTC), `deno task export` — a subprocess started through the launch plan, so its derived flags
 * (DuckDB's addon only for --allow-ffi) are proven sufficient — writes the archive, and every row
 * of every table read back by DuckDB equals the database's, value for value. A late trade makes
 * its day change; the next export rewrites it; --verify then passes. Killing an export in the
 * middle of a day leaves no partial day visible, and the next run completes it.
 */
import { join } from "node:path";
import { archiveRows, databaseRows } from "../lib/archive/testing/compare.ts";
import { openDuckDb, parquetFingerprint } from "@kalshi-data/lib/archive/duckdb";
import {
  ARCHIVE_TABLES,
  archiveTable,
  PART_NAME,
  readArchivedDays,
} from "@kalshi-data/lib/archive";
import { createTestDatabase, type TestDatabase } from "../lib/db/testing/database.ts";
import { type ServedSimulator, serveSimulator } from "@kalshi-data/lib/kalshi/sim";
import { createLogger } from "@kalshi-data/lib/log";
import { createMetrics } from "@kalshi-data/lib/runtime";
import { EVERYTHING } from "@kalshi-data/lib/scope";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { until } from "../lib/testing/wait.ts";
import { type CaptureState, runWsCapture } from "../services/ws_service/capture.ts";
import { simClock } from "../services/ws_service/testing/sim.ts";
import { DAY, finish, spawnLaunched, spawnService } from "./testing/e2e.ts";

/** 23:45 UTC of a day a month back: the capture runs across midnight. */
const START = Math.floor(Date.now() / DAY) * DAY - 30 * DAY + 23.75 * 3_600_000;
const FIRST_DAY = new Date(START).toISOString().slice(0, 10);
const quiet = createLogger("archive_e2e", { level: "error" });

function exportRun(db: TestDatabase, archiveDir: string, args: string[] = []) {
  return spawnLaunched("export", {
    args,
    env: { DATABASE_URL: db.url, ARCHIVE_DIR: archiveDir, ARCHIVE_MEMORY_MB: "256" },
  });
}

async function exportOk(db: TestDatabase, archiveDir: string, args: string[] = []) {
  const out = await finish(exportRun(db, archiveDir, args));
  assertEquals(out.code, 0, `export ${args.join(" ")} failed:\n${out.stdout}\n${out.stderr}`);
  return out;
}

async function capture(db: TestDatabase, served: ServedSimulator, minutes: number) {
  const abort = new AbortController();
  let state: CaptureState | undefined;
  const done = runWsCapture({
    sql: db.sql,
    logger: quiet,
    metrics: createMetrics(),
    signal: abort.signal,
    wsUrl: served.wsUrl,
    credentials: null,
    scope: EVERYTHING,
    spoolDir: await Deno.makeTempDir({ prefix: "archive_e2e_spool_" }),
    clock: simClock(served),
    refreshMs: 3_600_000,
    flushIntervalMs: 20,
    gapSlackMs: 0,
    reconnect: { baseMs: 10, maxMs: 50 },
    onReady: (s) => (state = s),
  });
  await until(() => state !== undefined && served.sim.connections > 0, "capture ready");
  await until(() => state!.client.subscriptions().every((s) => s.sid !== null), "subscribed");
  for (let i = 0; i < minutes; i++) {
    served.sim.clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 20));
  }
  await state!.pipeline.drained();
  abort.abort();
  await done;
}

async function assertArchiveEqualsDatabase(db: TestDatabase, archiveDir: string) {
  const duck = await openDuckDb({ archiveDir, memoryMb: 256, threads: 1 });
  try {
    for (const table of ARCHIVE_TABLES) {
      const archived = await archiveRows(duck, archiveDir, table);
      assertEquals(archived, await databaseRows(db.sql, table), `${table.name} differs`);
    }
  } finally {
    duck.close();
  }
}

Deno.test("a simulator run round-trips through the archive, across midnight and a late trade", async () => {
  const db = await createTestDatabase();
  const served = serveSimulator({
    seed: 11,
    markets: 60,
    startMs: START,
    paused: true,
    pumpIntervalMs: 0,
    pingSeconds: 0,
    historyDays: 1,
    futureDays: 1,
  });
  const archiveDir = await Deno.makeTempDir({ prefix: "archive_e2e_" });
  try {
    const rest = await finish(spawnService("rest_service", { db, served, args: ["--once"] }));
    assertEquals(rest.code, 0, rest.stderr);
    await capture(db, served, 30);
    const [counts] = await db.sql`
      SELECT count(DISTINCT (ts AT TIME ZONE 'UTC')::date)::int AS tick_days,
             (SELECT count(*)::int FROM trades) AS trades,
             (SELECT count(*)::int FROM market_lifecycle) AS lifecycle
      FROM ticks`;
    assertEquals(counts.tick_days, 2, "the capture crossed midnight");
    assertOk(counts.trades > 0 && counts.lifecycle >= 0);

    await exportOk(db, archiveDir);
    await assertArchiveEqualsDatabase(db, archiveDir);

    // A trade of the first day arrives late (a REST backfill after the export).
    await db.sql`
      INSERT INTO trades (trade_id, market_ticker, created_time, yes_price, no_price, count,
                          taker_side, source, raw)
      VALUES ('late-1', 'LATE-MKT', ${new Date(START + 60_000)}, 0.4200, 0.5800, 3.00, 'no',
              'rest', '{"trade_id":"late-1"}')`;
    const stale = await finish(exportRun(db, archiveDir, ["--verify", "--tables", "trades"]));
    assertEquals(stale.code, 1, stale.stdout);
    assertOk(stale.stdout.includes(`trades ${FIRST_DAY}: the database holds`), stale.stdout);
    const rerun = await exportOk(db, archiveDir);
    assertOk(/export: 1 day\(s\) written/.test(rerun.stdout), rerun.stdout);
    await assertArchiveEqualsDatabase(db, archiveDir);
    const verified = await exportOk(db, archiveDir, ["--verify"]);
    assertOk(verified.stdout.includes(", 0 differ"), verified.stdout);
  } finally {
    await served.close();
    await db.drop();
    await Deno.remove(archiveDir, { recursive: true });
  }
});

Deno.test("killing an export in the middle of a day leaves no partial day visible", async () => {
  const db = await createTestDatabase();
  const archiveDir = await Deno.makeTempDir({ prefix: "archive_kill_" });
  const day = "2026-10-01";
  const dir = join(archiveDir, "ticks", `date=${day}`);
  try {
    await db.sql`SELECT ensure_tick_partitions(${day}::timestamptz, 1)`;
    await db
      .sql`INSERT INTO ticks (market_ticker, ts, price) VALUES ('K', ${day}::timestamptz, 0.5)`;
    await exportOk(db, archiveDir, ["--tables", "ticks"]);
    const before = (await readArchivedDays(db.sql, "ticks")).get(day)!;
    // The day grows large enough that its rewrite takes a while.
    await db.sql`
      INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, received_at)
      SELECT 'K' || (i % 500), ${day}::timestamptz + i * interval '100 ms', 0.5, 0.49, 0.51, i,
             ${day}::timestamptz
      FROM generate_series(1, 400000) AS i`;
    const run = exportRun(db, archiveDir, ["--tables", "ticks"]);
    const temporary = async () => {
      for await (const f of Deno.readDir(dir)) if (f.name.includes(".tmp-")) return true;
      return false;
    };
    await until(temporary, "the export writing the day under a temporary name", { everyMs: 2 });
    run.child.kill("SIGKILL");
    await finish(run);

    const duck = await openDuckDb({ archiveDir, memoryMb: 256, threads: 1 });
    try {
      // Readers see the previous, complete version of the day — never part of the new one.
      const visible = await parquetFingerprint(duck, archiveTable("ticks"), [join(dir, PART_NAME)]);
      assertEquals(visible, { rows: before.rows, checksum: before.checksum });
      const [n] = await duck.rows(
        `SELECT count(*)::INT AS n FROM read_parquet('${archiveDir}/**/*.parquet')`,
      );
      assertEquals(n.n, 1);
    } finally {
      duck.close();
    }
    await exportOk(db, archiveDir, ["--tables", "ticks"]);
    const left = [];
    for await (const f of Deno.readDir(dir)) if (f.name.startsWith(".")) left.push(f.name);
    assertEquals(left, [], "the next run removed the interrupted run's temporary files");
    await assertArchiveEqualsDatabase(db, archiveDir);
  } finally {
    await db.drop();
    await Deno.remove(archiveDir, { recursive: true });
  }
});
