/**
 * Scores probability forecasts against outcomes: Brier score, log loss and calibration bins.
 * Shared by the predictions service's evaluation and the portal, so both report the same numbers.
 *
 * Inputs are exact: probabilities and outcomes are decimal strings as PostgreSQL `numeric`
 * returns them (or finite numbers), in [0, 1]. An outcome is 1 (yes), 0 (no) or, for scalar
 * markets, the fair value of a yes contract. Brier sums and bin assignment use integer arithmetic
 * (18 decimal places), so a forecast of exactly 0.7 always lands in the 0.7–0.8 bin; the results
 * are plain numbers because scores are statistics, not money.
 * @module
 */

/** One forecast and what happened. */
export interface Forecast {
  /** Forecast probability of "yes", a decimal string like `"0.7200"` (or a finite number). */
  probability: string | number;
  /** 1 yes, 0 no, or the fair value of a yes contract in [0, 1]. */
  outcome: string | number;
}

/** One calibration bin: forecasts whose probability fell in [lower, upper) (the last is closed). */
export interface CalibrationBin {
  /** Bin number, 0-based. */
  index: number;
  /** Lower edge. */
  lower: number;
  /** Upper edge. */
  upper: number;
  /** Forecasts in the bin. */
  count: number;
  /** Mean forecast probability in the bin; null when empty. */
  meanProbability: number | null;
  /** Mean outcome in the bin (observed frequency of yes); null when empty. */
  observedRate: number | null;
}

/** Everything {@linkcode scoreForecasts} computes; scores are null when there is no forecast. */
export interface ForecastScores {
  /** Forecasts scored. */
  count: number;
  /** Mean squared error of the probabilities (0 perfect, 0.25 a constant 0.5 on binary outcomes). */
  brier: number | null;
  /** Mean negative natural-log likelihood, probabilities clamped to [epsilon, 1 - epsilon]. */
  logLoss: number | null;
  /** Mean outcome. */
  baseRate: number | null;
  /** Calibration bins. */
  calibration: CalibrationBin[];
}

/** A probability or outcome that is not a decimal number in [0, 1]. */
export class ForecastInputError extends Error {
  /** Which field was wrong ("probability" or "outcome"). */
  readonly field: string;
  /** The value received. */
  readonly received: string;
  /** Creates the error. */
  constructor(field: string, received: string) {
    super(`${field} must be a decimal number from 0 to 1, got ${JSON.stringify(received)}`);
    this.name = "ForecastInputError";
    this.field = field;
    this.received = received;
  }
}

const DIGITS = 18;
const SCALE = 10n ** BigInt(DIGITS);
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Parses a decimal in [0, 1] into an integer of 10^-18 units (digits beyond 18 are truncated). */
function toUnits(value: string | number, field: string): bigint {
  const text = typeof value === "number"
    ? (Number.isFinite(value) ? numberText(value) : String(value))
    : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new ForecastInputError(field, text);
  const fraction = (match[2] ?? "").slice(0, DIGITS).padEnd(DIGITS, "0");
  const units = BigInt(match[1]) * SCALE + BigInt(fraction);
  if (units > SCALE) throw new ForecastInputError(field, text);
  return units;
}

function numberText(value: number): string {
  // Avoid exponent notation (1e-7) so the decimal pattern applies.
  return value.toFixed(DIGITS).replace(/0+$/, "").replace(/\.$/, "");
}

function ratio(numerator: bigint, denominator: bigint): number {
  // Exact quotient to 24 decimal places, then one correctly rounded conversion to a float.
  const whole = numerator / denominator;
  const fraction = ((numerator % denominator) * 10n ** 24n) / denominator;
  return Number(`${whole}.${fraction.toString().padStart(24, "0")}`);
}

/** Mean Brier score of `forecasts`; null when the list is empty. */
export function brierScore(forecasts: readonly Forecast[]): number | null {
  if (forecasts.length === 0) return null;
  let sum = 0n;
  for (const f of forecasts) {
    const d = toUnits(f.probability, "probability") - toUnits(f.outcome, "outcome");
    sum += d * d;
  }
  return ratio(sum, SCALE * SCALE * BigInt(forecasts.length));
}

