/**
 * `--eval`: scores every predictor on settled markets, each predicted as of a horizon before its
 * close (or resolution, when earlier). Parameters are fitted only on markets resolved before the
 * evaluation window starts (`fitBefore`), and only markets whose as_of falls at or after it for
 * every horizon are evaluated, so no outcome used for fitting or retrieval is later than a
 * prediction. Predictions are written like the service's own (idempotent; a re-run reuses them and
 * spends no LLM call).
 *
 * Every line — each predictor, the market price at as_of, always 0.5 — is scored on exactly the
 * same markets: a market is scored only where every forecaster answered at every horizon, and the
 * others are listed with who could not answer. Scores come with 95% bootstrap intervals over
 * markets, and each line's paired difference to the market price on the same resamples.
 * @module
 */
import {
  type BootstrapOptions,
  type ComparedLine,
  compareForecasters,
  DEFAULT_BOOTSTRAP,
  type Interval,
  marketOutcome,
  type Question,
} from "@kalshi-data/lib/predictions";
import { LlmBudgetExhaustedError } from "./llm_predictor.ts";
import { HAS_OUTCOME_SQL, RESOLVED_AT_SQL } from "./neighbor_search.ts";
import { probabilityText, writePrediction } from "./prediction_store.ts";
import type { Predictor } from "./predictor.ts";
import { type RetrievalContext, type RetrievalDeps, retrieveContext } from "./retrieval.ts";
import { prepareSearch, type RunDeps, type VectorBackend } from "./run.ts";

/** The market-price baseline's name (the reference of every paired difference). */
export const MARKET_PRICE = "market price";
/** The coin-flip baseline's name. */
export const ALWAYS_HALF = "always 0.5";

/** One forecaster's line: scores with intervals on the horizon's common markets. */
export interface ForecasterLine extends ComparedLine {
  /** `predictor` or `baseline`. */
  kind: "predictor" | "baseline";
  /** The predictor's provider (`offline`, a host, `module`); the baseline's name. */
  provider: string;
}

/** One horizon: every line on the same markets. */
export interface HorizonReport {
  horizonHours: number;
  /** Markets scored on every line (the same at every horizon). */
  n: number;
  lines: ForecasterLine[];
}

/** A market left out at one horizon, and the forecasters that gave no answer there. */
export interface Unanswered {
  ticker: string;
  horizonHours: number;
  asOf: string;
  missing: string[];
}

/** The whole evaluation. */
export interface EvalReport {
  fitBefore: string;
  /** Settled markets evaluated (before leaving out the unanswered ones). */
  markets: number;
  /** Markets scored on every line at every horizon. */
  scored: number;
  backend: "exact" | "pgvector";
  bootstrap: BootstrapOptions;
  horizons: HorizonReport[];
  unanswered: Unanswered[];
}

/** Options of {@linkcode evaluate}. */
export interface EvalOptions {
  /** Horizons in hours; every one on the same markets. */
  horizonsHours: number[];
  /** Start of the evaluation window; default: the median resolution time of settled markets. */
  fitBefore?: Date;
  /** Most markets evaluated (latest resolved first); default 1000. */
  limit?: number;
  k: number;
  backend: VectorBackend;
  efSearch: number;
  /** Seed and resamples of the intervals; default {@linkcode DEFAULT_BOOTSTRAP}. */
  bootstrap?: BootstrapOptions;
  signal?: AbortSignal;
}

interface EvalMarket {
  ticker: string;
  outcome: string;
  /** When the market stopped trading: the earlier of close and resolution. */
  end: Date;
}

async function medianResolution(sql: RunDeps["sql"]): Promise<Date> {
  const [median] = await sql<{ at: Date | null }[]>`
    SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ${sql.unsafe(RESOLVED_AT_SQL)}) AS at
    FROM markets m WHERE ${sql.unsafe(HAS_OUTCOME_SQL)}`;
  return median?.at ?? new Date(0);
}

