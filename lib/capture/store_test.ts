import { withTestDatabase } from "../db/testing/database.ts";
import { getIngestState, setIngestState } from "../db/mod.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import type { CaptureBatch } from "./batch.ts";
import { createCapturePipeline } from "./pipeline.ts";
import { type LifecycleRow, lifecycleRow, type TickRow, type TradeRow } from "./rows.ts";
import { parseWsMessage } from "../kalshi/mod.ts";
import { openSpool } from "./spool.ts";
import { writeBatch } from "./store.ts";
import { T0, tick } from "./testing/rows.ts";

function batch(id: string, ticks: TickRow[]): CaptureBatch {
  return {
    id,
    sessionId: "s",
    ticks,
    trades: [],
    lifecycle: [],
    deadLetters: [{
      source: "ws",
      error: "not JSON: Unexpected token '\u0000'",
      payload: "\u0000not json",
      context: null,
      receivedAtMs: T0,
    }],
    gaps: [],
    maxExchangeMs: T0 + 3,
    minExchangeMs: T0,
    firstReceivedMs: T0,
  };
}

Deno.test("a batch is written once and its id makes a second write a duplicate", async () => {
  await withTestDatabase(async ({ sql }) => {
    await setIngestState(sql, {
      key: "ws.session",
      scope: "t",
      value: { sessionId: "s", connectedAt: new Date(T0).toISOString() },
    });
    const b = batch("s:1", [tick(1), tick(2)]);
    assertEquals(await writeBatch(sql, b, { instance: "t" }), "written");
    assertEquals(await writeBatch(sql, b, { instance: "t" }), "duplicate");
    const [n] = await sql<{ ticks: string; dead: string }[]>`
      SELECT (SELECT count(*) FROM ticks) AS ticks, (SELECT count(*) FROM dead_letters) AS dead`;
    assertEquals([Number(n.ticks), Number(n.dead)], [2, 1]);
    const [d] = await sql<
      { error: string; payload: string }[]
    >`SELECT error, payload FROM dead_letters`;
    assertEquals(d.payload, "\\u0000not json");
    assertEquals(d.error, "not JSON: Unexpected token '\\u0000'");
  });
});

Deno.test("a row the database refuses goes to dead_letters in salvage mode and the rest land", async () => {
  await withTestDatabase(async ({ sql }) => {
    // jsonb refuses the \u0000 escape: the whole batch fails as one statement.
    const b = batch("s:2", [tick(1), tick(2, '{"note":"\\u0000"}'), tick(3)]);
    let refused = "";
    try {
      await writeBatch(sql, b, { instance: "t" });
    } catch (error) {
      refused = (error as { code: string }).code;
    }
    assertEquals(refused.slice(0, 2), "22");
    assertEquals(await writeBatch(sql, b, { instance: "t", salvage: true }), "written");
    const ticks = await sql<{ market_ticker: string }[]>`
      SELECT market_ticker FROM ticks ORDER BY market_ticker`;
    assertEquals(ticks.map((t) => t.market_ticker), ["KXTEST-26NOV25-T1", "KXTEST-26NOV25-T3"]);
    const dead = await sql<{ source: string }[]>`SELECT source FROM dead_letters ORDER BY source`;
    assertEquals(dead.map((d) => d.source), ["capture:tick", "ws"]);
    assertEquals(await writeBatch(sql, b, { instance: "t", salvage: true }), "duplicate");
  });
});

