/** Prediction scoring shared by the predictions service and the portal. @module */

export {
  type BootstrapOptions,
  type ComparedLine,
  compareForecasters,
  type Comparison,
  DEFAULT_BOOTSTRAP,
  type Interval,
  type PairedDifference,
  type Question,
} from "./comparison.ts";
export {
  brierScore,
  type CalibrationBin,
  type ForecastScores,
  logLoss,
  marketOutcome,
} from "./scoring.ts";
export { type CompareOptions } from "./comparison.ts";
export { type Forecast } from "./scoring.ts";
export { type LogLossOptions } from "./scoring.ts";
