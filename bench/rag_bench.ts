/**
 * rag_service: exact k-nearest-neighbour search over 10^5 documents (quick: 10^4) of 256
 * dimensions with the service's typed-array index, beside a naive baseline measured in the same
 * run (plain JS arrays of numbers, every score computed, a full sort); and the offline model's fit
 * per pass on the seeded corpus, cached (same UTC day, unchanged corpus) beside a full refit.
 */
import { withTestDatabase } from "../lib/db/testing/database.ts";
import { syncEmbeddings } from "../services/rag_service/embedding_store.ts";
import { ExactIndex } from "../services/rag_service/exact_index.ts";
import { createHashingEmbedder } from "../services/rag_service/hashing_embedder.ts";
import { loadExactSearch } from "../services/rag_service/neighbor_search.ts";
import {
  createOfflinePredictor,
  OfflineFitCache,
} from "../services/rag_service/offline_predictor.ts";
import { postgresRunner } from "../services/rag_service/sql_runner.ts";
import { prng, seedWorld } from "../services/rag_service/testing/seed.ts";
import { normalize } from "../services/rag_service/vectors.ts";
import type { BenchRow } from "./harness.ts";

const DIMENSIONS = 256;
const K = 20;

function randomUnit(random: () => number): Float32Array {
  const v = new Float32Array(DIMENSIONS);
  for (let i = 0; i < DIMENSIONS; i++) v[i] = random() * 2 - 1;
  return normalize(v);
}

/** The naive way: arrays of numbers, score every row, sort them all, take k. */
function naiveSearch(
  rows: number[][],
  times: number[],
  query: number[],
  before: number,
): number[] {
  const scored: { row: number; score: number }[] = [];
  for (let r = 0; r < rows.length; r++) {
    if (!(times[r] < before)) continue;
    scored.push({ row: r, score: rows[r].reduce((sum, x, i) => sum + x * query[i], 0) });
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, K).map((s) => s.row);
}

function measureKnn(documents: number, queries: number): BenchRow[] {
  const random = prng(42);
  const index = new ExactIndex(DIMENSIONS, documents);
  const rows: number[][] = [];
  const times: number[] = [];
  for (let r = 0; r < documents; r++) {
    const v = randomUnit(random);
    // Resolution times spread over [0, 1): a query at `before` sees that share of the corpus.
    const time = r / documents;
    index.add(String(r), v, time);
    rows.push(Array.from(v));
    times.push(time);
  }
  const asks = Array.from({ length: queries }, () => ({
    query: randomUnit(random),
    before: 0.5 + random() / 2,
  }));
  let agreed = 0;
  let began = performance.now();
  const fast = asks.map((a) => index.search(a.query, { k: K, before: a.before }));
  const fastSeconds = (performance.now() - began) / 1000;
  began = performance.now();
  const slow = asks.map((a) => naiveSearch(rows, times, Array.from(a.query), a.before));
  const slowSeconds = (performance.now() - began) / 1000;
  for (let q = 0; q < queries; q++) {
    const expected = new Set(slow[q].map(String));
    agreed += fast[q].filter((h) => expected.has(h.key)).length;
  }
  console.error(
    `rag_bench: ${documents} docs, ${queries} queries, top-${K} agreement ${
      (agreed / (queries * K)).toFixed(4)
    }`,
  );
  return [{
    name:
      `exact kNN, ${documents} docs x ${DIMENSIONS} dims, k=${K} (Float32Array scan, bounded top-k)`,
    unit: "queries/s",
    value: queries / fastSeconds,
    baselineName: "plain JS number arrays, reduce + full sort",
    baseline: queries / slowSeconds,
  }];
}

async function measureFit(markets: number, passes: number): Promise<BenchRow[]> {
  return await withTestDatabase(async ({ sql }) => {
    const db = postgresRunner(sql);
    const start = new Date("2026-01-01T00:00:00Z");
    await seedWorld(db, { markets, start });
    const embedder = createHashingEmbedder();
    await syncEmbeddings(db, embedder, { pgvector: false });
    const search = await loadExactSearch(db, embedder);
    // Fit as a pass near the end of the world would: up to 400 markets resolved before the day.
    const fitBefore = new Date(start.getTime() + (markets * 2 - 24) * 3_600_000);
    const cache = new OfflineFitCache();
    const timePasses = async (fitCache?: OfflineFitCache) => {
      const times: number[] = [];
      for (let i = 0; i < passes; i++) {
        const predictor = createOfflinePredictor({ db, search, embedder }, { fitCache });
        const began = performance.now();
        await predictor.prepare!(fitBefore);
        times.push(performance.now() - began);
      }
      return times;
    };
    const full = await timePasses();
    const cached = await timePasses(cache);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.error(
      `rag_bench: offline fit on ${markets} markets: full refit ${
        mean(full).toFixed(1)
      } ms/pass, ` +
        `cached ${cached.slice(1).map((t) => t.toFixed(1)).join(", ")} ms ` +
        `(first cached pass fits: ${cached[0].toFixed(1)} ms; hits ${cache.hits})`,
    );
    return [{
      name:
        `offline model prepare per pass, ${markets} seeded markets (fit cached per day + corpus)`,
      unit: "ms",
      value: mean(cached.slice(1)),
      baselineName: "full refit every pass (up to 400 markets)",
      baseline: mean(full),
    }];
  });
}

/** The benchmark (see the module doc). */
export default async function ragBench({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  return [
    ...measureKnn(quick ? 10_000 : 100_000, quick ? 50 : 100),
    ...await measureFit(quick ? 240 : 600, quick ? 3 : 5),
  ];
}

if (import.meta.main) {
  const { renderTable } = await import("./harness.ts");
  const rows = await ragBench({ quick: Deno.args.includes("--quick") });
  console.log(renderTable(rows.map((r) => ({ ...r, file: "rag_bench.ts" }))));
}
