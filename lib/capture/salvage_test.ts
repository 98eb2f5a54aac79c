/**
 * A message that validates but cannot be written never blocks the stream: rows PostgreSQL (or the
 * conversion to its text) refuses become dead letters through the per-row salvage, the batch's
 * other rows land, later batches follow, and a spooled batch holding such a row replays at the
 * next start. Real PostgreSQL; rows built from recorded Kalshi frames, bad ones crafted at the row
 * level (the schema admits nothing PostgreSQL refuses).
 */
import { withTestDatabase } from "../db/testing/database.ts";
import type { Sql } from "../db/mod.ts";
import { parseWsMessage, type WsMessage } from "../kalshi/mod.ts";
import { fixturePath } from "../kalshi/testing/fixtures.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { BatchBuilder } from "./batch.ts";
import { createCapturePipeline } from "./pipeline.ts";
import { lifecycleRow, tickRow, type TradeRow, tradeRow } from "./rows.ts";
import { openSpool } from "./spool.ts";
import { isDataError, writeBatch } from "./store.ts";

const quiet = createLogger("salvage_test", { sink: () => {} });

function recorded(file: string): WsMessage[] {
  return Deno.readTextFileSync(fixturePath(`ws/${file}`)).split("\n").filter((l) => l !== "")
    .map((line) => {
      const frame = JSON.parse(line);
      const parsed = parseWsMessage(frame.event ?? frame);
      if (parsed.status !== "valid") throw new Error(`recorded frame does not validate: ${line}`);
      return parsed.message;
    });
}

const TRADES = recorded("ws_trade_2026-08-05_KXGOLD15M-26AUG050000-00.ndjson")
  .filter((m) => m.type === "trade");
const TICKERS = recorded("ws_ticker_2026-02-12_transitional.jsonl")
  .filter((m) => m.type === "ticker");
const LIFECYCLE = recorded("ws_lifecycle_ticker_2026-07-19_real_ssmd.ndjson")
  .filter((m) => m.type === "market_lifecycle_v2");
const AT = Date.UTC(2026, 7, 5, 3);

function trade(i: number): TradeRow {
  const m = TRADES[i];
  if (m.type !== "trade") throw new Error("not a trade");
  return tradeRow(m, AT + i);
}

/** Good rows of every kind: ticks `from…to`, trades `from…to`, one lifecycle row. */
function goodRows(builder: BatchBuilder, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const m = TICKERS[i];
    if (m.type === "ticker") builder.tick(tickRow(m, AT + i));
    builder.trade(trade(i));
  }
  const l = LIFECYCLE[from % LIFECYCLE.length];
  if (l.type === "market_lifecycle_v2") builder.lifecycleMessage(lifecycleRow(l, AT + from));
}

/** A trade row PostgreSQL refuses: its raw JSON holds \u0000, which jsonb cannot store (22P05). */
function refusedByPostgres(i: number): TradeRow {
  return { ...trade(i), tradeId: `refused-${i}`, raw: '{"note":"\\u0000"}' };
}

async function landed(sql: Sql) {
  const [n] = await sql<{ ticks: number; trades: number; lifecycle: number; batches: number }[]>`
    SELECT (SELECT count(*) FROM ticks)::int AS ticks,
      (SELECT count(*) FROM trades)::int AS trades,
      (SELECT count(*) FROM market_lifecycle)::int AS lifecycle,
      (SELECT count(*) FROM ingested_batches)::int AS batches`;
  const trades = await sql<{ trade_id: string }[]>`SELECT trade_id FROM trades`;
  const dead = await sql<{ source: string; error: string; payload: string; context: unknown }[]>`
    SELECT source, error, payload, context FROM dead_letters ORDER BY id`;
  return { ...n, tradeIds: new Set(trades.map((t) => t.trade_id)), dead };
}

const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => trade(from + k).tradeId);

Deno.test("a batch with rows PostgreSQL refuses lands without them, each is a dead letter, and the next batch follows", async () => {
  await withTestDatabase(async ({ sql }) => {
    const spoolDir = await Deno.makeTempDir({ prefix: "salvage_test_" });
    const spool = await openSpool(spoolDir);
    try {
      const pipe = createCapturePipeline({
        sql,
        spool,
        logger: quiet,
        instance: "t",
        sessionId: "s",
        flushIntervalMs: 60_000,
      });
      const builder = new BatchBuilder();
      goodRows(builder, 0, 4);
      pipe.tick(builder.ticks[0]);
      pipe.tick(builder.ticks[1]);
      pipe.trade(builder.trades[0]);
      pipe.trade(refusedByPostgres(8));
      pipe.trade(builder.trades[1]);
      for (const t of builder.trades.slice(2)) pipe.trade(t);
      for (const t of builder.ticks.slice(2)) pipe.tick(t);
      pipe.lifecycle(builder.lifecycle[0]);
      // JSON nested deeper than PostgreSQL's parser goes (54001, a program limit, not class 22).
      const deep = "[".repeat(100_000) + "]".repeat(100_000);
      pipe.lifecycle({ ...builder.lifecycle[0], seq: 999, raw: deep });
      pipe.seal();
      // A later batch, sealed while the first may still be in flight.
      const later = new BatchBuilder();
      goodRows(later, 4, 8);
      for (const t of later.ticks) pipe.tick(t);
      for (const t of later.trades) pipe.trade(t);
      pipe.seal();
      await pipe.drained();
      assertEquals(await pipe.stop(), { flushed: true, spooledBatches: 0 });
      assertEquals([pipe.stats.batchesWritten, pipe.stats.writeFailures], [2, 0]);

      const after = await landed(sql);
      assertEquals([after.ticks, after.trades, after.lifecycle, after.batches], [8, 8, 1, 2]);
      assertEquals(after.tradeIds, new Set(ids(0, 8)));
      assertEquals(
        after.dead.map((d) => [d.source, d.error.slice(0, 6), d.context]),
        [
          ["capture:trade", "22P05:", { batchId: "s:1" }],
          ["capture:lifecycle", "54001:", { batchId: "s:1" }],
        ],
        "exactly the refused rows are dead letters, with their errors",
      );
      assertEquals(JSON.parse(after.dead[0].payload).tradeId, "refused-8");
      assertEquals(JSON.parse(after.dead[1].payload).seq, 999);
    } finally {
      await spool.close();
      await Deno.remove(spoolDir, { recursive: true });
    }
  });
});

