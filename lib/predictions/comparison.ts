/**
 * Compares forecasters on the same questions, with error bars. Only questions every forecaster
 * answered are scored (the others are listed, never silently dropped), so each line has the same
 * `n`; each score gets a 95% percentile-bootstrap interval over questions, and each forecaster's
 * paired difference to a reference (the market price) is computed on the same resamples, so
 * "better" is a claim with an interval. The resampling is seeded: same input, same intervals.
 * @module
 */
import {
  type CalibrationBin,
  calibrationErrorOfBins,
  type Forecast,
  scoreForecasts,
} from "./scoring.ts";

/** One question (a market at one as-of time) and each forecaster's answer, if it gave one. */
export interface Question {
  /** Names the question in the list of unanswered ones, e.g. `TICKER@2026-01-02T00:00:00Z`. */
  id: string;
  /** 1 yes, 0 no, or a scalar's fair value (decimal string or number in [0, 1]). */
  outcome: string | number;
  /** Forecaster name → probability; a missing entry means the forecaster could not answer. */
  forecasts: Record<string, string | number | undefined>;
}

/**
 * A 95% interval `[low, high]`; null when fewer than 2 questions were scored (resampling one
 * question gives a zero-width interval, a certainty the data cannot give).
 */
export type Interval = [number, number] | null;

/** A forecaster minus the reference on the same questions and resamples (negative: better). */
export interface PairedDifference {
  /** The reference forecaster. */
  reference: string;
  /** Brier score difference (null without common questions). */
  brier: number | null;
  /** Bootstrap confidence interval of the Brier difference. */
  brierCi: Interval;
  /** Log-loss difference (null without common questions). */
  logLoss: number | null;
  /** Bootstrap confidence interval of the log-loss difference. */
  logLossCi: Interval;
}

/** One forecaster's scores on the common questions. */
export interface ComparedLine {
  /** The forecaster's name. */
  forecaster: string;
  /** Questions scored. */
  n: number;
  /** Mean Brier score (null when n is 0). */
  brier: number | null;
  /** Bootstrap confidence interval of the Brier score. */
  brierCi: Interval;
  /** Mean log loss (null when n is 0). */
  logLoss: number | null;
  /** Bootstrap confidence interval of the log loss. */
  logLossCi: Interval;
  /** Expected calibration error (null when n is 0). */
  ece: number | null;
  /** Calibration bins of its probabilities. */
  calibration: CalibrationBin[];
  /** Mean outcome of the common questions. */
  baseRate: number | null;
  /** Null for the reference itself, or without a reference. */
  vsReference: PairedDifference | null;
  /** Questions this forecaster did not answer (also listed in {@linkcode Comparison.unanswered}). */
  unanswered: number;
}

/** Every forecaster on the same questions. */
export interface Comparison {
  /** Questions scored on every line. */
  n: number;
  /** One line per forecaster. */
  lines: ComparedLine[];
  /** Questions left out, with the forecasters that gave no answer. */
  unanswered: { id: string; missing: string[] }[];
}

/** Bootstrap settings: the PRNG seed and how many resamples. */
export interface BootstrapOptions {
  /** Seed of the bootstrap's PRNG (same seed, same intervals). */
  seed: number;
  /** Number of bootstrap resamples. */
  resamples: number;
}

/** Defaults used where no setting is given (the portal). */
export const DEFAULT_BOOTSTRAP: BootstrapOptions = { seed: 1, resamples: 1000 };

/** Options of {@linkcode compareForecasters}. */
export interface CompareOptions extends Partial<BootstrapOptions> {
  /** The forecasters, in report order. */
  forecasters: readonly string[];
  /** Forecaster every other one is paired with (e.g. `market price`). */
  reference?: string;
}

