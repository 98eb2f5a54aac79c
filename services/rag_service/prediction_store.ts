/**
 * Writes predictions with provenance, idempotently: the key is (market, model, as_of), stored as
 * `predicted_at`; a re-run inserts nothing new. Scores resolved predictions with the shared
 * scoring module.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import { brierScore, logLoss, marketOutcome } from "@kalshi-data/lib/predictions";
import type { Prediction } from "./predictor.ts";
import type { RetrievalContext } from "./retrieval.ts";

/** Formats a probability for the numeric column (4 decimals, within [0, 1]). */
export function probabilityText(p: number): string {
  return Math.min(1, Math.max(0, p)).toFixed(4);
}

/** Whether a prediction exists for (ticker, model, asOf). */
export async function predictionExists(
  sql: Sql,
  key: { ticker: string; model: string; asOf: Date },
): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM predictions
    WHERE market_ticker = ${key.ticker} AND model = ${key.model} AND predicted_at = ${key.asOf}`;
  return rows.length > 0;
}

/** Inserts one prediction; returns false when it already existed. */
export async function writePrediction(
  sql: Sql,
  context: RetrievalContext,
  predictor: { model: string; provider: string },
  prediction: Prediction,
): Promise<boolean> {
  const inputs = {
    as_of: context.asOf.toISOString(),
    market_price_at: context.marketPrice?.at.toISOString() ?? null,
    market_price_source: context.marketPrice?.source ?? null,
    neighbors: context.neighbors.map((n) => ({
      ticker: n.ticker,
      similarity: Number(n.similarity.toFixed(6)),
      outcome: n.outcome,
    })),
    candles: context.candles.length,
    lifecycle: context.lifecycle.length,
    ...prediction.details,
  };
  const rows = await sql`
    INSERT INTO predictions (market_ticker, model, provider, predicted_at, probability, market_price,
                             rationale, inputs, prompt_sha256, retrieved_documents)
    VALUES (${context.target.ticker}, ${predictor.model}, ${predictor.provider}, ${context.asOf},
            ${probabilityText(prediction.probability)}, ${context.marketPrice?.dollars ?? null},
            ${prediction.rationale}, ${sql.json(JSON.parse(JSON.stringify(inputs)))},
            ${prediction.promptSha256}, ${context.neighbors.map((n) => n.ticker)}::text[])
    ON CONFLICT (market_ticker, model, predicted_at) DO NOTHING
    RETURNING id`;
  return rows.length > 0;
}

/** Fills outcome, Brier and log score of predictions whose market has resolved; returns how many. */
export async function scoreResolved(sql: Sql, options: { limit?: number } = {}): Promise<number> {
  const rows = await sql<
    { id: string; probability: string; result: string; value: string | null }[]
  >`
    SELECT p.id::text, p.probability::text, m.result, m.settlement_value::text AS value
    FROM predictions p JOIN markets m ON m.ticker = p.market_ticker
    WHERE p.scored_at IS NULL AND m.result IN ('yes', 'no', 'scalar')
    ORDER BY p.id LIMIT ${options.limit ?? 10_000}`;
  let scored = 0;
  for (const r of rows) {
    const outcome = marketOutcome(r.result, r.value);
    if (outcome === undefined) continue;
    const forecast = [{ probability: r.probability, outcome }];
    await sql`UPDATE predictions SET outcome = ${outcome},
      brier_score = ${brierScore(forecast)!.toFixed(10)},
      log_score = ${logLoss(forecast)!.toFixed(10)}, scored_at = now()
      WHERE id = ${r.id}`;
    scored++;
  }
  return scored;
}