Deno.test("a spooled batch with rows that cannot be written replays at the next start without blocking it", async () => {
  await withTestDatabase(async ({ sql }) => {
    const spoolDir = await Deno.makeTempDir({ prefix: "salvage_test_spool_" });
    try {
      // The previous run spooled three batches: one with a row PostgreSQL refuses, one with an
      // exchange time no timestamptz text can hold (spooled by a version without the edge's
      // bounds: it fails in JavaScript, before PostgreSQL), then a good one.
      const builder = new BatchBuilder();
      goodRows(builder, 0, 3);
      builder.trade(refusedByPostgres(9));
      const first = builder.seal("old", "old:1");
      goodRows(builder, 3, 6);
      builder.tick({ ...builder.ticks[0], marketTicker: "KXFAR-1", tsMs: 8.7e15 });
      const second = builder.seal("old", "old:2");
      assertEquals(second.maxExchangeMs, 8.7e15);
      goodRows(builder, 6, 9);
      const third = builder.seal("old", "old:3");
      const previous = await openSpool(spoolDir);
      await previous.append([first, second, third]);
      await previous.close();

      // Writing the second batch as it is fails as data (so the writer salvages, never retries).
      let error: unknown = null;
      await writeBatch(sql, second, { instance: "t" }).catch((e) => (error = e));
      assertOk(isDataError(error), String(error));

      const spool = await openSpool(spoolDir);
      try {
        const pipe = createCapturePipeline({
          sql,
          spool,
          logger: quiet,
          instance: "t",
          sessionId: "new",
          flushIntervalMs: 60_000,
        });
        await pipe.drained();
        assertEquals(await pipe.stop(), { flushed: true, spooledBatches: 0 });
        assertEquals([pipe.stats.batchesWritten, pipe.stats.writeFailures], [3, 0]);
        assertOk(spool.empty);
      } finally {
        await spool.close();
      }
      const after = await landed(sql);
      assertEquals([after.ticks, after.trades, after.lifecycle, after.batches], [9, 9, 3, 3]);
      assertEquals(after.tradeIds, new Set(ids(0, 9)));
      assertEquals(
        after.dead.map((d) => [d.source, d.error.slice(0, 6), d.context]),
        [
          ["capture:trade", "22P05:", { batchId: "old:1" }],
          ["capture:tick", "22008:", { batchId: "old:2" }],
        ],
      );
      assertEquals(JSON.parse(after.dead[0].payload).tradeId, "refused-9");
      assertEquals(JSON.parse(after.dead[1].payload).marketTicker, "KXFAR-1");
      // The batch's own bookkeeping is from the rows that landed.
      const [b] = await sql<{ last: Date }[]>`
        SELECT last_ts AS last FROM ingested_batches WHERE batch_id = 'old:2'`;
      const landedMax = Math.max(
        ...second.ticks.slice(0, -1).map((t) => t.tsMs),
        ...second.trades.map((t) => t.tsMs),
      );
      assertEquals(b.last.getTime(), landedMax);
    } finally {
      await Deno.remove(spoolDir, { recursive: true });
    }
  });
});

Deno.test("a copied batch (≥ 1000 ticks) with a time that cannot be sent fails before its COPY starts, then salvages", async () => {
  await withTestDatabase(async ({ sql }) => {
    const m = TICKERS[0];
    if (m.type !== "ticker") throw new Error("not a ticker");
    const builder = new BatchBuilder();
    for (let i = 0; i < 1200; i++) {
      const row = { ...tickRow(m, AT + i), marketTicker: `KXCOPY-${i}`, tsMs: m.tsMs + i };
      builder.tick(i === 700 ? { ...row, tsMs: 8.7e15 } : row);
    }
    const batch = builder.seal("s", "s:copy");
    const error = await writeBatch(sql, batch, { instance: "t" }).then(() => null, (e) => e);
    assertOk(isDataError(error), String(error));
    // Refused while building the COPY text, before the COPY began; salvage lands the others.
    assertEquals(await writeBatch(sql, batch, { instance: "t", salvage: true }), "written");
    const after = await landed(sql);
    assertEquals([after.ticks, after.batches], [1199, 1]);
    assertEquals(after.dead.map((d) => [d.source, d.error]), [
      ["capture:tick", "22008: timestamp out of range: 8700000000000000 ms"],
    ]);
    assertEquals(JSON.parse(after.dead[0].payload).marketTicker, "KXCOPY-700");
  });
});