/** Settled markets whose as_of at the longest horizon is inside the window and after listing. */
async function evaluationMarkets(
  sql: RunDeps["sql"],
  options: { fitBefore: Date; longestMs: number; limit: number },
): Promise<EvalMarket[]> {
  const rows = await sql<{ ticker: string; result: string; value: string | null; end: Date }[]>`
    SELECT ticker, result, value, "end" FROM (
      SELECT m.ticker, m.result, m.settlement_value::text AS value, m.open_time,
             least(coalesce(m.close_time, 'infinity'), ${sql.unsafe(RESOLVED_AT_SQL)}) AS "end",
             ${sql.unsafe(RESOLVED_AT_SQL)} AS resolved_at
      FROM markets m
      WHERE ${sql.unsafe(HAS_OUTCOME_SQL)} AND ${sql.unsafe(RESOLVED_AT_SQL)} IS NOT NULL) x
    WHERE x."end" - make_interval(secs => ${options.longestMs / 1000}) >= ${options.fitBefore}
      AND (x.open_time IS NULL
        OR x."end" - make_interval(secs => ${options.longestMs / 1000}) >= x.open_time)
    ORDER BY x.resolved_at DESC, x.ticker LIMIT ${options.limit}`;
  return rows.flatMap((r) => {
    const outcome = marketOutcome(r.result, r.value);
    return outcome === undefined ? [] : [{ ticker: r.ticker, outcome, end: r.end }];
  });
}

/** Predictors' answers with their stored predictions reused, and LLM budgets respected. */
function answerer(deps: RunDeps, predictors: Predictor[], signal?: AbortSignal) {
  const exhausted = new Set<number>();
  return async (i: number, context: RetrievalContext): Promise<string | undefined> => {
    const p = predictors[i];
    const [existing] = await deps.sql<{ probability: string }[]>`
      SELECT probability::text FROM predictions WHERE market_ticker = ${context.target.ticker}
        AND model = ${p.model} AND predicted_at = ${context.asOf}`;
    if (existing || exhausted.has(i)) return existing?.probability;
    try {
      const prediction = await p.predict(context, { signal });
      await writePrediction(deps.sql, context, p, prediction);
      return probabilityText(prediction.probability);
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof LlmBudgetExhaustedError) exhausted.add(i);
      deps.logger.warn("evaluation prediction failed", {
        ticker: context.target.ticker,
        model: p.model,
        error: (error as Error).message,
      });
      return undefined;
    }
  };
}

/** Every forecaster's answer for every market at one horizon. */
async function horizonQuestions(
  deps: RunDeps & { retrieval: RetrievalDeps },
  predictors: Predictor[],
  options: { markets: EvalMarket[]; horizonMs: number; k: number; signal?: AbortSignal },
): Promise<Question[]> {
  const answer = answerer(deps, predictors, options.signal);
  const questions: Question[] = [];
  for (const m of options.markets) {
    options.signal?.throwIfAborted();
    const asOf = new Date(m.end.getTime() - options.horizonMs);
    const context = await retrieveContext(deps.retrieval, m.ticker, asOf, { k: options.k });
    const forecasts: Question["forecasts"] = {
      [MARKET_PRICE]: context.marketPrice?.dollars,
      [ALWAYS_HALF]: "0.5",
    };
    for (let i = 0; i < predictors.length; i++) {
      forecasts[predictors[i].model] = await answer(i, context);
    }
    questions.push({ id: m.ticker, outcome: m.outcome, forecasts });
  }
  return questions;
}

/** Runs the evaluation. */
export async function evaluate(deps: RunDeps, options: EvalOptions): Promise<EvalReport> {
  const prepared = await prepareSearch(deps.db, deps.embedder, options);
  const predictors = deps.predictors(prepared.search);
  const hours = options.horizonsHours;
  const fitBefore = options.fitBefore ?? await medianResolution(deps.sql);
  const markets = await evaluationMarkets(deps.sql, {
    fitBefore,
    longestMs: Math.max(...hours) * 3_600_000,
    limit: options.limit ?? 1000,
  });
  for (const p of predictors) await p.prepare?.(fitBefore, { signal: options.signal });
  await deps.documents?.prepare(deps.embedder, { signal: options.signal });
  const retrieval = { ...deps, search: prepared.search };
  const perHorizon: Question[][] = [];
  for (const h of hours) {
    perHorizon.push(
      await horizonQuestions({ ...deps, retrieval }, predictors, {
        markets,
        horizonMs: h * 3_600_000,
        k: options.k,
        signal: options.signal,
      }),
    );
  }
  const names = [...predictors.map((p) => p.model), MARKET_PRICE, ALWAYS_HALF];
  const unanswered: Unanswered[] = [];
  perHorizon.forEach((questions, h) =>
    questions.forEach((q, i) => {
      const missing = names.filter((f) => q.forecasts[f] === undefined);
      if (missing.length === 0) return;
      const asOf = new Date(markets[i].end.getTime() - hours[h] * 3_600_000).toISOString();
      unanswered.push({ ticker: q.id, horizonHours: hours[h], asOf, missing });
    })
  );
  const left = new Set(unanswered.map((u) => u.ticker));
  const bootstrap = options.bootstrap ?? DEFAULT_BOOTSTRAP;
  const provider = new Map(predictors.map((p) => [p.model, p.provider]));
  const horizons = perHorizon.map((questions, h): HorizonReport => {
    const common = questions.filter((q) => !left.has(q.id));
    const compared = compareForecasters(common, {
      forecasters: names,
      reference: MARKET_PRICE,
      ...bootstrap,
    });
    const lines = compared.lines.map((l): ForecasterLine => ({
      ...l,
      kind: provider.has(l.forecaster) ? "predictor" : "baseline",
      provider: provider.get(l.forecaster) ?? l.forecaster,
      unanswered: unanswered.filter((u) =>
        u.horizonHours === hours[h] && u.missing.includes(l.forecaster)
      ).length,
    }));
    return { horizonHours: hours[h], n: compared.n, lines };
  });
  return {
    fitBefore: fitBefore.toISOString(),
    markets: markets.length,
    scored: markets.length - left.size,
    backend: prepared.search.backend,
    bootstrap,
    horizons,
    unanswered,
  };
}

