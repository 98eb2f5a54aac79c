import { upsertMarkets } from "../catalog/mod.ts";
import type { Sql } from "../db/mod.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import { parseMarket } from "../kalshi/mod.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { startTcpProxy } from "../testing/tcp_proxy.ts";
import { until } from "../testing/wait.ts";
import { createPool } from "../db/mod.ts";
import type { CaptureBatch } from "./batch.ts";
import { createCapturePipeline } from "./pipeline.ts";
import { openSpool } from "./spool.ts";
import { writeBatch, type WriteOutcome } from "./store.ts";
import { statusRow, T0, tick, tickBatch } from "./testing/rows.ts";

const quiet = createLogger("pipeline_test", { sink: () => {} });

Deno.test("a batch that stalls and then fails while newer ones spool still commits before them: the newest status wins", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline_order_" });
  await withTestDatabase(async ({ sql }) => {
    await sql`INSERT INTO markets (ticker, event_ticker, status, raw)
      VALUES ('KXORD-1', 'KXORD', 'initialized', '{}')`;
    const release = Promise.withResolvers<void>();
    let stalled = false;
    const order: string[] = [];
    const write = async (batch: CaptureBatch, source: string, salvage: boolean) => {
      if (batch.id === "s:1" && !stalled) {
        stalled = true;
        await release.promise; // the database hangs on the first batch, then drops it
        throw new Error("connection reset");
      }
      const outcome: WriteOutcome = await writeBatch(sql, batch, {
        instance: "t",
        source,
        salvage,
      });
      if (outcome === "written") order.push(batch.id);
      return outcome;
    };
    const spool = await openSpool(dir);
    const pipe = createCapturePipeline({
      sql,
      spool,
      logger: quiet,
      instance: "t",
      sessionId: "s",
      flushIntervalMs: 60_000,
      maxBufferRows: 2, // s:1 (2 rows) queues; each later batch (3 rows) overflows to the spool
      retryBaseMs: 1,
      write,
    });
    const statuses = ["active", "inactive", "closed", "determined"];
    const seal = (i: number) => {
      pipe.lifecycle(statusRow("KXORD-1", statuses[i], T0 + i));
      pipe.tick(tick(i));
      if (i > 0) pipe.tick(tick(100 + i));
      pipe.seal();
    };
    seal(0);
    await until(() => stalled, "s:1 in flight");
    for (let i = 1; i < statuses.length; i++) seal(i);
    await until(() => spool.bytes > 0, "newer batches spooled while s:1 hangs");
    release.resolve();
    await pipe.drained();
    await pipe.stop();
    await spool.close();
    assertEquals(order, ["s:1", "s:2", "s:3", "s:4"], "commit order = seal order");
    assertEquals(await stored(sql), "determined T0+3 -");

    // Discovery meets the market out of order: REST pages older than the WS status (also a
    // `closed` one whose close_time passed before it) change nothing; a newer one wins.
    await upsertMarkets(sql, [snapshot("active", T0 + 1)], { onlyExisting: true });
    await upsertMarkets(sql, [snapshot("closed", T0)]);
    assertEquals(await stored(sql), "determined T0+3 -");
    await upsertMarkets(sql, [snapshot("finalized", T0 + 10, { result: "yes" })]);
    assertEquals(await stored(sql), "finalized T0+10 yes");
    // …and then a WS status older than that REST page (a late replay) is skipped in turn.
    const late = {
      ...tickBatch("late:1", []),
      lifecycle: [statusRow("KXORD-1", "active", T0 + 5)],
    };
    assertEquals(await writeBatch(sql, late, { instance: "t" }), "written");
    assertEquals(await stored(sql), "finalized T0+10 yes");
    const newer = {
      ...tickBatch("late:2", []),
      lifecycle: [statusRow("KXORD-1", "amended", T0 + 11)],
    };
    await writeBatch(sql, newer, { instance: "t" });
    assertEquals(await stored(sql), "amended T0+11 yes");
  });
  await Deno.remove(dir, { recursive: true });
});

