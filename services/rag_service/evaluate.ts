/**
 * `--eval`: scores every predictor on settled markets, each predicted as of `horizon` before its
 * close (or resolution, when earlier). Parameters are fitted only on markets resolved before the
 * evaluation window starts (`fitBefore`), and only markets whose as_of falls at or after it are
 * scored, so no outcome used for fitting or retrieval is later than the prediction. Predictions are
 * written like the service's own (idempotent; a re-run reuses them and spends no LLM call).
 * Each predictor is shown beside the market-price and always-0.5 baselines on the same markets.
 * @module
 */
import {
  type CalibrationBin,
  calibrationErrorOfBins,
  type Forecast,
  marketOutcome,
  scoreForecasts,
} from "../../lib/predictions/mod.ts";
import { LlmBudgetExhaustedError } from "./llm_predictor.ts";
import { HAS_OUTCOME_SQL, RESOLVED_AT_SQL } from "./neighbor_search.ts";
import { probabilityText, writePrediction } from "./prediction_store.ts";
import { retrieveContext } from "./retrieval.ts";
import { prepareSearch, type RunDeps, type VectorBackend } from "./run.ts";

/** Scores of one forecaster. */
export interface ScoreLine {
  n: number;
  brier: number | null;
  logLoss: number | null;
  ece: number | null;
  calibration: CalibrationBin[];
}

/** One predictor and its baselines on the same markets. */
export interface PredictorReport {
  predictor: string;
  provider: string;
  scores: ScoreLine;
  /** The yes price at as_of as the forecast (markets with a price only). */
  marketPrice: ScoreLine;
  /** Always 0.5. */
  constant: ScoreLine;
  /** Markets the predictor could not forecast. */
  failed: number;
}

/** The whole evaluation. */
export interface EvalReport {
  fitBefore: string;
  horizonHours: number;
  markets: number;
  backend: "exact" | "pgvector";
  predictors: PredictorReport[];
}

/** Options of {@linkcode evaluate}. */
export interface EvalOptions {
  horizonHours: number;
  /** Start of the evaluation window; default: the median resolution time of settled markets. */
  fitBefore?: Date;
  /** Most markets evaluated (latest resolved first); default 1000. */
  limit?: number;
  k: number;
  backend: VectorBackend;
  efSearch: number;
  signal?: AbortSignal;
}

function line(forecasts: Forecast[]): ScoreLine {
  const s = scoreForecasts(forecasts);
  return {
    n: s.count,
    brier: s.brier,
    logLoss: s.logLoss,
    ece: calibrationErrorOfBins(s.calibration),
    calibration: s.calibration,
  };
}

