import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { planLaunch, RUNNABLES } from "@kalshi-data/lib/launch";
import { createLogger } from "@kalshi-data/lib/log";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { type EvalReport, evaluate, formatReport } from "./evaluate.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { createOfflinePredictor } from "./offline_predictor.ts";
import { runOnce } from "./run.ts";
import { postgresRunner } from "./sql_runner.ts";
import { seedWorld } from "./testing/seed.ts";

const START = new Date("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;

Deno.test("offline path end to end: embeddings stored, predictions written with provenance, eval scored, re-runs idempotent", async () => {
  await withTestDatabase(async ({ sql, url }) => {
    const db = postgresRunner(sql);
    const markets = await seedWorld(db, { markets: 240, start: START, open: 4 });
    const embedder = createHashingEmbedder();
    const lines: string[] = [];
    const deps = {
      sql,
      db,
      embedder,
      predictors: (search: Parameters<typeof createOfflinePredictor>[0]["search"]) => [
        createOfflinePredictor({ db, search, embedder }, { k: 20 }),
      ],
      logger: createLogger("rag_test", { sink: (l) => lines.push(l), level: "warn" }),
    };
    const asOf = new Date(START.getTime() + 470 * HOUR);
    const options = { asOf, k: 20, maxMarkets: 100, backend: "auto" as const, efSearch: 100 };
    const first = await runOnce(deps, options);
    assertEquals(first.backend, "exact"); // the machine's PostgreSQL has no pgvector
    assertEquals([first.documents, first.embedded], [240, 240]);
    assertOk(first.targets > 10, `targets ${first.targets}`);
    assertEquals([first.written, first.existing, first.failed], [first.targets, 0, 0]);
    const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM embeddings
      WHERE model = 'hash-tf-256-v1' AND octet_length(vector) = 1024`;
    assertEquals(count, 240);

    const rows = await sql<{
      market_ticker: string;
      provider: string;
      probability: string;
      market_price: string | null;
      prompt_sha256: string;
      retrieved_documents: string[];
      inputs: { as_of: string; market_price_at: string | null };
    }[]>`SELECT market_ticker, provider, probability::text, market_price::text, prompt_sha256,
           retrieved_documents, inputs FROM predictions WHERE predicted_at = ${asOf}`;
    assertEquals(rows.length, first.targets);
    const settledBefore = new Set(
      markets.filter((m) => m.settledAt && m.settledAt < asOf).map((m) => m.ticker),
    );
    for (const r of rows) {
      assertEquals(r.provider, "offline");
      assertOk(/^[0-9a-f]{64}$/.test(r.prompt_sha256));
      assertEquals(r.retrieved_documents.length, 20);
      assertOk(r.retrieved_documents.every((t) => settledBefore.has(t)), r.market_ticker);
      assertOk(Number(r.probability) > 0 && Number(r.probability) < 1);
      assertEquals(r.inputs.as_of, asOf.toISOString());
      if (r.market_price !== null) assertOk(new Date(r.inputs.market_price_at!) <= asOf);
    }

    assertOk(rows.filter((r) => r.market_price !== null).length > rows.length / 2);
    const again = await runOnce(deps, options);
    assertEquals([again.embedded, again.written, again.existing], [0, 0, first.targets]);
    const [{ total }] = await sql<
      { total: number }[]
    >`SELECT count(*)::int AS total FROM predictions`;
    assertEquals(total, first.targets);

    const report = await evaluate(deps, {
      horizonsHours: [24],
      k: 20,
      backend: "auto",
      efSearch: 100,
    });
    const [h24] = report.horizons;
    const [offline, price, half] = h24.lines;
    assertEquals([offline.forecaster, price.forecaster, half.forecaster], [
      "rag-offline-v1",
      "market price",
      "always 0.5",
    ]);
    assertOk(offline.n >= 100, `n ${offline.n}`);
    assertEquals(h24.lines.map((l) => l.n), [offline.n, offline.n, offline.n]);
    assertEquals(half.brier, 0.25);
    assertEquals(offline.calibration.length, 10);
    assertOk(offline.ece !== null);
    const text = formatReport(report);
    console.log(text);
    assertOk(text.includes("market price") && text.includes("always 0.5"));
    // Retrieval and price together beat the coin flip on this world, with error bars.
    assertOk(offline.brier! < 0.25, `brier ${offline.brier}`);
    assertOk(half.vsReference!.brierCi![0] > 0, "0.5 is worse than the market price");
    const [low, high] = offline.brierCi!;
    assertOk(low <= offline.brier! && offline.brier! <= high, `${offline.brierCi}`);
    const stored = await sql`SELECT 1 FROM predictions WHERE model = 'rag-offline-v1'`;
    const again2 = await evaluate(deps, {
      horizonsHours: [24],
      k: 20,
      backend: "auto",
      efSearch: 100,
    });
    assertEquals(again2.horizons[0].lines[0], offline); // seeded intervals: the same report
    const stored2 = await sql`SELECT 1 FROM predictions WHERE model = 'rag-offline-v1'`;
    assertEquals(stored2.length, stored.length); // the re-run reused its predictions

    // The real entry point with the launch step's least-privilege flags: --eval --json.
    const plan = planLaunch(RUNNABLES.rag_service, {
      args: ["--eval", "--json"],
      env: { DATABASE_URL: url, LOG_LEVEL: "warn" },
    });
    if ("help" in plan) throw new Error("unexpected help");
    const child = await new Deno.Command(plan.program, {
      args: plan.args,
      cwd: plan.cwd,
      env: plan.env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(child.stderr);
    assertEquals(child.code, 0, stderr);
    const json = JSON.parse(new TextDecoder().decode(child.stdout)) as EvalReport;
    const line = json.horizons[0].lines[0];
    assertEquals([line.n, line.brier, line.brierCi], [offline.n, offline.brier, offline.brierCi]);
    assertEquals(line.logLossCi, offline.logLossCi);
    assertEquals(line.vsReference, offline.vsReference);
  });
});

Deno.test("eval: markets without a price at as_of are listed, every line and horizon has the same n", async () => {
  await withTestDatabase(async ({ sql }) => {
    const db = postgresRunner(sql);
    const markets = await seedWorld(db, { markets: 120, start: START, open: 2 });
    // Five late markets lose their candles before hour 30: no price 24 h before close (hour 24),
    // but one 1 h before close (hour 47).
    const unpriced = markets.slice(100, 105).map((m) => m.ticker);
    for (const m of markets.slice(100, 105)) {
      await sql`DELETE FROM candles WHERE market_ticker = ${m.ticker}
        AND end_period_ts < ${new Date(m.openTime.getTime() + 30 * HOUR)}`;
    }
    const embedder = createHashingEmbedder();
    const deps = {
      sql,
      db,
      embedder,
      predictors: (search: Parameters<typeof createOfflinePredictor>[0]["search"]) => [
        createOfflinePredictor({ db, search, embedder }, { k: 20 }),
      ],
      logger: createLogger("rag_test", { sink: () => {}, level: "error" }),
    };
    const report = await evaluate(deps, {
      horizonsHours: [1, 24],
      k: 20,
      backend: "exact",
      efSearch: 100,
      bootstrap: { seed: 9, resamples: 200 },
    });
    const evaluated = report.markets;
    assertOk(evaluated > 20, `markets ${evaluated}`);
    // The five are left out at 24 h (no market price) and so at 1 h as well.
    assertEquals(
      report.unanswered.map((u) => [u.ticker, u.horizonHours, u.missing]).sort(),
      unpriced.map((t) => [t, 24, ["market price"]]).sort(),
    );
    assertEquals(report.scored, evaluated - 5);
    for (const h of report.horizons) {
      assertEquals(h.lines.map((l) => l.n), [report.scored, report.scored, report.scored]);
      assertEquals(h.lines.map((l) => l.unanswered), h.horizonHours === 24 ? [0, 5, 0] : [0, 0, 0]);
    }
    // The offline model did answer the left-out markets: its predictions are stored anyway.
    const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count
      FROM predictions WHERE market_ticker = ANY(${unpriced}::text[]) AND market_price IS NULL`;
    assertEquals(count, 5);
    const text = formatReport(report);
    assertOk(text.includes(`${unpriced[0]} at 24h`), text);
    assertOk(text.includes("no answer from market price"), text);
    assertOk(text.includes("Horizon 1h before close") && text.includes("Horizon 24h before close"));
  });
});
