import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { syncEmbeddings } from "./embedding_store.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { loadExactSearch } from "./neighbor_search.ts";
import { retrieveContext } from "./retrieval.ts";
import { postgresRunner } from "./sql_runner.ts";
import { seedWorld } from "./testing/seed.ts";

const START = new Date("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;

Deno.test("retrieval never returns documents, outcomes, candles or lifecycle dated after as_of", async () => {
  await withTestDatabase(async ({ sql }) => {
    const db = postgresRunner(sql);
    const markets = await seedWorld(db, { markets: 60, start: START });
    const target = markets[39]; // a rain market (39 % 3 = 0), listed at +78 h
    const asOf = new Date(target.openTime.getTime() + 24 * HOUR);
    // Traps, all dated after as_of: a twin of the target settled later; a twin listed later whose
    // (inconsistent) settlement time is earlier; a target candle and lifecycle message.
    const twinTitle = "Will it rain in Seattle on day 39?";
    const later = new Date(asOf.getTime() + HOUR).toISOString();
    const earlier = new Date(asOf.getTime() - HOUR).toISOString();
    await sql`INSERT INTO markets (ticker, event_ticker, series_ticker, status, title, result,
        created_time, open_time, close_time, settlement_ts, raw) VALUES
      ('TRAP-LATE', 'KXRAIN-E39', 'KXRAIN', 'finalized', ${twinTitle}, 'yes', ${START}, ${START},
        ${later}, ${later}, '{}'),
      ('TRAP-NEW', 'KXRAIN-E39', 'KXRAIN', 'finalized', ${twinTitle}, 'yes', ${later}, ${later},
        ${later}, ${earlier}, '{}')`;
    await sql`INSERT INTO candles (market_ticker, period_minutes, end_period_ts, yes_bid_close,
        yes_ask_close, price_close, source)
      VALUES (${target.ticker}, 60, ${new Date(
      asOf.getTime() + 60_000,
    )}, 0.9800, 0.9900, 0.9900, 'live')`;
    await sql`INSERT INTO market_lifecycle (message_type, event_type, market_ticker, event_ts,
        received_at, raw)
      VALUES ('market_lifecycle_v2', 'determined', ${target.ticker}, ${later}, ${later}, '{}')`;
    await sql`INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask)
      VALUES (${target.ticker}, ${later}, 0.9900, 0.9800, 0.9900)`;

    const embedder = createHashingEmbedder();
    await syncEmbeddings(db, embedder, { pgvector: false });
    const search = await loadExactSearch(db, { model: embedder.model, dimensions: 256 });
    const context = await retrieveContext({ db, search, embedder }, target.ticker, asOf, { k: 60 });

    assertOk(context.neighbors.length > 10, `neighbors: ${context.neighbors.length}`);
    const tickers = context.neighbors.map((n) => n.ticker);
    assertOk(!tickers.includes("TRAP-LATE") && !tickers.includes("TRAP-NEW"), tickers.join(","));
    const settledBefore = new Set(
      markets.filter((m) => m.settledAt && m.settledAt < asOf).map((m) => m.ticker),
    );
    assertOk(tickers.every((t) => settledBefore.has(t)), "only markets settled before as_of");
    assertEquals(context.neighbors.length, settledBefore.size);
    assertOk(context.neighbors.every((n) => n.resolvedAt < asOf));
    assertOk(context.candles.length > 0 && context.candles.every((c) => c.endPeriodTs <= asOf));
    assertEquals(context.lifecycle.map((l) => l.eventType), ["created"]);
    assertOk(context.marketPrice !== null && context.marketPrice.at <= asOf);
    assertOk(context.marketPrice.units < 9800, `price ${context.marketPrice.dollars}`);

    // Two hours later both twins are public and settled: now they are retrieved (the filter is
    // time, not the rows).
    const after = new Date(asOf.getTime() + 2 * HOUR);
    const later2 = await retrieveContext({ db, search, embedder }, target.ticker, after, { k: 60 });
    const afterTickers = later2.neighbors.map((n) => n.ticker);
    assertOk(afterTickers.includes("TRAP-LATE") && afterTickers.includes("TRAP-NEW"));
  });
});
