/** Embeddings from any OpenAI-compatible `/embeddings` endpoint, in batches, unit length. */
import { createEmbeddings, type OpenAiEndpoint } from "./openai_client.ts";
import { type EmbeddingProvider, normalize } from "./vectors.ts";

/** Options of {@linkcode createOpenAiEmbedder}. */
export interface OpenAiEmbedderOptions {
  /** Dimensions the model returns (checked on every vector), e.g. 1536. */
  dimensions: number;
  /** Inputs per request; default 64. */
  batchSize?: number;
}

/** A provider that calls `endpoint`; its model name is stored as `openai:<model>`. */
export function createOpenAiEmbedder(
  endpoint: OpenAiEndpoint,
  options: OpenAiEmbedderOptions,
): EmbeddingProvider {
  const batchSize = options.batchSize ?? 64;
  return {
    model: `openai:${endpoint.model}`,
    dimensions: options.dimensions,
    async embed(texts, embedOptions = {}) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = await createEmbeddings(endpoint, texts.slice(i, i + batchSize), {
          dimensions: options.dimensions,
          signal: embedOptions.signal,
        });
        for (const v of batch) out.push(normalize(Float32Array.from(v)));
      }
      return out;
    },
  };
}
