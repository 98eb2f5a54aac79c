/**
 * The offline predictor: a retrieval-weighted base rate blended with the market price in logit
 * space, p = σ(a·logit(price) + b·logit(rate) + c), where rate = (Σ wᵢ·outcomeᵢ + 1) / (Σ wᵢ + 2)
 * over the neighbours (wᵢ = max(similarityᵢ, 0)²). The three parameters are fitted by L2-regularised
 * logistic regression on markets whose outcome was known before the fit time, each example built
 * with the same retrieval as of a time before its own resolution — so fitting never looks ahead.
 * Without enough history it falls back to a = 1, b = 0, c = 0 (the market price; 0.5 without one).
 *
 * A fit retrieves context for up to 400 markets, so the service keeps it in an
 * {@linkcode OfflineFitCache} keyed by the fit time (the start of as_of's UTC day, see run.ts) and
 * the corpus version: the training rows themselves, the embeddings of the model and the training
 * markets' candles. Passes within one day on an unchanged corpus reuse the fit.
 * @module
 */
import { sha256Hex } from "./documents.ts";
import { HAS_OUTCOME_SQL, RESOLVED_AT_SQL } from "./neighbor_search.ts";
import { canonicalJson, type Prediction, type Predictor } from "./predictor.ts";
import { type RetrievalContext, type RetrievalDeps, retrieveContext } from "./retrieval.ts";

/** The fitted parameters. */
export interface BlendParameters {
  /** Weight of logit(market price). */
  a: number;
  /** Weight of logit(retrieval base rate). */
  b: number;
  /** Intercept. */
  c: number;
  /** Training examples used (0 = defaults). */
  examples: number;
  /** Fitted on outcomes known strictly before this time. */
  fitBefore: string | null;
}

/** The defaults: trust the market price. */
export const DEFAULT_PARAMETERS: BlendParameters = {
  a: 1,
  b: 0,
  c: 0,
  examples: 0,
  fitBefore: null,
};

const EPS = 0.01;
const clamp = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));
const logit = (p: number) => Math.log(clamp(p) / (1 - clamp(p)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Retrieval-weighted base rate of `context`'s neighbours and the total weight. */
export function weightedBaseRate(context: RetrievalContext): { rate: number; weight: number } {
  let sum = 0;
  let weight = 0;
  for (const n of context.neighbors) {
    const w = Math.max(n.similarity, 0) ** 2;
    sum += w * Number(n.outcome);
    weight += w;
  }
  return { rate: (sum + 1) / (weight + 2), weight };
}

/** Features of a context: logit(price) (0 without a price) and logit(rate). */
export function features(context: RetrievalContext): [number, number] {
  const price = context.marketPrice ? context.marketPrice.units / 10_000 : null;
  return [price === null ? 0 : logit(price), logit(weightedBaseRate(context).rate)];
}

/** Fits (a, b, c) by Newton's method on the log loss plus `lambda`·‖(a, b)‖²; labels may be fractional. */
export function fitBlend(
  examples: readonly { x: [number, number]; y: number }[],
  options: { lambda?: number; minExamples?: number } = {},
): Pick<BlendParameters, "a" | "b" | "c" | "examples"> {
  if (examples.length < (options.minExamples ?? 20)) return { a: 1, b: 0, c: 0, examples: 0 };
  const lambda = options.lambda ?? 0.1;
  let w = [1, 0, 0];
  for (let iter = 0; iter < 50; iter++) {
    const g = [lambda * (w[0] - 1), lambda * w[1], 0];
    const h = [[lambda, 0, 0], [0, lambda, 0], [0, 0, 1e-9]];
    for (const { x, y } of examples) {
      const v = [x[0], x[1], 1];
      const p = sigmoid(w[0] * v[0] + w[1] * v[1] + w[2]);
      const r = p * (1 - p);
      for (let i = 0; i < 3; i++) {
        g[i] += (p - y) * v[i];
        for (let j = 0; j < 3; j++) h[i][j] += r * v[i] * v[j];
      }
    }
    const step = solve3(h, g);
    w = w.map((wi, i) => wi - step[i]);
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  return { a: w[0], b: w[1], c: w[2], examples: examples.length };
}

function solve3(m: number[][], v: number[]): number[] {
  const a = m.map((row, i) => [...row, v[i]]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    if (Math.abs(a[col][col]) < 1e-12) return [0, 0, 0];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c < 4; c++) a[r][c] -= f * a[col][c];
    }
  }
  return [a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]];
}

/**
 * The last fit and the key it was made under (fit time, settings, corpus version). One entry:
 * the service fits one configuration, and a new day or corpus makes the old fit useless.
 */
export class OfflineFitCache {
  #key: string | undefined;
  #parameters: BlendParameters | undefined;
  /** Prepares that reused the cached fit. */
  hits = 0;
  /** Prepares that fitted. */
  misses = 0;

  /** The parameters fitted under `key`, if it is the cached one. */
  get(key: string): BlendParameters | undefined {
    return key === this.#key ? this.#parameters : undefined;
  }

  /** Keeps `parameters` as the fit under `key`. */
  set(key: string, parameters: BlendParameters): void {
    this.#key = key;
    this.#parameters = parameters;
  }
}

