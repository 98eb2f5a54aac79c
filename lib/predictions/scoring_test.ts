import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import {
  brierScore,
  calibrationBins,
  ForecastInputError,
  logLoss,
  marketOutcome,
  scoreForecasts,
} from "./scoring.ts";

Deno.test("brierScore of perfect forecasts is zero", () => {
  assertEquals(
    brierScore([{ probability: "1", outcome: "1" }, { probability: "0", outcome: 0 }]),
    0,
  );
});

Deno.test("brierScore of a constant one half on binary outcomes is one quarter", () => {
  const forecasts = [{ probability: "0.5", outcome: "1" }, { probability: "0.5000", outcome: "0" }];
  assertEquals(brierScore(forecasts), 0.25);
});

Deno.test("brierScore is exact on decimals that binary floats cannot represent", () => {
  // (0.7 - 1)^2 = 0.09 and (0.1 - 0)^2 = 0.01: mean 0.05 exactly (floats give 0.04999...).
  const forecasts = [{ probability: "0.7", outcome: "1" }, { probability: "0.1", outcome: "0" }];
  assertEquals(brierScore(forecasts), 0.05);
});

Deno.test("brierScore of no forecasts is null", () => {
  assertEquals(brierScore([]), null);
});

Deno.test("logLoss matches the natural-log formula and stays finite on confident misses", () => {
  const value = logLoss([{ probability: "0.8", outcome: "1" }, {
    probability: "0.4",
    outcome: "0",
  }]);
  const expected = -(Math.log(0.8) + Math.log(0.6)) / 2;
  assertOk(Math.abs(value! - expected) < 1e-12, `${value} vs ${expected}`);
  const miss = logLoss([{ probability: "0", outcome: "1" }]);
  assertOk(Number.isFinite(miss) && miss! > 30, `confident miss gives ${miss}`);
});

Deno.test("calibrationBins puts edge probabilities in the right bin and closes the last bin", () => {
  const bins = calibrationBins([
    { probability: "0.7", outcome: "1" },
    { probability: "0.7999", outcome: "0" },
    { probability: "1", outcome: "1" },
    { probability: "0", outcome: "0" },
  ], { bins: 10 });
  assertEquals(bins.length, 10);
  assertEquals(bins[7].count, 2);
  assertEquals(bins[7].observedRate, 0.5);
  assertEquals(bins[7].meanProbability, 0.74995);
  assertEquals(bins[9].count, 1);
  assertEquals(bins[0].count, 1);
  assertEquals(bins[3], {
    index: 3,
    lower: 0.3,
    upper: 0.4,
    count: 0,
    meanProbability: null,
    observedRate: null,
  });
});

Deno.test("scoreForecasts reports count, scores and base rate together", () => {
  const scores = scoreForecasts([
    { probability: "0.9", outcome: "1" },
    { probability: "0.2", outcome: "0" },
    { probability: "0.6", outcome: "1" },
    { probability: 0.3, outcome: 0 },
  ], { bins: 5 });
  assertEquals(scores.count, 4);
  assertEquals(scores.brier, 0.075); // (0.01 + 0.04 + 0.16 + 0.09) / 4
  assertEquals(scores.baseRate, 0.5);
  assertEquals(scores.calibration.map((b) => b.count), [0, 2, 0, 1, 1]);
});

Deno.test("scalar outcomes between zero and one are scored as fair values", () => {
  assertEquals(brierScore([{ probability: "0.5", outcome: "0.25" }]), 0.0625);
});

Deno.test("probabilities outside [0, 1] or not decimal are rejected with the field named", () => {
  const error = assertThrows(
    () => brierScore([{ probability: "1.5", outcome: "1" }]),
    ForecastInputError,
  );
  assertEquals(error.field, "probability");
  assertThrows(() => brierScore([{ probability: "0.5", outcome: "-1" }]), ForecastInputError);
  assertThrows(() => brierScore([{ probability: "NaN", outcome: "1" }]), ForecastInputError);
  assertThrows(() => brierScore([{ probability: Number.NaN, outcome: 1 }]), ForecastInputError);
  assertThrows(() => calibrationBins([], { bins: 0 }), RangeError);
});

Deno.test("marketOutcome maps yes, no and scalar settlements and leaves open markets undefined", () => {
  assertEquals(marketOutcome("yes"), "1");
  assertEquals(marketOutcome("no", "0"), "0");
  assertEquals(marketOutcome("scalar", "0.3700"), "0.3700");
  assertEquals(marketOutcome("", null), undefined);
  assertEquals(marketOutcome(null), undefined);
  assertEquals(marketOutcome("scalar", "abc"), undefined);
});

Deno.test("expectedCalibrationError weights each bin's gap by its share of forecasts", async () => {
  const { expectedCalibrationError, calibrationErrorOfBins } = await import("./scoring.ts");
  // Bin 0.2-0.3: p 0.2 twice, one yes (gap 0.3); bin 0.9-1.0: p 0.9 twice, both yes (gap 0.1).
  const forecasts = [
    { probability: "0.2", outcome: "1" },
    { probability: "0.2", outcome: "0" },
    { probability: "0.9", outcome: "1" },
    { probability: "0.9", outcome: "1" },
  ];
  const ece = expectedCalibrationError(forecasts)!;
  assertOk(Math.abs(ece - 0.2) < 1e-12, `ece ${ece}`);
  assertEquals(expectedCalibrationError([]), null);
  assertEquals(
    calibrationErrorOfBins(calibrationBins([{ probability: "0.5", outcome: "0.5" }])),
    0,
  );
});
