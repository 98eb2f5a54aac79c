import { upsertMarkets } from "../catalog/mod.ts";
import type { Sql } from "../db/mod.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import { MarketSchema } from "../kalshi/mod.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { until } from "../testing/wait.ts";
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
  return MarketSchema.parse({
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