/** Options of {@linkcode createOfflinePredictor}. */
export interface OfflinePredictorOptions {
  /** Neighbours per retrieval; default 20. */
  k?: number;
  /** Training markets (the most recently resolved before the fit time); default 400. */
  fitMarkets?: number;
  /** Hours before close (or resolution) a training example is taken; default 24. */
  horizonHours?: number;
  /** Reuses a fit across predictors (passes) when nothing it depends on changed. */
  fitCache?: OfflineFitCache;
}

/**
 * The corpus version a fit depends on beyond its training rows: the model's embeddings (count,
 * latest write: a changed document is re-embedded) and the training markets' candles (count,
 * latest fetch: a backfill changes their prices at as_of).
 */
async function corpusVersion(
  deps: RetrievalDeps,
  tickers: readonly string[],
): Promise<string> {
  const [row] = await deps.db.query<Record<string, unknown>>(
    `SELECT (SELECT count(*) FROM embeddings
              WHERE subject_kind = 'market' AND model = $1 AND dimensions = $2::int) AS documents,
            (SELECT max(created_at) FROM embeddings
              WHERE subject_kind = 'market' AND model = $1 AND dimensions = $2::int) AS embedded,
            (SELECT count(*) FROM candles WHERE market_ticker = ANY($3::text[])) AS candles,
            (SELECT max(fetched_at) FROM candles WHERE market_ticker = ANY($3::text[])) AS fetched`,
    [deps.embedder.model, deps.embedder.dimensions, tickers],
  );
  return canonicalJson(row);
}

/** The offline predictor (model `rag-offline-v1`). */
export function createOfflinePredictor(
  deps: RetrievalDeps,
  options: OfflinePredictorOptions = {},
): Predictor & { parameters(): BlendParameters } {
  let params: BlendParameters = { ...DEFAULT_PARAMETERS };
  const k = options.k ?? 20;
  const horizonMs = (options.horizonHours ?? 24) * 3_600_000;
  return {
    model: "rag-offline-v1",
    provider: "offline",
    parameters: () => params,
    async prepare(fitBefore, prepareOptions = {}) {
      const fitMarkets = options.fitMarkets ?? 400;
      const rows = await deps.db.query<
        {
          ticker: string;
          result: string;
          value: string | null;
          at: Date | string;
          close: Date | string | null;
          open: Date | string | null;
        }
      >(
        `SELECT m.ticker, m.result, m.settlement_value::text AS value, ${RESOLVED_AT_SQL} AS at,
                m.close_time AS close, m.open_time AS open
         FROM markets m
         WHERE ${HAS_OUTCOME_SQL} AND ${RESOLVED_AT_SQL} < $1::timestamptz
         ORDER BY ${RESOLVED_AT_SQL} DESC, m.ticker LIMIT $2`,
        [fitBefore.toISOString(), fitMarkets],
      );
      const cache = options.fitCache;
      let key = "";
      if (cache) {
        const settings = { fitBefore, k, horizonMs, fitMarkets, embedder: deps.embedder.model };
        const corpus = await corpusVersion(deps, rows.map((r) => r.ticker));
        key = await sha256Hex(canonicalJson({ settings, rows, corpus }));
        const cached = cache.get(key);
        if (cached) {
          cache.hits++;
          params = cached;
          return;
        }
        cache.misses++;
      }
      const examples: { x: [number, number]; y: number }[] = [];
      for (const r of rows) {
        prepareOptions.signal?.throwIfAborted();
        const resolved = new Date(r.at);
        const end = r.close
          ? Math.min(new Date(r.close).getTime(), resolved.getTime())
          : resolved.getTime();
        const asOf = new Date(end - horizonMs);
        if (r.open && asOf < new Date(r.open)) continue;
        const y = r.result === "yes" ? 1 : r.result === "no" ? 0 : Number(r.value);
        const context = await retrieveContext(deps, r.ticker, asOf, {
          k,
          candles: 1,
          lifecycle: 0,
        });
        examples.push({ x: features(context), y });
      }
      params = { ...fitBlend(examples), fitBefore: fitBefore.toISOString() };
      cache?.set(key, params);
    },
    async predict(context) {
      const [x1, x2] = features(context);
      const p = sigmoid(params.a * x1 + params.b * x2 + params.c);
      const probability = Math.min(0.999, Math.max(0.001, p));
      const { rate, weight } = weightedBaseRate(context);
      const inputs = {
        model: "rag-offline-v1",
        parameters: params,
        asOf: context.asOf,
        ticker: context.target.ticker,
        price: context.marketPrice?.dollars ?? null,
        neighbors: context.neighbors.map((n) => [n.ticker, n.similarity, n.outcome]),
      };
      const price = context.marketPrice
        ? `market price ${context.marketPrice.dollars}`
        : "no market price";
      const prediction: Prediction = {
        probability,
        rationale:
          `Base rate ${rate.toFixed(3)} over ${context.neighbors.length} similar settled ` +
          `markets (weight ${weight.toFixed(2)}), ${price}; blended ${params.a.toFixed(2)}/` +
          `${params.b.toFixed(2)}/${params.c.toFixed(2)}.`,
        promptSha256: await sha256Hex(canonicalJson(inputs)),
        details: { parameters: params, baseRate: rate, neighborWeight: weight },
      };
      return prediction;
    },
  };
}
