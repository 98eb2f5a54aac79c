/** The predictions page compares the model and the market price on the same predictions. */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { brierScore } from "@kalshi-data/lib/predictions";
import { createPortalFixture } from "./testing/portal.ts";

Deno.test("predictions page: model and market price on the same predictions, intervals, unpriced listed", async () => {
  const f = await createPortalFixture({ seed: false });
  try {
    const at = new Date("2026-03-01T00:00:00Z");
    // 40 resolved with a price (model sharper than the price), 3 resolved without one.
    const rows = Array.from({ length: 43 }, (_, i) => {
      const yes = i % 2 === 0;
      return {
        market_ticker: `KXTEST-${String(i).padStart(2, "0")}`,
        model: "mine-v1",
        predicted_at: at,
        probability: yes
          ? (i % 4 === 0 ? "0.9000" : "0.7000")
          : (i % 3 === 0 ? "0.1000" : "0.3000"),
        market_price: i >= 40 ? null : yes ? "0.6000" : "0.4000",
        outcome: yes ? "1" : "0",
        rationale: "test",
      };
    });
    await f.db.sql`INSERT INTO predictions ${f.db.sql(rows)}`;
    const res = await f.app.request("/api/predictions");
    assertEquals(res.status, 200);
    const { scores } = await res.json();
    assertEquals([scores.resolved, scores.unpricedTotal], [43, 3]);
    assertEquals(scores.comparison.n, 40);
    assertEquals(
      scores.comparison.lines.map((l: { forecaster: string; n: number }) => [l.forecaster, l.n]),
      [["model", 40], ["market price", 40]],
    );
    assertEquals(scores.model.count, 40);
    assertEquals(scores.marketPrice.count, 40);
    assertEquals(scores.marketPrice.brier, brierScore([{ probability: "0.6", outcome: "1" }]));
    assertEquals(
      scores.unpriced.map((u: { market_ticker: string }) => u.market_ticker),
      ["KXTEST-42", "KXTEST-41", "KXTEST-40"],
    );
    const [model] = scores.comparison.lines;
    assertOk(model.brierCi[0] <= model.brier && model.brier <= model.brierCi[1]);
    assertOk(model.vsReference.brierCi[1] < 0, `${model.vsReference.brierCi}`);

    const page = await (await f.app.request("/predictions")).text();
    const shown = String(Number(scores.model.brier.toFixed(4)));
    assertOk(page.includes(`data-testid="brier">${shown}<`), "model Brier on the 40");
    assertOk(page.includes("on the same 40 predictions"));
    assertOk(page.includes("the model did better than the market price"));
    assertOk(page.includes("Not scored: 3 resolved without a market price"));
    assertOk(page.includes('href="/markets/KXTEST-41"'));
  } finally {
    await f.close();
  }
});
