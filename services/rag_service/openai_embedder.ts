/**
 * Embeddings from any OpenAI-compatible `/embeddings` endpoint, in batches, unit length. Transient
 * failures (timeouts, connection errors, 408/409/429/5xx) are retried with exponential backoff; a
 * malformed body or another 4xx fails at once, since asking again would get the same answer.
 * @module
 */
import {
  createEmbeddings,
  type OpenAiEndpoint,
  OpenAiHttpError,
  OpenAiTimeoutError,
} from "./openai_client.ts";
import { type EmbeddingProvider, normalize } from "./vectors.ts";
import { backoffDelay } from "@kalshi-data/lib/runtime";

/** Options of {@linkcode createOpenAiEmbedder}. */
export interface OpenAiEmbedderOptions {
  /** Dimensions the model returns (checked on every vector), e.g. 1536. */
  dimensions: number;
  /** Inputs per request; default 64. */
  batchSize?: number;
  /** Attempts per batch on transient failures; default 3. */
  maxAttempts?: number;
  /** Wait before the second attempt, doubled for each further one; default 500 ms. */
  retryDelayMs?: number;
  /** How to wait (tests record the delays instead of sleeping); default: a timer cut by `signal`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Whether a failed request is worth repeating. */
export function isTransient(error: unknown): boolean {
  if (error instanceof OpenAiHttpError) return error.retryable;
  // fetch reports refused and reset connections as TypeError.
  return error instanceof OpenAiTimeoutError || error instanceof TypeError;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A provider that calls `endpoint`; its model name is stored as `openai:<model>`. */
export function createOpenAiEmbedder(
  endpoint: OpenAiEndpoint,
  options: OpenAiEmbedderOptions,
): EmbeddingProvider {
  const batchSize = options.batchSize ?? 64;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const sleep = options.sleep ?? sleepFor;
  const embedBatch = async (texts: readonly string[], signal?: AbortSignal) => {
    for (let attempt = 1;; attempt++) {
      try {
        return await createEmbeddings(endpoint, texts, { dimensions: options.dimensions, signal });
      } catch (error) {
        if (signal?.aborted || attempt >= maxAttempts || !isTransient(error)) throw error;
        await sleep(backoffDelay(attempt - 1, { baseMs: retryDelayMs, jitter: false }), signal);
      }
    }
  };
  return {
    model: `openai:${endpoint.model}`,
    dimensions: options.dimensions,
    async embed(texts, embedOptions = {}) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = await embedBatch(texts.slice(i, i + batchSize), embedOptions.signal);
        for (const v of batch) out.push(normalize(Float32Array.from(v)));
      }
      return out;
    },
  };
}
