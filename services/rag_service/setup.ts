/**
 * Builds the embedder, predictors and your documents from rag_service's configuration (reading
 * only the files the settings name: your predictor modules, prompt file and documents).
 * @module
 */
import type { PredictorSpec, ragServiceCommand } from "@kalshi-data/lib/commands";
import { ConfigError, type ConfigOf } from "@kalshi-data/lib/config";
import { createHttpPredictor, createModulePredictor } from "./custom_predictor.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { createLlmBudget, createLlmPredictor, readPromptFile } from "./llm_predictor.ts";
import type { NeighborSearch } from "./neighbor_search.ts";
import { createOfflinePredictor, OfflineFitCache } from "./offline_predictor.ts";
import { createOpenAiEmbedder } from "./openai_embedder.ts";
import type { Predictor } from "./predictor.ts";
import type { SqlRunner } from "./sql_runner.ts";
import { createUserCorpus, readUserDocuments, type UserCorpus } from "./user_documents.ts";
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

async function orConfigError<T>(
  setting: { variable: string; received: string; expected: string },
  load: Promise<T>,
) {
  try {
    return await load;
  } catch (error) {
    const { variable, received, expected } = setting;
    throw new ConfigError(variable, received, `${expected}; ${(error as Error).message}`);
  }
}

/** Your predictors (`module:` and `http:`), built once: they keep no state between passes. */
async function customPredictors(config: RagConfig): Promise<Map<PredictorSpec, Predictor>> {
  const built = new Map<PredictorSpec, Predictor>();
  const options = { timeoutMs: config.llmTimeoutMs };
  for (const spec of config.predictors) {
    if (spec.kind === "module") {
      const load = createModulePredictor(spec.path, options);
      const expected = "a module that imports and exports predict(input)";
      const setting = { variable: "RAG_PREDICTORS", received: `module:${spec.path}`, expected };
      built.set(spec, await orConfigError(setting, load));
    } else if (spec.kind === "http") built.set(spec, createHttpPredictor(spec.url, options));
  }
  return built;
}

function checkLlmSettings(config: RagConfig): void {
  if (!config.predictors.some((p) => p.kind === "llm")) return;
  if (!config.llmUrl) {
    throw new ConfigError("RAG_LLM_URL", undefined, "a URL when RAG_PREDICTORS has llm");
  }
  if (!config.llmModel) {
    throw new ConfigError("RAG_LLM_MODEL", undefined, "a model when RAG_PREDICTORS has llm");
  }
}

/**
 * A factory of the configured predictors for one pass (a fresh LLM budget per pass; the offline
 * model's fit cached across passes; your modules imported once); throws ConfigError when `llm`
 * is asked for without URL and model, or a module, the prompt file or an endpoint is unusable.
 */
export async function predictorsFromConfig(
  config: RagConfig,
  db: SqlRunner,
  embedder: EmbeddingProvider,
): Promise<(search: NeighborSearch) => Predictor[]> {
  checkLlmSettings(config);
  const instructions = config.promptFile
    ? await orConfigError({
      variable: "RAG_PROMPT_FILE",
      received: config.promptFile,
      expected: "a readable text file of instructions",
    }, readPromptFile(config.promptFile))
    : undefined;
  const custom = await customPredictors(config);
  const fitCache = new OfflineFitCache();
  const budget = () =>
    createLlmBudget({ maxCalls: config.llmMaxCalls, maxTokens: config.llmMaxTokens });
  return (search) =>
    config.predictors.map((spec) => {
      if (spec.kind === "offline") {
        return createOfflinePredictor({ db, search, embedder }, {
          k: config.neighbors,
          horizonHours: config.evalHorizonHours || 24,
          fitCache,
        });
      }
      if (spec.kind === "llm") {
        return createLlmPredictor({
          url: config.llmUrl!,
          model: config.llmModel!,
          apiKey: config.llmKey,
          timeoutMs: config.llmTimeoutMs,
        }, { budget: budget(), maxAttempts: config.llmMaxAttempts, instructions });
      }
      return custom.get(spec)!;
    });
}

/** Your documents (`RAG_DOCUMENTS_DIR`), read and checked; undefined when not configured. */
export async function documentsFromConfig(config: RagConfig): Promise<UserCorpus | undefined> {
  if (!config.documentsDir) return undefined;
  const dir = config.documentsDir;
  const setting = {
    variable: "RAG_DOCUMENTS_DIR",
    received: dir,
    expected: "a folder of .txt/.md/.json documents, each with a known_at time",
  };
  return createUserCorpus(await orConfigError(setting, readUserDocuments(dir)));
}

/** The as_of of a pass at `now`: the start of the current interval. */
export function intervalAsOf(now: Date, intervalSeconds: number): Date {
  const ms = intervalSeconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}
