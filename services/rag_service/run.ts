/**
 * One pass of the service: embed new/changed documents, pick the markets open at as_of, retrieve
 * and predict with every predictor, write predictions (skipping existing ones: idempotent), and
 * score predictions whose markets have resolved.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import type { Logger } from "@kalshi-data/lib/log";
import { ensureVectorIndex, hasPgvector, syncEmbeddings } from "./embedding_store.ts";
import { LlmBudgetExhaustedError } from "./llm_predictor.ts";
import { loadExactSearch, type NeighborSearch, pgvectorSearch } from "./neighbor_search.ts";
import { predictionExists, scoreResolved, writePrediction } from "./prediction_store.ts";
import type { Predictor } from "./predictor.ts";
import { retrieveContext } from "./retrieval.ts";
import type { SqlRunner } from "./sql_runner.ts";
import type { UserCorpus } from "./user_documents.ts";
import type { EmbeddingProvider } from "./vectors.ts";

/** `auto` uses pgvector when installed, else exact search in the service. */
export type VectorBackend = "auto" | "pgvector" | "exact";

/** What a run needs. */
export interface RunDeps {
  sql: Sql;
  db: SqlRunner;
  embedder: EmbeddingProvider;
  /** Built per run, after the embeddings are synchronised (see {@linkcode prepareSearch}). */
  predictors: (search: NeighborSearch) => Predictor[];
  logger: Logger;
  /** Your documents (RAG_DOCUMENTS_DIR), added to every retrieval. */
  documents?: UserCorpus;
}

/** Options of {@linkcode runOnce}. */
export interface RunOptions {
  asOf: Date;
  k: number;
  maxMarkets: number;
  backend: VectorBackend;
  efSearch: number;
  signal?: AbortSignal;
}

/** What a run did. */
export interface RunSummary {
  asOf: string;
  backend: "exact" | "pgvector";
  documents: number;
  embedded: number;
  targets: number;
  written: number;
  existing: number;
  failed: number;
  scored: number;
}

/** Synchronises embeddings and returns the search backend. */
export async function prepareSearch(
  db: SqlRunner,
  embedder: EmbeddingProvider,
  options: { backend: VectorBackend; efSearch: number; signal?: AbortSignal },
): Promise<{ search: NeighborSearch; documents: number; embedded: number }> {
  let pgvector = false;
  if (options.backend !== "exact" && await hasPgvector(db)) {
    pgvector = await ensureVectorIndex(db, embedder.dimensions);
  }
  if (options.backend === "pgvector" && !pgvector) {
    throw new Error("RAG_VECTOR_BACKEND=pgvector but the database has no pgvector extension");
  }
  const synced = await syncEmbeddings(db, embedder, { pgvector, signal: options.signal });
  const space = { model: embedder.model, dimensions: embedder.dimensions };
  const search = pgvector
    ? pgvectorSearch(db, { ...space, efSearch: options.efSearch })
    : await loadExactSearch(db, space);
  return { search, ...synced };
}

/** Markets listed, open and unresolved at `asOf` (by schedule), in ticker order. */
export async function openMarkets(sql: Sql, asOf: Date, limit: number): Promise<string[]> {
  const rows = await sql<{ ticker: string }[]>`
    SELECT ticker FROM markets m
    WHERE NOT m.is_multivariate
      AND coalesce(m.open_time, m.created_time) <= ${asOf}
      AND (m.close_time IS NULL OR m.close_time > ${asOf})
      AND coalesce(m.determination_ts, m.settlement_ts, 'infinity') > ${asOf}
    ORDER BY ticker LIMIT ${limit}`;
  return rows.map((r) => r.ticker);
}

/**
 * The fit time of a pass at `asOf`: the start of its UTC day. Outcomes known before it are at
 * least as old as as_of (no look-ahead), and passes within one day share it, so a fitted model can
 * be reused until the day or the corpus changes (see OfflineFitCache).
 */
export function fitTimeOf(asOf: Date): Date {
  const day = 86_400_000;
  return new Date(Math.floor(asOf.getTime() / day) * day);
}

/** One pass; see the module doc. */
export async function runOnce(deps: RunDeps, options: RunOptions): Promise<RunSummary> {
  const { logger, sql } = deps;
  const prepared = await prepareSearch(deps.db, deps.embedder, options);
  const predictors = deps.predictors(prepared.search);
  const fitBefore = fitTimeOf(options.asOf);
  for (const p of predictors) await p.prepare?.(fitBefore, { signal: options.signal });
  const targets = await openMarkets(sql, options.asOf, options.maxMarkets);
  const summary: RunSummary = {
    asOf: options.asOf.toISOString(),
    backend: prepared.search.backend,
    documents: prepared.documents,
    embedded: prepared.embedded,
    targets: targets.length,
    written: 0,
    existing: 0,
    failed: 0,
    scored: 0,
  };
  const exhausted = new Set<string>();
  await deps.documents?.prepare(deps.embedder, { signal: options.signal });
  const deps2 = { ...deps, search: prepared.search };
  for (const ticker of targets) {
    options.signal?.throwIfAborted();
    const pending: Predictor[] = [];
    for (const p of predictors) {
      if (exhausted.has(p.model)) continue;
      if (await predictionExists(sql, { ticker, model: p.model, asOf: options.asOf })) {
        summary.existing++;
      } else pending.push(p);
    }
    if (pending.length === 0) continue;
    const context = await retrieveContext(deps2, ticker, options.asOf, { k: options.k });
    for (const p of pending) {
      try {
        const prediction = await p.predict(context, { signal: options.signal });
        if (await writePrediction(sql, context, p, prediction)) summary.written++;
        else summary.existing++;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        summary.failed++;
        if (error instanceof LlmBudgetExhaustedError) exhausted.add(p.model);
        logger.warn("prediction failed", {
          ticker,
          model: p.model,
          error: (error as Error).message,
        });
      }
    }
  }
  summary.scored = await scoreResolved(sql);
  logger.info("run finished", { ...summary });
  return summary;
}
