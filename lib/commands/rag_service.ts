/** rag_service's command line: `deno task rag [--once] [--eval [--json]]`. */
import { z } from "zod";
import {
  choiceValue,
  defineCommand,
  intValue,
  listValue,
  setting,
  switchValue,
  urlValue,
} from "../config/mod.ts";
import {
  databaseUrl,
  logLevel,
  metricsHost,
  metricsPort,
  POSTGRES_LIBRARY_ENV,
  shutdownMs,
} from "./shared.ts";

const isoTime = z.string().refine((t) => !Number.isNaN(Date.parse(t)), "an ISO 8601 time")
  .transform((t) => new Date(t));

const httpUrl = (env: string, flag: string, help: string) =>
  setting({
    env,
    flag,
    schema: urlValue(["http:", "https:"]).optional(),
    help,
    expected: "an http(s):// base URL such as https://api.openai.com/v1",
    access: "net",
  });

/** `rag_service`: retrieval-augmented probability forecasts, written and scored. */
export const ragServiceCommand = defineCommand({
  name: "rag_service",
  summary: "Embeds every market document, retrieves similar settled markets, candles and " +
    "lifecycle as of the prediction time (never later), forecasts P(yes) with the offline " +
    "predictor (and an OpenAI-compatible LLM when configured), writes predictions with " +
    "provenance and scores resolved ones. --once runs one pass; --eval scores every predictor " +
    "against the market-price and 0.5 baselines (--json for JSON).",
  settings: {
    databaseUrl,
    logLevel,
    metricsPort,
    metricsHost,
    shutdownMs,
    once: setting({
      env: "RAG_ONCE",
      flag: "once",
      type: "boolean",
      schema: switchValue(),
      help: "run one pass and exit",
    }),
    eval: setting({
      env: "RAG_EVAL",
      flag: "eval",
      type: "boolean",
      schema: switchValue(),
      help: "evaluate the predictors on settled markets, print the report and exit",
    }),
    json: setting({
      env: "RAG_JSON",
      flag: "json",
      type: "boolean",
      schema: switchValue(),
      help: "with --eval: print the report as JSON",
    }),
    asOf: setting({
      env: "RAG_AS_OF",
      flag: "as-of",
      schema: isoTime.optional(),
      help: "prediction time of a --once pass (default: now, floored to the interval)",
      expected: "an ISO 8601 time such as 2026-03-01T12:00:00Z",
    }),
    intervalSeconds: setting({
      env: "RAG_INTERVAL_SECONDS",
      flag: "interval-seconds",
      schema: intValue(60, 604_800),
      default: "3600",
      help: "seconds between passes; as_of is the start of the current interval",
    }),
    neighbors: setting({
      env: "RAG_NEIGHBORS",
      flag: "neighbors",
      schema: intValue(1, 200),
      default: "20",
      help: "similar settled markets retrieved per prediction",
    }),
    maxMarkets: setting({
      env: "RAG_MAX_MARKETS",
      flag: "max-markets",
      schema: intValue(1, 1_000_000),
      default: "500",
      help: "open markets predicted per pass",
    }),
    vectorBackend: setting({
      env: "RAG_VECTOR_BACKEND",
      flag: "vector-backend",
      schema: choiceValue(["auto", "pgvector", "exact"]),
      default: "auto",
      help: "pgvector's HNSW index when installed (auto), or exact search in the service",
    }),
    efSearch: setting({
      env: "RAG_EF_SEARCH",
      flag: "ef-search",
      schema: intValue(1, 1000),
      default: "100",
      help: "pgvector hnsw.ef_search",
    }),
    predictors: setting({
      env: "RAG_PREDICTORS",
      flag: "predictors",
      schema: listValue().pipe(z.array(z.enum(["offline", "llm"])).min(1)),
      default: "offline",
      help: "comma-separated: offline, llm (llm needs RAG_LLM_URL and RAG_LLM_MODEL)",
      expected: "a comma-separated list of offline, llm",
    }),
    embeddingProvider: setting({
      env: "RAG_EMBEDDING_PROVIDER",
      flag: "embedding-provider",
      schema: choiceValue(["hash", "openai"]),
      default: "hash",
      help: "hash: offline feature hashing (no network); openai: an OpenAI-compatible /embeddings",
    }),
    embeddingUrl: httpUrl(
      "RAG_EMBEDDING_URL",
      "embedding-url",
      "OpenAI-compatible base URL for embeddings",
    ),
    embeddingModel: setting({
      env: "RAG_EMBEDDING_MODEL",
      flag: "embedding-model",
      schema: z.string().min(1).optional(),
      help: "embedding model name, e.g. text-embedding-3-small",
    }),
    embeddingDimensions: setting({
      env: "RAG_EMBEDDING_DIMENSIONS",
      flag: "embedding-dimensions",
      schema: intValue(8, 4096),
      default: "256",
      help: "vector length (the hash embedder's, or what the embedding model returns)",
    }),
    embeddingKey: setting({
      env: "RAG_EMBEDDING_API_KEY",
      schema: z.string().min(1).optional(),
      help: "API key of the embedding endpoint",
      secret: true,
    }),
    llmUrl: httpUrl("RAG_LLM_URL", "llm-url", "OpenAI-compatible base URL for chat completions"),
    llmModel: setting({
      env: "RAG_LLM_MODEL",
      flag: "llm-model",
      schema: z.string().min(1).optional(),
      help: "chat model name, e.g. gpt-4o-mini or llama3.1",
    }),
    llmKey: setting({
      env: "RAG_LLM_API_KEY",
      schema: z.string().min(1).optional(),
      help: "API key of the chat endpoint",
      secret: true,
    }),
    llmTimeoutMs: setting({
      env: "RAG_LLM_TIMEOUT_MS",
      flag: "llm-timeout-ms",
      schema: intValue(100, 600_000),
      default: "30000",
      help: "timeout of one LLM or embedding request",
    }),
    llmMaxCalls: setting({
      env: "RAG_LLM_MAX_CALLS",
      flag: "llm-max-calls",
      schema: intValue(0, 10_000_000),
      default: "200",
      help: "LLM calls allowed per pass (retries included)",
    }),
    llmMaxTokens: setting({
      env: "RAG_LLM_MAX_TOKENS",
      flag: "llm-max-tokens",
      schema: intValue(0, 1_000_000_000),
      default: "400000",
      help: "LLM tokens (prompt + answer) allowed per pass",
    }),
    llmMaxAttempts: setting({
      env: "RAG_LLM_MAX_ATTEMPTS",
      flag: "llm-max-attempts",
      schema: intValue(1, 10),
      default: "3",
      help: "attempts per prediction on malformed answers, timeouts and 5xx/429",
    }),
    evalHorizonHours: setting({
      env: "RAG_EVAL_HORIZON_HOURS",
      flag: "eval-horizon-hours",
      schema: intValue(0, 8760),
      default: "24",
      help: "with --eval: predict each settled market this long before its close",
    }),
    evalFrom: setting({
      env: "RAG_EVAL_FROM",
      flag: "eval-from",
      schema: isoTime.optional(),
      help: "with --eval: fit on outcomes before this time, score predictions at or after it " +
        "(default: the median resolution time)",
      expected: "an ISO 8601 time",
    }),
    evalLimit: setting({
      env: "RAG_EVAL_LIMIT",
      flag: "eval-limit",
      schema: intValue(1, 1_000_000),
      default: "1000",
      help: "with --eval: most settled markets scored",
    }),
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
