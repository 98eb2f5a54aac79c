/** The predictor interface every forecaster implements (offline and LLM). */
import type { RetrievalContext } from "./retrieval.ts";

/** A forecast with its provenance. */
export interface Prediction {
  /** P(yes) in [0, 1]. */
  probability: number;
  /** One or two sentences. */
  rationale: string;
  /** SHA-256 (hex) of the exact prompt, or of the offline model's canonical inputs. */
  promptSha256: string;
  /** Extra provenance stored in `predictions.inputs` (parameters, token usage, attempts). */
  details: Record<string, unknown>;
}

/** Forecasts the probability of "yes" from a retrieval context. */
export interface Predictor {
  /** Stored in `predictions.model`, e.g. `rag-offline-v1` or `rag-llm:gpt-4o-mini`. */
  readonly model: string;
  /** Stored in `predictions.provider`, e.g. `offline` or the endpoint's host. */
  readonly provider: string;
  /** Prepares for predictions at or after `fitBefore` (fits parameters on earlier outcomes only). */
  prepare?(fitBefore: Date, options?: { signal?: AbortSignal }): Promise<void>;
  /** One forecast; throws when no valid answer could be had. */
  predict(context: RetrievalContext, options?: { signal?: AbortSignal }): Promise<Prediction>;
}

/** Canonical JSON (sorted keys) for hashing. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