Deno.test("ticks copied in the batch transaction land exactly once, every field as sent", async () => {
  await withTestDatabase(async ({ sql }) => {
    const odd = {
      ...tick(1, '{"note":"tab\\there","path":"C:\\\\x"}'),
      marketTicker: "KXODD-1\tA\nB\\C\rD",
      yesBidSize: "12.50",
      yesAskSize: "0.01",
      lastTradeSize: "3.00",
      dollarVolume: "1234",
      dollarOpenInterest: "99",
    };
    // Enough rows for COPY (store.ts writes a few ticks with one INSERT instead).
    const b = batch("s:3", [odd, ...Array.from({ length: 1199 }, (_, i) => tick(i + 2))]);
    // Refused first (a numeric beyond range on line 700): nothing stays, not even the batch id.
    const bad = {
      ...b,
      ticks: b.ticks.map((t, i) => (i === 699 ? { ...t, price: "1e200000" } : t)),
    };
    let refused: { code?: string; where?: string } = {};
    try {
      await writeBatch(sql, bad, { instance: "t" });
    } catch (error) {
      refused = error as typeof refused;
    }
    assertEquals([refused.code, refused.where?.startsWith("COPY ticks, line 700")], [
      "22003",
      true,
    ]);
    const [none] = await sql<{ n: string }[]>`
      SELECT (SELECT count(*) FROM ticks) + (SELECT count(*) FROM ingested_batches) AS n`;
    assertEquals(Number(none.n), 0);
    assertEquals(await writeBatch(sql, b, { instance: "t" }), "written");
    assertEquals(await writeBatch(sql, b, { instance: "t" }), "duplicate");
    const rows = await sql<Record<string, string | null>[]>`
      SELECT market_ticker, (extract(epoch FROM ts) * 1000)::bigint::text AS ts, price::text,
        yes_bid::text, yes_ask::text, volume::text, open_interest::text,
        yes_bid_size::text, yes_ask_size::text, last_trade_size::text, dollar_volume::text,
        dollar_open_interest::text, (extract(epoch FROM received_at) * 1000)::bigint::text AS ra,
        batch_id, extra::text
      FROM ticks ORDER BY ts`;
    assertEquals(rows.length, 1200);
    assertEquals(rows[0], {
      market_ticker: "KXODD-1\tA\nB\\C\rD",
      ts: String(T0 + 1),
      price: "0.5600",
      yes_bid: "0.5500",
      yes_ask: "0.5700",
      volume: "10.00",
      open_interest: "5.00",
      yes_bid_size: "12.50",
      yes_ask_size: "0.01",
      last_trade_size: "3.00",
      dollar_volume: "1234",
      dollar_open_interest: "99",
      ra: String(T0 + 1),
      batch_id: "s:3",
      extra: '{"note": "tab\\there", "path": "C:\\\\x"}',
    });
    assertEquals(rows[1].yes_bid_size, null);
    assertEquals(rows[1].extra, null);
    assertEquals(new Set(rows.map((r) => r.batch_id)), new Set(["s:3"]));
    const [n] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM ingested_batches`;
    assertEquals(Number(n.n), 1);
  });
});

Deno.test("the pipeline salvages a copied batch the database refuses, dead-lettering only its bad rows", async () => {
  await withTestDatabase(async ({ sql }) => {
    const spoolDir = await Deno.makeTempDir({ prefix: "store_test_spool_" });
    try {
      const lines: string[] = [];
      const pipe = createCapturePipeline({
        sql,
        spool: await openSpool(spoolDir),
        logger: createLogger("test", { sink: (line) => lines.push(line) }),
        instance: "t",
        sessionId: "s",
        flushIntervalMs: 60_000,
      });
      // A NUL in text (22021) leads the batch, so PostgreSQL refuses it while rows still stream
      // in; a numeric beyond range (22003) sits in the middle.
      pipe.tick({ ...tick(0), marketTicker: "KXBAD-\u0000" });
      for (let n = 1; n < 1200; n++) {
        pipe.tick(n === 600 ? { ...tick(n), price: "1e200000" } : tick(n));
      }
      pipe.seal();
      await pipe.drained();
      // The connection is clean afterwards: the next batch lands as usual.
      for (let n = 1200; n < 2400; n++) pipe.tick(tick(n));
      pipe.seal();
      await pipe.drained();
      assertEquals(await pipe.stop(), { flushed: true, spooledBatches: 0 });
      assertEquals([pipe.stats.batchesWritten, pipe.stats.writeFailures], [2, 0]);
      const [counts] = await sql<{ ticks: string; batches: string; mid: string }[]>`
        SELECT (SELECT count(*) FROM ticks) AS ticks,
          (SELECT count(*) FROM ingested_batches) AS batches,
          (SELECT count(*) FROM ticks WHERE ts = ${new Date(T0 + 600)}) AS mid`;
      assertEquals([counts.ticks, counts.batches, counts.mid].map(Number), [2398, 2, 0]);
      const dead = await sql<
        { source: string; error: string; payload: string; context: unknown }[]
      >`
        SELECT source, error, payload, context FROM dead_letters WHERE source = 'capture:tick'
        ORDER BY error`;
      assertEquals(dead.map((d) => [d.source, d.error.slice(0, 5)]), [
        ["capture:tick", "22003"],
        ["capture:tick", "22021"],
      ]);
      assertEquals(JSON.parse(dead[0].payload).price, "1e200000");
      assertEquals(
        JSON.parse(dead[1].payload.replace("\\\\u0000", "\\u0000")).marketTicker,
        "KXBAD-\u0000",
      );
      assertEquals(dead[0].context, { batchId: "s:1" });
      const refusals = lines.map((l) => JSON.parse(l)).filter((l) => l.batch === "s:1");
      assertEquals(refusals.length, 1);
    } finally {
      await Deno.remove(spoolDir, { recursive: true });
    }
  });
});

Deno.test("ws.session keeps each channel's newest receive and exchange time; a replay never moves them back", async () => {
  await withTestDatabase(async ({ sql }) => {
    const at = (ms: number) => new Date(ms).toISOString();
    await setIngestState(sql, {
      key: "ws.session",
      scope: "t",
      value: { sessionId: "s", connectedAt: at(T0) },
    });
    const trade = (n: number): TradeRow => ({
      tradeId: `tr-${n}`,
      marketTicker: "KXTEST-26NOV25-T1",
      tsMs: T0 + n,
      yesPrice: "0.5600",
      noPrice: "0.4400",
      count: "1.00",
      takerSide: "yes",
      takerOutcomeSide: null,
      takerBookSide: null,
      isBlockTrade: null,
      receivedAtMs: T0 + n + 5,
      raw: "{}",
    });
    const lifecycle = (n: number, eventTsMs: number | null): LifecycleRow => ({
      messageType: "market_lifecycle_v2",
      eventType: "unknown_to_the_store",
      marketTicker: "KXTEST-26NOV25-T1",
      eventTicker: null,
      sid: 1,
      seq: n,
      eventTsMs,
      receivedAtMs: T0 + n,
      raw: "{}",
    });
    const only = (id: string, parts: Partial<CaptureBatch>): CaptureBatch => ({
      ...batch(id, []),
      deadLetters: [],
      maxExchangeMs: null,
      minExchangeMs: null,
      ...parts,
    });
    await writeBatch(
      sql,
      only("s:1", {
        ticks: [tick(200), { ...tick(100), receivedAtMs: T0 + 300 }],
        trades: [trade(50)],
        lifecycle: [lifecycle(70, null)],
      }),
      { instance: "t" },
    );
    // A spooled batch of older messages lands later: nothing moves back, new fields still land.
    await writeBatch(
      sql,
      only("s:0", {
        ticks: [tick(10)],
        trades: [trade(60)],
        lifecycle: [lifecycle(20, T0 - 1000), {
          ...lifecycle(30, null),
          messageType: "event_lifecycle",
          eventTicker: "KXTEST-26NOV25",
          marketTicker: null,
          raw: JSON.stringify({ msg: { event_ticker: "KXTEST-26NOV25" } }),
        }],
      }),
      { instance: "t" },
    );
    const session = await getIngestState(sql, "ws.session", { scope: "t" });
    assertEquals(session?.channels, {
      ticker: { lastReceivedAt: at(T0 + 300), lastMessageAt: at(T0 + 200) },
      trade: { lastReceivedAt: at(T0 + 65), lastMessageAt: at(T0 + 60) },
      market_lifecycle_v2: { lastReceivedAt: at(T0 + 70), lastMessageAt: at(T0 - 1000) },
      event_lifecycle: { lastReceivedAt: at(T0 + 30) },
    });
    // A batch with no channel rows leaves them as they were.
    await writeBatch(sql, only("s:2", { gaps: [] }), { instance: "t" });
    const after = await getIngestState(sql, "ws.session", { scope: "t" });
    assertEquals(after?.channels, session?.channels);
  });
});

Deno.test("a lifecycle row spooled without its catalog change is applied from its frame", async () => {
  await withTestDatabase(async ({ sql }) => {
    const frame = {
      type: "market_lifecycle_v2",
      sid: 1,
      seq: 5,
      msg: {
        market_ticker: "KXTEST-26NOV25-T1",
        event_type: "determined",
        result: "yes",
        determination_ts: T0 / 1000,
        settlement_value: "1.0000",
      },
    };
    const parsed = parseWsMessage(frame);
    if (parsed.status !== "valid" || parsed.message.type !== "market_lifecycle_v2") {
      throw new Error("the frame should validate");
    }
    const fresh = lifecycleRow(parsed.message, T0);
    const { change: _, ...old } = fresh; // what an older version spooled
    for (const [i, row] of [fresh, old].entries()) {
      await sql`DELETE FROM markets`;
      await sql`INSERT INTO markets (ticker, event_ticker, status, raw)
        VALUES ('KXTEST-26NOV25-T1', 'KXTEST-26NOV25', 'closed', '{}')`;
      const b = { ...batch(`s:${i}`, []), deadLetters: [], lifecycle: [row] };
      assertEquals(await writeBatch(sql, b, { instance: "t" }), "written");
      const [m] = await sql`SELECT status, result, settlement_value::text AS v FROM markets`;
      assertEquals([m.status, m.result, m.v], ["determined", "yes", "1.0000"], `row ${i}`);
    }
    const raws = await sql`SELECT raw -> 'msg' ->> 'result' AS result FROM market_lifecycle`;
    assertEquals(raws.map((r) => r.result), ["yes", "yes"], "raw is a JSON object, not a string");
  });
});

Deno.test("order-book rows ride the batch: written once, a row the tables cannot hold dead-lettered in salvage mode", async () => {
  await withTestDatabase(async ({ sql }) => {
    const delta = (n: number, size: number) => ({
      marketTicker: "KXTEST-26NOV25-T1",
      tsMs: T0 + n,
      order: n,
      side: "yes" as const,
      price: 4000,
      delta: size,
      receivedAtMs: T0 + n,
    });
    const b: CaptureBatch = {
      ...batch("s:ob", []),
      deadLetters: [],
      orderbookSnapshots: [{
        marketTicker: "KXTEST-26NOV25-T1",
        tsMs: T0,
        order: 0,
        kind: "subscribe",
        yes: [[4000, 100]],
        no: [],
        receivedAtMs: T0,
      }],
      orderbookDeltas: [delta(1, -30), delta(2, 0), delta(3, 5)],
    };
    assertEquals(await writeBatch(sql, b, { instance: "t", salvage: true }), "written");
    assertEquals(await writeBatch(sql, b, { instance: "t", salvage: true }), "duplicate");
    const deltas = await sql<{ ord: number; delta: number }[]>`
      SELECT ord, delta FROM orderbook_deltas ORDER BY ord`;
    assertEquals(deltas.map((d) => [d.ord, d.delta]), [[1, -30], [3, 5]]);
    const [snapshots] = await sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM orderbook_snapshots`;
    assertEquals(snapshots.n, 1);
    const dead = await sql<
      { source: string; error: string }[]
    >`SELECT source, error FROM dead_letters`;
    assertEquals(dead.map((d) => d.source), ["capture:orderbook_delta"]);
    assertEquals(dead[0].error.startsWith("22003: "), true, dead[0].error);
  });
});