/** Runs the evaluation. */
export async function evaluate(deps: RunDeps, options: EvalOptions): Promise<EvalReport> {
  const { sql } = deps;
  const prepared = await prepareSearch(deps.db, deps.embedder, options);
  const predictors = deps.predictors(prepared.search);
  const horizonMs = options.horizonHours * 3_600_000;
  let fitBefore = options.fitBefore;
  if (!fitBefore) {
    const [median] = await sql<{ at: Date | null }[]>`
      SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ${sql.unsafe(RESOLVED_AT_SQL)}) AS at
      FROM markets m WHERE ${sql.unsafe(HAS_OUTCOME_SQL)}`;
    fitBefore = median?.at ?? new Date(0);
  }
  const markets = await sql<
    { ticker: string; result: string; value: string | null; as_of: Date }[]
  >`
    SELECT * FROM (
      SELECT m.ticker, m.result, m.settlement_value::text AS value,
             least(coalesce(m.close_time, 'infinity'), ${sql.unsafe(RESOLVED_AT_SQL)})
               - make_interval(secs => ${horizonMs / 1000}) AS as_of,
             m.open_time, ${sql.unsafe(RESOLVED_AT_SQL)} AS resolved_at
      FROM markets m
      WHERE ${sql.unsafe(HAS_OUTCOME_SQL)} AND ${sql.unsafe(RESOLVED_AT_SQL)} IS NOT NULL) x
    WHERE x.as_of >= ${fitBefore} AND (x.open_time IS NULL OR x.as_of >= x.open_time)
    ORDER BY x.resolved_at DESC, x.ticker LIMIT ${options.limit ?? 1000}`;
  for (const p of predictors) await p.prepare?.(fitBefore, { signal: options.signal });
  const collected = predictors.map(() => ({
    model: [] as Forecast[],
    price: [] as Forecast[],
    constant: [] as Forecast[],
    failed: 0,
  }));
  const exhausted = new Set<number>();
  const retrievalDeps = { db: deps.db, search: prepared.search, embedder: deps.embedder };
  for (const m of markets) {
    options.signal?.throwIfAborted();
    const outcome = marketOutcome(m.result, m.value);
    if (outcome === undefined) continue;
    const context = await retrieveContext(retrievalDeps, m.ticker, m.as_of, { k: options.k });
    for (let i = 0; i < predictors.length; i++) {
      const p = predictors[i];
      const [existing] = await sql<{ probability: string }[]>`
        SELECT probability::text FROM predictions
        WHERE market_ticker = ${m.ticker} AND model = ${p.model} AND predicted_at = ${m.as_of}`;
      let probability = existing?.probability;
      if (probability === undefined && !exhausted.has(i)) {
        try {
          const prediction = await p.predict(context, { signal: options.signal });
          await writePrediction(sql, context, p, prediction);
          probability = probabilityText(prediction.probability);
        } catch (error) {
          if (options.signal?.aborted) throw error;
          if (error instanceof LlmBudgetExhaustedError) exhausted.add(i);
          deps.logger.warn("evaluation prediction failed", {
            ticker: m.ticker,
            model: p.model,
            error: (error as Error).message,
          });
        }
      }
      const c = collected[i];
      if (probability === undefined) {
        c.failed++;
        continue;
      }
      c.model.push({ probability, outcome });
      c.constant.push({ probability: "0.5", outcome });
      if (context.marketPrice) c.price.push({ probability: context.marketPrice.dollars, outcome });
    }
  }
  return {
    fitBefore: fitBefore.toISOString(),
    horizonHours: options.horizonHours,
    markets: markets.length,
    backend: prepared.search.backend,
    predictors: predictors.map((p, i) => ({
      predictor: p.model,
      provider: p.provider,
      scores: line(collected[i].model),
      marketPrice: line(collected[i].price),
      constant: line(collected[i].constant),
      failed: collected[i].failed,
    })),
  };
}

const num = (v: number | null, digits = 4) => (v === null ? "-" : v.toFixed(digits));

/** The report as a text table (scores, then each predictor's 10-bin calibration table). */
export function formatReport(report: EvalReport): string {
  const out = [
    `Evaluation: ${report.markets} settled markets, each predicted ${report.horizonHours} h before ` +
    `close; parameters fitted on outcomes before ${report.fitBefore}; search: ${report.backend}`,
    "",
    `${"forecaster".padEnd(34)} ${"n".padStart(6)} ${"brier".padStart(8)} ${
      "log_loss".padStart(9)
    } ${"ece".padStart(8)}`,
  ];
  const row = (name: string, s: ScoreLine) =>
    `${name.padEnd(34)} ${String(s.n).padStart(6)} ${num(s.brier).padStart(8)} ${
      num(s.logLoss).padStart(9)
    } ${num(s.ece).padStart(8)}`;
  for (const p of report.predictors) {
    out.push(row(p.predictor, p.scores));
    out.push(row("  market price (baseline)", p.marketPrice));
    out.push(row("  always 0.5 (baseline)", p.constant));
    if (p.failed) out.push(`  (${p.failed} markets without a forecast)`);
  }
  for (const p of report.predictors) {
    out.push("", `Calibration of ${p.predictor} (bin, n, mean forecast, observed yes rate):`);
    for (const b of p.scores.calibration) {
      out.push(
        `  ${b.lower.toFixed(1)}-${b.upper.toFixed(1)} ${String(b.count).padStart(6)} ${
          num(b.meanProbability, 3).padStart(7)
        } ${num(b.observedRate, 3).padStart(7)}`,
      );
    }
  }
  return out.join("\n");
}
