import { withTestDatabase } from "../db/testing/database.ts";
import { type MarketLifecycleMessage, parseWsMessage } from "../kalshi/mod.ts";
import { fixturePath } from "../kalshi/testing/fixtures.ts";
import { assertEquals } from "../testing/assert.ts";
import { applyLifecycle, lifecycleChange, type LifecycleMessage } from "./lifecycle.ts";

/** The recorded real lifecycle messages, validated and normalised by the client's schemas. */
function recorded(file: string): LifecycleMessage[] {
  return Deno.readTextFileSync(fixturePath(`ws/${file}`)).split("\n").filter((l) => l !== "")
    .map((line) => parseWsMessage(JSON.parse(line)))
    .flatMap((r) => r.status === "valid" ? [r.message] : [])
    .filter((m): m is LifecycleMessage =>
      m.type === "market_lifecycle_v2" || m.type === "event_lifecycle" ||
      m.type === "event_fee_update" || m.type === "multivariate_market_lifecycle"
    );
}

Deno.test("recorded lifecycle messages become catalog changes from the schema's normalised fields", () => {
  const changes = recorded("ws_lifecycle_trade_ticker_2025-10_kalshi-rust.ndjson")
    .map(lifecycleChange);
  assertEquals(changes.map((c) => c.kind), [
    "event",
    "market_update",
    "market_update",
    "market_update",
    "market_update",
    "market_created",
    "market_created",
    "market_created",
  ]);
  const [event, determined, settled, closed, deactivated, created] = changes;
  assertEquals(event.kind === "event" && [event.seriesTicker, event.subtitle], [
    "KXTECHLAYOFF",
    null,
  ]);
  assertEquals(
    determined.kind === "market_update" &&
      [determined.status, determined.result, determined.determinationTs, determined.statusTs],
    ["determined", "no", "2025-10-01T20:30:38.000Z", "2025-10-01T20:30:38.000Z"],
  );
  assertEquals(
    settled.kind === "market_update" && [settled.status, settled.statusTs],
    ["finalized", "2025-10-01T20:53:05.000Z"],
  );
  assertEquals(deactivated.kind === "market_update" && deactivated.statusTs, null);
  assertEquals(closed.kind === "market_update" && closed.closeTime, "2025-10-01T21:23:59.000Z");
  assertEquals(deactivated.kind === "market_update" && deactivated.status, "inactive");
  assertEquals(
    created.kind === "market_created" && [created.eventTicker, created.title, created.openTime],
    [
      "KXWTAMATCH-25OCT02LYSGAU",
      "Will Eva Lys win the Lys vs Gauff match?",
      "2025-10-01T21:05:00.000Z",
    ],
  );
  const real = recorded("ws_lifecycle_ticker_2026-07-19_real_ssmd.ndjson").map(lifecycleChange);
  assertEquals(real[0].kind === "market_update" && real[0].settlementValue, "0.0000");
});

Deno.test("applied in order, the recorded messages create, update and settle catalog rows", async () => {
  await withTestDatabase(async ({ sql }) => {
    const messages = recorded("ws_lifecycle_trade_ticker_2025-10_kalshi-rust.ndjson");
    const created: string[] = [];
    // The updated markets exist first (discovery stored them).
    for (const m of messages.filter((m) => m.type === "market_lifecycle_v2")) {
      const t = (m as MarketLifecycleMessage).marketTicker;
      if ((m as MarketLifecycleMessage).eventType === "created") continue;
      await sql`INSERT INTO markets (ticker, event_ticker, status, raw)
        VALUES (${t}, ${t.slice(0, t.lastIndexOf("-"))}, 'active', '{}')`;
    }
    for (const m of messages) {
      const ticker = await applyLifecycle(sql, lifecycleChange(m));
      if (ticker !== null) created.push(ticker);
    }
    assertEquals(created.length, 3);
    const again = await applyLifecycle(sql, lifecycleChange(messages.at(-1)!));
    assertEquals(again, null, "a second created message creates nothing");
    const rows = await sql<{ ticker: string; status: string; result: string | null }[]>`
      SELECT ticker, status, result FROM markets ORDER BY ticker`;
    assertEquals(
      rows.map((r) => `${r.ticker} ${r.status} ${r.result ?? "-"}`),
      [
        "KXFDVLIGHTER-25DEC31-8 initialized -",
        "KXMLBGAME-25OCT01DETCLE-DET determined no",
        "KXMLBTOTAL-25OCT01DETCLE-5 finalized -",
        "KXMLBWINS-NYM-25-T80 active -",
        "KXNFLFIRSTTD-25OCT05MIACAR-CARCHUBBARD30 inactive -",
        "KXSWIFTATTENDEVENT-25OCT04 initialized -",
        "KXWTAMATCH-25OCT02LYSGAU-LYS initialized -",
      ],
    );
    const [event] = await sql`SELECT series_ticker, title FROM events`;
    assertEquals([event.series_ticker, event.title], [
      "KXTECHLAYOFF",
      "Tech layoffs up in Sep 2025?",
    ]);
  });
});