/** mulberry32: a small seeded PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EPSILON = 1e-15;

function brierOf(f: Forecast): number {
  const d = Number(f.probability) - Number(f.outcome);
  return d * d;
}

/** As scoring.ts's `logLoss`, with its default clamp. */
function logLossOf(f: Forecast): number {
  const p = Math.min(1 - EPSILON, Math.max(EPSILON, Number(f.probability)));
  const o = Number(f.outcome);
  return -(o * Math.log(p) + (1 - o) * Math.log(1 - p));
}

function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/**
 * 95% percentile intervals of the means of each row of `losses` (rows: series, columns:
 * questions) over the same seeded resamples of the questions.
 */
function bootstrapMeans(losses: Float64Array[], options: BootstrapOptions): Interval[] {
  const n = losses[0]?.length ?? 0;
  if (n < 2) return losses.map(() => null);
  const random = seededRandom(options.seed);
  const means = losses.map(() => new Float64Array(options.resamples));
  const picks = new Uint32Array(n);
  for (let b = 0; b < options.resamples; b++) {
    for (let i = 0; i < n; i++) picks[i] = Math.floor(random() * n);
    losses.forEach((row, s) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += row[picks[i]];
      means[s][b] = sum / n;
    });
  }
  return means.map((m) => {
    m.sort();
    return [quantile(m, 0.025), quantile(m, 0.975)];
  });
}

/** Scores every forecaster on the questions all of them answered; see the module doc. */
export function compareForecasters(
  questions: readonly Question[],
  options: CompareOptions,
): Comparison {
  const boot = {
    seed: options.seed ?? DEFAULT_BOOTSTRAP.seed,
    resamples: options.resamples ?? DEFAULT_BOOTSTRAP.resamples,
  };
  if (!Number.isInteger(boot.resamples) || boot.resamples < 1) {
    throw new RangeError(`resamples must be a positive integer, got ${boot.resamples}`);
  }
  const names = options.forecasters;
  const common: Question[] = [];
  const unanswered: Comparison["unanswered"] = [];
  for (const q of questions) {
    const missing = names.filter((f) => q.forecasts[f] === undefined);
    if (missing.length) unanswered.push({ id: q.id, missing });
    else common.push(q);
  }
  const forecasts = names.map((f) =>
    common.map((q): Forecast => ({ probability: q.forecasts[f]!, outcome: q.outcome }))
  );
  // Per-question losses in floats, for resampling only: the reported scores stay exact
  // (scoreForecasts below validates every value and computes them in integers).
  const brier = forecasts.map((fs) => Float64Array.from(fs, brierOf));
  const log = forecasts.map((fs) => Float64Array.from(fs, logLossOf));
  const ref = options.reference === undefined ? -1 : names.indexOf(options.reference);
  const diff = (rows: Float64Array[]) => rows.map((row) => row.map((v, i) => v - rows[ref][i]));
  const series = [...brier, ...log, ...(ref >= 0 ? [...diff(brier), ...diff(log)] : [])];
  const intervals = bootstrapMeans(series, boot);
  const k = names.length;
  const mean = (row: Float64Array) =>
    row.length ? row.reduce((a, b) => a + b, 0) / row.length : null;
  const lines = names.map((forecaster, i): ComparedLine => {
    const scores = scoreForecasts(forecasts[i]);
    return {
      forecaster,
      n: common.length,
      brier: scores.brier,
      brierCi: intervals[i],
      logLoss: scores.logLoss,
      logLossCi: intervals[k + i],
      ece: calibrationErrorOfBins(scores.calibration),
      calibration: scores.calibration,
      baseRate: scores.baseRate,
      vsReference: ref < 0 || i === ref ? null : {
        reference: names[ref],
        brier: mean(series[2 * k + i]),
        brierCi: intervals[2 * k + i],
        logLoss: mean(series[3 * k + i]),
        logLossCi: intervals[3 * k + i],
      },
      unanswered: unanswered.filter((u) => u.missing.includes(forecaster)).length,
    };
  });
  return { n: common.length, lines, unanswered };
}