const num = (v: number | null, digits = 4) => (v === null ? "-" : v.toFixed(digits));
const ci = (v: Interval) => (v === null ? "" : `[${num(v[0])}, ${num(v[1])}]`);
/** A horizon as a label: minutes below an hour, days from 48 h when whole, hours otherwise. */
export function horizonLabel(hours: number): string {
  if (!Number.isInteger(hours)) return `${Math.round(hours * 60)}m`;
  return hours % 24 === 0 && hours >= 48 ? `${hours / 24}d` : `${hours}h`;
}

/** Most unanswered markets listed in the text report (the JSON lists all). */
const LISTED = 50;

function horizonTable(h: HorizonReport): string[] {
  const head = `${"forecaster".padEnd(30)} ${"n".padStart(5)} ${"brier".padStart(7)} ` +
    `${"[95% interval]".padEnd(18)} ${"log_loss".padStart(8)} ${"[95% interval]".padEnd(18)} ` +
    `${"ece".padStart(6)}  brier - market price [95%]`;
  const row = (l: ForecasterLine) =>
    `${l.forecaster.padEnd(30)} ${String(l.n).padStart(5)} ${num(l.brier).padStart(7)} ` +
    `${ci(l.brierCi).padEnd(18)} ${num(l.logLoss).padStart(8)} ${ci(l.logLossCi).padEnd(18)} ` +
    `${num(l.ece).padStart(6)}  ${
      l.vsReference ? `${num(l.vsReference.brier)} ${ci(l.vsReference.brierCi)}` : "(reference)"
    }`;
  return [
    "",
    `Horizon ${horizonLabel(h.horizonHours)} before close: ${h.n} markets on every line`,
    head,
    ...h.lines.map(row),
  ];
}

function calibrationTables(report: EvalReport): string[] {
  const out: string[] = [];
  for (const h of report.horizons) {
    for (const l of h.lines.filter((l) => l.kind === "predictor")) {
      out.push(
        "",
        `Calibration of ${l.forecaster} at ${horizonLabel(h.horizonHours)} ` +
          "(bin, n, mean forecast, observed yes rate):",
      );
      for (const b of l.calibration) {
        out.push(
          `  ${b.lower.toFixed(1)}-${b.upper.toFixed(1)} ${String(b.count).padStart(6)} ${
            num(b.meanProbability, 3).padStart(7)
          } ${num(b.observedRate, 3).padStart(7)}`,
        );
      }
    }
  }
  return out;
}

/** The report as text: one table per horizon, the unanswered markets, calibration tables. */
export function formatReport(report: EvalReport): string {
  const out = [
    `Evaluation: ${report.markets} settled markets, ${report.scored} answered by every ` +
    `forecaster at every horizon; parameters fitted on outcomes before ${report.fitBefore}; ` +
    `search: ${report.backend}; 95% intervals: bootstrap over markets ` +
    `(${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed})`,
    ...report.horizons.flatMap(horizonTable),
  ];
  if (report.unanswered.length) {
    out.push("", `Left out: ${report.unanswered.length} (market, horizon) without every answer:`);
    for (const u of report.unanswered.slice(0, LISTED)) {
      out.push(
        `  ${u.ticker} at ${horizonLabel(u.horizonHours)} (as of ${u.asOf}): no answer from ` +
          u.missing.join(", "),
      );
    }
    if (report.unanswered.length > LISTED) {
      out.push(`  ... and ${report.unanswered.length - LISTED} more (--json lists all)`);
    }
  }
  return [...out, ...calibrationTables(report)].join("\n");
}
