import { withTestDatabase } from "../db/testing.ts";
import { setIngestState } from "../db/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import type { CaptureBatch } from "./batch.ts";
import type { TickRow } from "./rows.ts";
import { writeBatch } from "./store.ts";

const T0 = Date.UTC(2026, 10, 25, 12);

function tick(n: number, extra: string | null = null): TickRow {
  return {
    marketTicker: `KXTEST-26NOV25-T${n}`,
    tsMs: T0 + n,
    price: "0.5600",
    yesBid: "0.5500",
    yesAsk: "0.5700",
    volume: "10.00",
    openInterest: "5.00",
    yesBidSize: null,
    yesAskSize: null,
    lastTradeSize: null,
    dollarVolume: null,
    dollarOpenInterest: null,
    receivedAtMs: T0 + n,
    extra,
  };
}

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
