/** rag_service's command line: `deno task rag [--once] [--eval [--json]]`. */
import { z } from "zod";
import {
  choiceValue,
  type Command,
  defineCommand,
  intValue,
  type Setting,
  setting,
  switchValue,
  urlValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
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

/** A predictor named in `RAG_PREDICTORS`. */
export type PredictorSpec =
  | { kind: "offline" }
  | { kind: "llm" }
  /** A user module (path as given; relative to the project root under `deno task`). */
  | { kind: "module"; path: string }
  /** A user endpoint the same JSON is posted to. */
  | { kind: "http"; url: URL };

const PREDICTORS_EXPECTED = "a comma-separated list of offline, llm, module:PATH (a .ts/.js " +
  "module) and http:URL (an http(s):// endpoint), e.g. offline,module:docs/examples/" +
  "rag_predictor.ts";

function predictorSpec(entry: string, ctx: z.RefinementCtx): PredictorSpec | undefined {
  if (entry === "offline" || entry === "llm") return { kind: entry };
  if (entry.startsWith("module:") && /\.(ts|js|mjs|mts)$/.test(entry)) {
    return { kind: "module", path: entry.slice("module:".length) };
  }
  const url = entry.startsWith("http:") ? URL.parse(entry.slice("http:".length)) : null;
  if (url && (url.protocol === "http:" || url.protocol === "https:")) return { kind: "http", url };
  ctx.addIssue({
    code: "custom",
    message: `${JSON.stringify(entry)} is not ${PREDICTORS_EXPECTED}`,
  });
  return undefined;
}

/** Comma-separated words, trimmed, empty ones dropped (as `listValue` reads them). */
const words = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);

const predictorList = z.string().transform(words).transform((entries, ctx) =>
  entries.map((e) => predictorSpec(e, ctx)).filter((s) => s !== undefined)
).pipe(z.array(z.custom<PredictorSpec>()).min(1).max(20));

const DURATION = /^(\d{1,5})(m|h|d)$/;
const HOURS_PER = { m: 1 / 60, h: 1, d: 24 } as const;

/** `1h,24h,7d` → hours, each from 1 minute to a year, at most 10, no repeats. */
const horizonList = z.string().transform(words).transform((entries, ctx) =>
  entries.map((e) => {
    const match = DURATION.exec(e);
    if (!match) ctx.addIssue({ code: "custom", message: `${JSON.stringify(e)} is not like 24h` });
    return match ? Number(match[1]) * HOURS_PER[match[2] as keyof typeof HOURS_PER] : 0;
  })
).pipe(z.array(z.number().min(1 / 60).max(8760)).min(1).max(10)).refine(
  (hours) => new Set(hours).size === hours.length,
  "each horizon once",
);

/** `rag_service`: retrieval-augmented probability forecasts, written and scored. */
export const ragServiceCommand: Command<{
  databaseUrl: Setting<URL>;
  logLevel: Setting<LogLevel>;
  metricsPort: Setting<number | undefined>;
  metricsHost: Setting<string>;
  shutdownMs: Setting<number>;
  once: Setting<boolean>;
  eval: Setting<boolean>;
  json: Setting<boolean>;
  asOf: Setting<Date | undefined>;
  intervalSeconds: Setting<number>;
  neighbors: Setting<number>;
  maxMarkets: Setting<number>;
  vectorBackend: Setting<"auto" | "pgvector" | "exact">;
  efSearch: Setting<number>;
  predictors: Setting<PredictorSpec[]>;
  promptFile: Setting<string | undefined>;
  documentsDir: Setting<string | undefined>;
  embeddingProvider: Setting<"hash" | "openai">;
  embeddingUrl: Setting<URL | undefined>;
  embeddingModel: Setting<string | undefined>;
  embeddingDimensions: Setting<number>;
  embeddingKey: Setting<string | undefined>;
  llmUrl: Setting<URL | undefined>;
  llmModel: Setting<string | undefined>;
  llmKey: Setting<string | undefined>;
  llmTimeoutMs: Setting<number>;
  llmMaxCalls: Setting<number>;
  llmMaxTokens: Setting<number>;
  llmMaxAttempts: Setting<number>;
  evalHorizonHours: Setting<number>;
  evalHorizons: Setting<number[] | undefined>;
  evalBootstrapSeed: Setting<number>;
  evalBootstrapResamples: Setting<number>;
  evalFrom: Setting<Date | undefined>;
  evalLimit: Setting<number>;
}> = defineCommand({
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
      schema: predictorList,
      default: "offline",
      help: "comma-separated: offline, llm (needs RAG_LLM_URL and RAG_LLM_MODEL), module:PATH " +
        "(your module, read access to PATH only), http:URL (your endpoint, net access to its " +
        "host only)",
      expected: PREDICTORS_EXPECTED,
      grants: (specs) => ({
        read: specs.flatMap((s) => s.kind === "module" ? [s.path] : []),
        net: specs.flatMap((s) => s.kind === "http" ? [s.url] : []),
      }),
    }),
    promptFile: setting({
      env: "RAG_PROMPT_FILE",
      flag: "prompt-file",
      schema: z.string().min(1).optional(),
      access: "read",
      help: "text file replacing the LLM predictor's instructions (the context follows them)",
      expected: "a path to a UTF-8 text file",
    }),
    documentsDir: setting({
      env: "RAG_DOCUMENTS_DIR",
      flag: "documents-dir",
      schema: z.string().min(1).optional(),
      access: "read",
      help: "folder of your documents (.txt, .md, .json, each with a known_at time) added to " +
        "retrieval; never retrieved before their known_at",
      expected: "a path to a folder",
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
      help: "timeout of one LLM, embedding or module/http predictor request",
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
    evalHorizons: setting({
      env: "RAG_EVAL_HORIZONS",
      flag: "horizons",
      schema: horizonList.optional(),
      help: "with --eval: several horizons (e.g. 1h,24h,7d) on the same markets, each reported " +
        "(default: RAG_EVAL_HORIZON_HOURS alone)",
      expected: "a comma-separated list of durations such as 1h,24h,7d (m, h or d; up to 10)",
    }),
    evalBootstrapSeed: setting({
      env: "RAG_EVAL_BOOTSTRAP_SEED",
      flag: "bootstrap-seed",
      schema: intValue(0, 4_294_967_295),
      default: "1",
      help: "with --eval: seed of the bootstrap over markets behind the 95% intervals",
    }),
    evalBootstrapResamples: setting({
      env: "RAG_EVAL_BOOTSTRAP_RESAMPLES",
      flag: "bootstrap-resamples",
      schema: intValue(100, 100_000),
      default: "1000",
      help: "with --eval: bootstrap resamples behind the 95% intervals",
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