/** Options of {@linkcode logLoss}. */
export interface LogLossOptions {
  /** Probabilities are clamped to [epsilon, 1 - epsilon] so a confident miss stays finite; default 1e-15. */
  epsilon?: number;
}

/** Mean log loss (natural log) of `forecasts`; null when the list is empty. */
export function logLoss(
  forecasts: readonly Forecast[],
  options: LogLossOptions = {},
): number | null {
  if (forecasts.length === 0) return null;
  const epsilon = options.epsilon ?? 1e-15;
  let sum = 0;
  for (const f of forecasts) {
    const p = Number(toUnits(f.probability, "probability")) / Number(SCALE);
    const o = Number(toUnits(f.outcome, "outcome")) / Number(SCALE);
    const clamped = Math.min(1 - epsilon, Math.max(epsilon, p));
    sum -= o * Math.log(clamped) + (1 - o) * Math.log(1 - clamped);
  }
  return sum / forecasts.length;
}

/** Options of {@linkcode calibrationBins}. */
export interface CalibrationOptions {
  /** Number of equal-width bins over [0, 1]; default 10. */
  bins?: number;
}

/** Groups forecasts into equal-width probability bins with their mean forecast and outcome. */
export function calibrationBins(
  forecasts: readonly Forecast[],
  options: CalibrationOptions = {},
): CalibrationBin[] {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000) {
    throw new RangeError(`bins must be an integer from 1 to 1000, got ${bins}`);
  }
  const sums = Array.from({ length: bins }, () => ({ count: 0, p: 0n, o: 0n }));
  for (const f of forecasts) {
    const p = toUnits(f.probability, "probability");
    const o = toUnits(f.outcome, "outcome");
    const index = Number((p * BigInt(bins)) / SCALE);
    const bin = sums[Math.min(bins - 1, index)];
    bin.count++;
    bin.p += p;
    bin.o += o;
  }
  return sums.map((s, index) => ({
    index,
    lower: index / bins,
    upper: (index + 1) / bins,
    count: s.count,
    meanProbability: s.count ? ratio(s.p, SCALE * BigInt(s.count)) : null,
    observedRate: s.count ? ratio(s.o, SCALE * BigInt(s.count)) : null,
  }));
}

/** Brier score, log loss, base rate and calibration bins of `forecasts` in one pass. */
export function scoreForecasts(
  forecasts: readonly Forecast[],
  options: CalibrationOptions & LogLossOptions = {},
): ForecastScores {
  let outcomes = 0n;
  for (const f of forecasts) outcomes += toUnits(f.outcome, "outcome");
  return {
    count: forecasts.length,
    brier: brierScore(forecasts),
    logLoss: logLoss(forecasts, options),
    baseRate: forecasts.length ? ratio(outcomes, SCALE * BigInt(forecasts.length)) : null,
    calibration: calibrationBins(forecasts, options),
  };
}

/**
 * The outcome of a settled market as a decimal string: "1" for result yes, "0" for no, the
 * settlement value (dollars per yes contract) for scalar markets; undefined while unsettled.
 */
export function marketOutcome(
  result: string | null | undefined,
  settlementValue?: string | null,
): string | undefined {
  if (result === "yes") return "1";
  if (result === "no") return "0";
  if (result === "scalar" && settlementValue != null && DECIMAL.test(settlementValue)) {
    return toUnits(settlementValue, "settlement value") <= SCALE ? settlementValue : undefined;
  }
  return undefined;
}

/**
 * Expected calibration error: the count-weighted mean of |mean forecast − observed rate| over the
 * calibration bins (default 10 equal-width bins); null when there is no forecast.
 */
export function expectedCalibrationError(
  forecasts: readonly Forecast[],
  options: CalibrationOptions = {},
): number | null {
  return calibrationErrorOfBins(calibrationBins(forecasts, options));
}

/** Expected calibration error of already computed bins; null when they hold no forecast. */
export function calibrationErrorOfBins(bins: readonly CalibrationBin[]): number | null {
  let total = 0;
  let sum = 0;
  for (const b of bins) {
    if (b.count === 0 || b.meanProbability === null || b.observedRate === null) continue;
    total += b.count;
    sum += b.count * Math.abs(b.meanProbability - b.observedRate);
  }
  return total === 0 ? null : sum / total;
}
