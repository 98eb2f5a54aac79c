/**
 * Your own predictor: `module:PATH` imports a module exporting `predict(input)`, `http:URL` posts
 * the same input as JSON to an endpoint. Both get the market, its as-of context and the retrieved
 * neighbours and documents ({@linkcode PredictorInput}) and must answer `{ probability,
 * rationale }`, validated with zod; every call is bounded in time and the HTTP answer in size.
 * The launch step grants read access to the module's path and net access to the endpoint's host
 * only (lib/commands/rag_service.ts).
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { sha256Hex } from "./documents.ts";
import { canonicalJson, type Prediction, type Predictor } from "./predictor.ts";
import type { RetrievalContext } from "./retrieval.ts";

/** What a custom predictor receives (JSON-safe: times are ISO strings, prices decimal strings). */
export interface PredictorInput {
  asOf: string;
  market: { ticker: string; text: string; openTime: string | null; closeTime: string | null };
  /** Yes price at as_of in dollars, with when and where it was seen; null when none. */
  marketPrice: { dollars: string; at: string; source: string } | null;
  candles: {
    endPeriodTs: string;
    periodMinutes: number;
    yesBidClose: string | null;
    yesAskClose: string | null;
    priceClose: string | null;
    volume: string | null;
  }[];
  lifecycle: { eventType: string | null; at: string }[];
  /** Similar markets settled before as_of, most similar first; outcome "1" yes, "0" no. */
  neighbors: {
    ticker: string;
    title: string | null;
    similarity: number;
    outcome: string;
    finalPrice: string | null;
    resolvedAt: string;
  }[];
  /** Your documents (RAG_DOCUMENTS_DIR) known at as_of, most similar first. */
  documents: {
    id: string;
    title: string | null;
    knownAt: string;
    similarity: number;
    text: string;
  }[];
}

/** The answer a custom predictor must give (unknown fields are ignored). */
export const CustomAnswer = z.object({
  probability: z.number().min(0).max(1),
  rationale: z.string().trim().min(1).max(2000),
}).passthrough();

/** A custom predictor gave no valid answer: which predictor, for which market, and why. */
export class CustomPredictorError extends Error {
  /** Creates the error. */
  constructor(model: string, ticker: string, reason: string) {
    super(`${model} gave no valid answer for ${ticker}: ${reason}`);
    this.name = "CustomPredictorError";
  }
}

/** Most bytes read from an endpoint's answer. */
export const MAX_ANSWER_BYTES = 65_536;

/** The JSON input of a context. */
export function predictorInput(context: RetrievalContext): PredictorInput {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    asOf: context.asOf.toISOString(),
    market: {
      ticker: context.target.ticker,
      text: context.target.text,
      openTime: iso(context.target.openTime),
      closeTime: iso(context.target.closeTime),
    },
    marketPrice: context.marketPrice
      ? {
        dollars: context.marketPrice.dollars,
        at: context.marketPrice.at.toISOString(),
        source: context.marketPrice.source,
      }
      : null,
    candles: context.candles.map((c) => ({ ...c, endPeriodTs: c.endPeriodTs.toISOString() })),
    lifecycle: context.lifecycle.map((l) => ({ eventType: l.eventType, at: l.at.toISOString() })),
    neighbors: context.neighbors.map((n) => ({ ...n, resolvedAt: n.resolvedAt.toISOString() })),
    documents: context.documents.map((d) => ({ ...d, knownAt: d.knownAt.toISOString() })),
  };
}

function validAnswer(model: string, ticker: string, value: unknown) {
  const parsed = CustomAnswer.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const reason = `invalid answer: ${issue.path.join(".") || "(root)"} ${issue.message}; ` +
    'expected {"probability": <number from 0 to 1>, "rationale": "<text>"}';
  throw new CustomPredictorError(model, ticker, reason);
}