/** KXORD-1's status, its exchange time relative to T0, and its result. */
async function stored(sql: Sql): Promise<string> {
  const [m] = await sql`
    SELECT status, (extract(epoch FROM status_ts) * 1000)::bigint - ${T0} AS after_t0, result
    FROM markets WHERE ticker = 'KXORD-1'`;
  return `${m.status} T0+${m.after_t0} ${m.result ?? "-"}`;
}

/** A REST snapshot of KXORD-1 (closing at T0 + 2 ms) last updated at `updatedMs`. */
function snapshot(status: string, updatedMs: number, extra: Record<string, unknown> = {}) {
  return parseMarket({
    ticker: "KXORD-1",
    event_ticker: "KXORD",
    status,
    open_time: new Date(T0 - 60_000).toISOString(),
    close_time: new Date(T0 + 2).toISOString(),
    updated_time: new Date(updatedMs).toISOString(),
    result: "",
    market_type: "binary",
    title: "Order test",
    yes_bid_dollars: "0.5500",
    yes_ask_dollars: "0.5700",
    last_price_dollars: "0.5600",
    volume_fp: "10.00",
    open_interest_fp: "5.00",
    ...extra,
  });
}

Deno.test("with the database and the disk both down memory stays bounded; the dropped rows become a gap once the database is back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline_drop_" });
  await withTestDatabase(async ({ sql }) => {
    let databaseUp = false;
    const write = (batch: CaptureBatch, source: string, salvage: boolean) =>
      databaseUp
        ? writeBatch(sql, batch, { instance: "t", source, salvage })
        : Promise.reject(new Error("connection refused"));
    let diskUp = false;
    const spool = await openSpool(dir, {
      appendFile: (path, data) =>
        diskUp
          ? Deno.writeFile(path, data, { append: true })
          : Promise.reject(new Deno.errors.WriteZero("No space left on device")),
    });
    const lines: string[] = [];
    const pipe = createCapturePipeline({
      sql,
      spool,
      logger: createLogger("t", { sink: (l) => lines.push(l) }),
      instance: "t",
      sessionId: "s",
      flushIntervalMs: 60_000,
      maxBatchRows: 10,
      maxBufferRows: 50,
      spoolAfterFailures: 1,
      retryBaseMs: 1,
      now: () => T0 + 10_000,
      write,
    });
    let peak = 0;
    for (let n = 0; n < 500; n++) {
      pipe.tick(tick(n));
      if (n % 10 === 9) await new Promise((r) => setTimeout(r, 1)); // let the writer fail
      peak = Math.max(peak, pipe.stats.bufferedRows);
    }
    await until(() => pipe.stats.rowsDropped > 0, "rows dropped", {
      limitMs: 20_000,
      diagnose: () => JSON.stringify(pipe.stats) + lines.slice(-5).join("\n"),
    });
    assertOk(peak <= 50 + 20, `memory stayed bounded (peak ${peak} rows, limit 50)`);
    assertEquals(pipe.stats.lastDropMs, T0 + 10_000);
    assertOk(lines.some((l) => l.includes("dropping the oldest batches")));

    databaseUp = diskUp = true;
    pipe.tick(tick(1000));
    pipe.seal();
    await pipe.drained();
    await pipe.stop();
    await spool.close();
    const [{ stored }] = await sql`SELECT count(*)::int AS stored FROM ticks`;
    const [gap] = await sql`SELECT gap_start, gap_end, reason, detail FROM capture_gaps`;
    assertEquals(gap.reason, "buffer_dropped");
    assertEquals(stored + Number(gap.detail.rows), 501, "every row is stored or inside the gap");
    assertOk(gap.gap_start.getTime() >= T0 && gap.gap_end.getTime() < T0 + 500);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a backlog queued behind a stalled database commits in a few transactions once it returns, exactly once and in order; a poisoned batch still lands its neighbours", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline_catch_up_" });
  await withTestDatabase(async ({ sql, url }) => {
    await sql`INSERT INTO markets (ticker, event_ticker, status, raw)
      VALUES ('KXORD-1', 'KXORD', 'initialized', '{}')`;
    const target = new URL(url);
    const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = createPool(proxy.url(url), { max: 2, connectTimeoutSeconds: 2 });
    await viaProxy`SELECT 1`; // connected before the outage, as a running service is
    const spool = await openSpool(dir);
    const pipe = createCapturePipeline({
      sql: viaProxy,
      spool,
      logger: quiet,
      instance: "t",
      sessionId: "s",
      flushIntervalMs: 60_000,
      spoolAfterFailures: 1_000_000, // the backlog stays in memory, as in a short outage
      retryBaseMs: 1,
      maxGroupBatches: 64,
    });
    const statuses = ["active", "inactive"];
    let sealed = 0;
    /** Queues `n` one-tick batches behind a cut database (`poisoned`: refused ticks), then lets it back. */
    const outage = async (n: number, poisoned: Set<number> = new Set()) => {
      proxy.cut();
      const failures = pipe.stats.writeFailures;
      for (let k = 0; k < n; k++, sealed++) {
        pipe.lifecycle(statusRow("KXORD-1", statuses[sealed % 2], T0 + sealed));
        pipe.tick(tick(sealed, poisoned.has(sealed) ? '{"note":"\\u0000"}' : null));
        pipe.seal();
      }
      await until(() => pipe.stats.writeFailures > failures, "a write failing", {
        limitMs: 15_000,
        diagnose: () => JSON.stringify(pipe.stats),
      });
      assertEquals(pipe.stats.batchesWritten, sealed - n, "nothing committed during the outage");
      proxy.restore();
      await pipe.drained(AbortSignal.timeout(30_000));
    };
    try {
      const N = 40;
      await outage(N);
      const [{ transactions }] = await sql<{ transactions: number }[]>`
        SELECT count(DISTINCT xmin::text)::int AS transactions FROM ingested_batches`;
      assertOk(transactions < N, `${N} batches took ${transactions} transactions`);
      assertEquals(pipe.stats.batchesWritten, N);
      const ticks = await sql<{ batch_id: string; market_ticker: string }[]>`
        SELECT batch_id, market_ticker FROM ticks ORDER BY ts`;
      assertEquals(
        ticks.map((t) => `${t.batch_id} ${t.market_ticker}`),
        Array.from({ length: N }, (_, i) => `s:${i + 1} ${tick(i).marketTicker}`),
        "every row once, under its own batch id",
      );
      const lifecycle = await sql<{ at: number }[]>`
        SELECT (extract(epoch FROM received_at) * 1000)::bigint - ${T0} AS at
        FROM market_lifecycle ORDER BY id`;
      assertEquals(lifecycle.map((r) => Number(r.at)), Array.from({ length: N }, (_, i) => i));
      assertEquals(await stored(sql), `${statuses[(N - 1) % 2]} T0+${N - 1} -`);

      // A batch the database refuses a row of: the group is written again batch by batch.
      await outage(10, new Set([N + 4]));
      assertEquals(pipe.stats.batchesWritten, N + 10);
      const [counts] = await sql<{ ticks: number; lifecycle: number; dead: number }[]>`
        SELECT (SELECT count(*) FROM ticks)::int AS ticks,
               (SELECT count(*) FROM market_lifecycle)::int AS lifecycle,
               (SELECT count(*) FROM dead_letters WHERE source = 'capture:tick')::int AS dead`;
      assertEquals(counts, { ticks: N + 9, lifecycle: N + 10, dead: 1 });
      assertEquals(await stored(sql), `${statuses[(N + 9) % 2]} T0+${N + 9} -`);
    } finally {
      await pipe.stop();
      await spool.close();
      await viaProxy.end({ timeout: 1 });
      await proxy.close();
    }
  });
  await Deno.remove(dir, { recursive: true });
});
