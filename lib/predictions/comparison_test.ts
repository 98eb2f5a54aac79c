import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import { compareForecasters, type Question, seededRandom } from "./comparison.ts";
import { brierScore } from "./scoring.ts";

Deno.test("every line scores the same questions and the unanswered ones are listed", () => {
  const questions: Question[] = [
    { id: "A", outcome: "1", forecasts: { model: "0.9", price: "0.8", half: "0.5" } },
    { id: "B", outcome: "0", forecasts: { model: "0.2", price: undefined, half: "0.5" } },
    { id: "C", outcome: "0", forecasts: { model: undefined, price: "0.3", half: "0.5" } },
    { id: "D", outcome: "1", forecasts: { model: "0.6", price: "0.7", half: "0.5" } },
  ];
  const c = compareForecasters(questions, {
    forecasters: ["model", "price", "half"],
    reference: "price",
    resamples: 200,
  });
  assertEquals(c.n, 2);
  assertEquals(c.lines.map((l) => l.n), [2, 2, 2]);
  assertEquals(c.unanswered, [{ id: "B", missing: ["price"] }, { id: "C", missing: ["model"] }]);
  assertEquals(c.lines.map((l) => l.unanswered), [1, 1, 0]);
  const model = c.lines[0];
  assertEquals(
    model.brier,
    brierScore([{ probability: "0.9", outcome: 1 }, { probability: "0.6", outcome: 1 }]),
  );
  assertEquals(c.lines[1].vsReference, null);
  const diff = model.vsReference!;
  assertEquals(diff.reference, "price");
  assertOk(Math.abs(diff.brier! - (model.brier! - c.lines[1].brier!)) < 1e-12);
  const [low, high] = model.brierCi!;
  assertOk(low <= model.brier! && model.brier! <= high, `${low} ${model.brier} ${high}`);
});

Deno.test("a perfect forecaster's paired interval against the constant 0.5 excludes zero", () => {
  const random = seededRandom(11);
  const questions: Question[] = Array.from({ length: 60 }, (_, i) => {
    const yes = random() < 0.5;
    return { id: `q${i}`, outcome: yes ? 1 : 0, forecasts: { perfect: yes ? 1 : 0, half: 0.5 } };
  });
  const c = compareForecasters(questions, {
    forecasters: ["perfect", "half"],
    reference: "half",
    seed: 3,
    resamples: 500,
  });
  const diff = c.lines[0].vsReference!;
  assertOk(diff.brierCi![1] < 0, `brier difference interval ${diff.brierCi}`);
  assertOk(diff.logLossCi![1] < 0, `log loss difference interval ${diff.logLossCi}`);
  assertEquals(c.lines[1].brierCi, [0.25, 0.25]);
});

Deno.test("two equally good noisy forecasters give a paired interval that contains zero", () => {
  // Same truth, independent noise of the same size: equal expected Brier score.
  const random = seededRandom(2026);
  const noisy = (q: number) => Math.min(1, Math.max(0, q + (random() - 0.5) * 0.4));
  const questions: Question[] = Array.from({ length: 300 }, (_, i) => {
    const q = random();
    const outcome = random() < q ? 1 : 0;
    return { id: `q${i}`, outcome, forecasts: { a: noisy(q), b: noisy(q) } };
  });
  const run = (seed: number) =>
    compareForecasters(questions, {
      forecasters: ["a", "b"],
      reference: "b",
      seed,
      resamples: 1000,
    });
  const diff = run(5).lines[0].vsReference!;
  assertOk(diff.brierCi![0] < 0 && diff.brierCi![1] > 0, `interval ${diff.brierCi}`);
  assertOk(diff.logLossCi![0] < 0 && diff.logLossCi![1] > 0, `interval ${diff.logLossCi}`);
  // Seeded: the same seed gives the same interval, another seed another one.
  assertEquals(run(5).lines[0].vsReference, diff);
  assertOk(run(6).lines[0].vsReference!.brierCi![0] !== diff.brierCi![0]);
});

Deno.test("no common question gives null scores and intervals, and bad resample counts are rejected", () => {
  const c = compareForecasters([{ id: "x", outcome: 1, forecasts: { a: 0.5 } }], {
    forecasters: ["a", "b"],
    reference: "b",
  });
  assertEquals([c.n, c.lines[0].brier, c.lines[0].brierCi], [0, null, null]);
  assertEquals(c.lines[0].vsReference?.brierCi, null);
  assertThrows(() => compareForecasters([], { forecasters: ["a"], resamples: 0 }), RangeError);
});

Deno.test("one common question gives scores but no interval (not a zero-width one)", () => {
  const c = compareForecasters([{ id: "x", outcome: 1, forecasts: { a: 1, b: 0.5 } }], {
    forecasters: ["a", "b"],
    reference: "b",
  });
  assertEquals([c.n, c.lines[0].brier, c.lines[0].brierCi, c.lines[0].logLossCi], [
    1,
    0,
    null,
    null,
  ]);
  assertEquals(c.lines[0].vsReference?.brier, -0.25);
  assertEquals([c.lines[0].vsReference?.brierCi, c.lines[0].vsReference?.logLossCi], [null, null]);
});
