/** Builds the embedder and predictors from rag_service's configuration (no I/O). */
import type { ragServiceCommand } from "../../lib/commands/rag_service.ts";
import type { ConfigOf } from "../../lib/config/mod.ts";
import { ConfigError } from "../../lib/config/mod.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { createLlmBudget, createLlmPredictor } from "./llm_predictor.ts";
import type { NeighborSearch } from "./neighbor_search.ts";
import { createOfflinePredictor, OfflineFitCache } from "./offline_predictor.ts";
import { createOpenAiEmbedder } from "./openai_embedder.ts";
import type { Predictor } from "./predictor.ts";
import type { SqlRunner } from "./sql_runner.ts";
import type { EmbeddingProvider } from "./vectors.ts";

/** The service's configuration. */
export type RagConfig = ConfigOf<typeof ragServiceCommand>;

/** The embedding provider the configuration names; throws ConfigError when incomplete. */
export function embedderFromConfig(config: RagConfig): EmbeddingProvider {
  if (config.embeddingProvider === "hash") {
    return createHashingEmbedder({ dimensions: config.embeddingDimensions });
  }
  if (!config.embeddingUrl) {
    throw new ConfigError(
      "RAG_EMBEDDING_URL",
      undefined,
      "a URL when RAG_EMBEDDING_PROVIDER=openai",
    );
  }
  if (!config.embeddingModel) {
    throw new ConfigError(
      "RAG_EMBEDDING_MODEL",
      undefined,
      "a model when RAG_EMBEDDING_PROVIDER=openai",
    );
  }
  return createOpenAiEmbedder({
    url: config.embeddingUrl,
    model: config.embeddingModel,
    apiKey: config.embeddingKey,
    timeoutMs: config.llmTimeoutMs,
  }, { dimensions: config.embeddingDimensions });
}

/**
 * A factory of the configured predictors for one pass (a fresh LLM budget per pass; the offline
 * model's fit cached across passes); throws ConfigError when `llm` is asked for without URL and
 * model.
 */
export function predictorsFromConfig(
  config: RagConfig,
  db: SqlRunner,
  embedder: EmbeddingProvider,
): (search: NeighborSearch) => Predictor[] {
  if (config.predictors.includes("llm")) {
    if (!config.llmUrl) {
      throw new ConfigError("RAG_LLM_URL", undefined, "a URL when RAG_PREDICTORS has llm");
    }
    if (!config.llmModel) {
      throw new ConfigError("RAG_LLM_MODEL", undefined, "a model when RAG_PREDICTORS has llm");
    }
  }
  const fitCache = new OfflineFitCache();
  return (search) =>
    config.predictors.map((name) =>
      name === "offline"
        ? createOfflinePredictor({ db, search, embedder }, {
          k: config.neighbors,
          horizonHours: config.evalHorizonHours || 24,
          fitCache,
        })
        : createLlmPredictor({
          url: config.llmUrl!,
          model: config.llmModel!,
          apiKey: config.llmKey,
          timeoutMs: config.llmTimeoutMs,
        }, {
          budget: createLlmBudget({ maxCalls: config.llmMaxCalls, maxTokens: config.llmMaxTokens }),
          maxAttempts: config.llmMaxAttempts,
        })
    );
}

/** The as_of of a pass at `now`: the start of the current interval. */
export function intervalAsOf(now: Date, intervalSeconds: number): Date {
  const ms = intervalSeconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}