/** What went wrong, from whatever the user's code threw (not always an Error). */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  let shown: string | undefined;
  try {
    shown = JSON.stringify(error);
  } catch { /* circular: String() below */ }
  return `threw ${(shown ?? String(error)).slice(0, 200)}`;
}

/** Runs `call` with a deadline; the returned promise rejects when it passes or `signal` aborts. */
async function bounded<T>(
  call: (signal: AbortSignal) => Promise<T>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`no answer within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const signal = options.signal
    ? AbortSignal.any([options.signal, deadline.signal])
    : deadline.signal;
  try {
    return await new Promise<T>((resolvePromise, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      call(signal).then(resolvePromise, reject);
    });
  } finally {
    clearTimeout(timer);
  }
}

async function asPrediction(
  model: string,
  context: RetrievalContext,
  answer: unknown,
): Promise<Prediction> {
  const input = predictorInput(context);
  const valid = validAnswer(model, context.target.ticker, answer);
  return {
    probability: valid.probability,
    rationale: valid.rationale.slice(0, 1000),
    promptSha256: await sha256Hex(canonicalJson({ model, input })),
    details: {},
  };
}

/** The user module's contract: `export function predict(input)` (sync or async). */
type PredictFunction = (input: PredictorInput) => unknown;

/** Options of {@linkcode createModulePredictor} and {@linkcode createHttpPredictor}. */
export interface CustomPredictorOptions {
  /** Most time one answer may take. */
  timeoutMs: number;
}

/**
 * Imports the module at `path` (relative to the working folder) and returns its predictor, model
 * `module:<path>`; throws when the module does not export a `predict` function.
 */
export async function createModulePredictor(
  path: string,
  options: CustomPredictorOptions,
): Promise<Predictor> {
  const model = `module:${path}`;
  const loaded = await import(pathToFileURL(resolve(path)).href) as { predict?: unknown };
  if (typeof loaded.predict !== "function") {
    throw new Error(
      `${path} must export a function predict(input) returning {probability, rationale} ` +
        "(see docs/examples/rag_predictor.ts)",
    );
  }
  const predict = loaded.predict as PredictFunction;
  return {
    model,
    provider: "module",
    async predict(context, predictOptions = {}) {
      const answer = await bounded(
        () => Promise.resolve(predict(predictorInput(context))),
        { timeoutMs: options.timeoutMs, signal: predictOptions.signal },
      ).catch((error) => {
        if (predictOptions.signal?.aborted) throw error;
        throw new CustomPredictorError(model, context.target.ticker, reasonOf(error));
      });
      return await asPrediction(model, context, answer);
    },
  };
}

async function readBounded(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`answer larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (bytes.set(c, at), at += c.byteLength);
  return new TextDecoder().decode(bytes);
}

/** A predictor that POSTs {@linkcode PredictorInput} to `url`; model `http:<host><path>`. */
export function createHttpPredictor(url: URL, options: CustomPredictorOptions): Predictor {
  const model = `http:${url.host}${url.pathname}`;
  const post = async (input: PredictorInput, signal: AbortSignal) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(input),
      signal,
      // The input goes to the configured host only (the one the launch step grants).
      redirect: "manual",
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      throw new Error(
        `HTTP ${response.status} redirect to ${location}; redirects are not followed: ` +
          "name the final URL in RAG_PREDICTORS",
      );
    }
    const text = await readBounded(response, MAX_ANSWER_BYTES);
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`the answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
  };
  return {
    model,
    provider: url.host,
    async predict(context, predictOptions = {}) {
      const answer = await bounded(
        (signal) => post(predictorInput(context), signal),
        { timeoutMs: options.timeoutMs, signal: predictOptions.signal },
      ).catch((error) => {
        if (predictOptions.signal?.aborted) throw error;
        throw new CustomPredictorError(model, context.target.ticker, reasonOf(error));
      });
      return await asPrediction(model, context, answer);
    },
  };
}
