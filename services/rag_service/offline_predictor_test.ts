import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { createLogger } from "@kalshi-data/lib/log";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { syncEmbeddings } from "./embedding_store.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { loadExactSearch, type NeighborSearch } from "./neighbor_search.ts";
import { createOfflinePredictor, OfflineFitCache } from "./offline_predictor.ts";
import { fitTimeOf, runOnce } from "./run.ts";
import { postgresRunner } from "./sql_runner.ts";
import { seedWorld } from "./testing/seed.ts";

const START = new Date("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;

Deno.test("the fit time of a pass is the start of its UTC day", () => {
  assertEquals(
    fitTimeOf(new Date("2026-03-01T17:45:12.345Z")).toISOString(),
    "2026-03-01T00:00:00.000Z",
  );
  assertEquals(
    fitTimeOf(new Date("2026-03-02T00:00:00Z")).toISOString(),
    "2026-03-02T00:00:00.000Z",
  );
});

Deno.test("a cached fit is reused for the same fit time and corpus, and refitted when either changes", async () => {
  await withTestDatabase(async ({ sql }) => {
    const db = postgresRunner(sql);
    const markets = await seedWorld(db, { markets: 120, start: START });
    const embedder = createHashingEmbedder();
    await syncEmbeddings(db, embedder, { pgvector: false });
    const search = () => loadExactSearch(db, embedder);
    const cache = new OfflineFitCache();
    const fitBefore = new Date(START.getTime() + 200 * HOUR);
    const fresh = async (fitCache?: OfflineFitCache, at = fitBefore) => {
      const p = createOfflinePredictor({ db, search: await search(), embedder }, { fitCache });
      await p.prepare!(at);
      return p.parameters();
    };

    const fitted = await fresh(cache);
    assertOk(fitted.examples >= 20, `examples ${fitted.examples}`);
    assertEquals([cache.misses, cache.hits], [1, 0]);
    // A new predictor (as every pass builds) gets the same fit from the cache, and the cache
    // changes nothing: an uncached fit is identical.
    assertEquals(await fresh(cache), fitted);
    assertEquals([cache.misses, cache.hits], [1, 1]);
    assertEquals(await fresh(), fitted);

    // Another fit time: a refit.
    await fresh(cache, new Date(fitBefore.getTime() + 24 * HOUR));
    assertEquals([cache.misses, cache.hits], [2, 1]);
    await fresh(cache);
    assertEquals([cache.misses, cache.hits], [3, 1]);

    // A backfilled candle of a training market changes its price at as_of: a refit.
    const trained = markets.find((m) => m.settledAt && m.settledAt < fitBefore)!;
    await sql`INSERT INTO candles (market_ticker, period_minutes, end_period_ts, price_close,
      source) VALUES (${trained.ticker}, 1, ${new Date(trained.closeTime.getTime() - 25 * HOUR)},
      '0.5000', 'historical')`;
    await fresh(cache);
    await fresh(cache);
    assertEquals([cache.misses, cache.hits], [4, 2]);

    // A corrected outcome of a training market: a refit.
    await sql`UPDATE markets SET result = CASE result WHEN 'yes' THEN 'no' ELSE 'yes' END
      WHERE ticker = ${trained.ticker}`;
    await fresh(cache);
    assertEquals([cache.misses, cache.hits], [5, 2]);

    // A changed document is re-embedded: a refit.
    await sql`UPDATE markets SET title = 'Renamed market' WHERE ticker = ${markets[5].ticker}`;
    assertEquals((await syncEmbeddings(db, embedder, { pgvector: false })).embedded, 1);
    await fresh(cache);
    assertEquals([cache.misses, cache.hits], [6, 2]);
    await fresh(cache);
    assertEquals([cache.misses, cache.hits], [6, 3]);
  });
});

Deno.test("passes within one UTC day fit the offline model once; the next day refits", async () => {
  await withTestDatabase(async ({ sql }) => {
    const db = postgresRunner(sql);
    await seedWorld(db, { markets: 120, start: START });
    const embedder = createHashingEmbedder();
    const cache = new OfflineFitCache();
    const deps = {
      sql,
      db,
      embedder,
      predictors: (search: NeighborSearch) => [
        createOfflinePredictor({ db, search, embedder }, { fitCache: cache }),
      ],
      logger: createLogger("rag_test", { level: "error" }),
    };
    const pass = (asOf: Date) =>
      runOnce(deps, { asOf, k: 20, maxMarkets: 5, backend: "exact", efSearch: 100 });
    const morning = new Date("2026-01-09T08:00:00Z");
    const first = await pass(morning);
    const second = await pass(new Date(morning.getTime() + HOUR));
    assertOk(first.written > 0 && second.written > 0, "both passes predicted");
    assertEquals([cache.misses, cache.hits], [1, 1]);
    await pass(new Date(morning.getTime() + 24 * HOUR));
    assertEquals([cache.misses, cache.hits], [2, 1]);
    const [{ fit_before }] = await sql<{ fit_before: string }[]>`
      SELECT DISTINCT inputs->'parameters'->>'fitBefore' AS fit_before FROM predictions
      WHERE predicted_at = ${morning}`;
    assertEquals(fit_before, "2026-01-09T00:00:00.000Z");
  });
});
