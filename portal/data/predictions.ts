/**
 * Predictions beside market prices and outcomes, and their scores computed with the shared
 * scoring module (lib/predictions), so the portal and the predictions service agree.
 * @module
 */
import type { Sql } from "../../lib/db/pool.ts";
import { type ForecastScores, marketOutcome, scoreForecasts } from "../../lib/predictions/mod.ts";
import type { Decimal } from "./types.ts";

/** Most resolved predictions scored per request. */
export const SCORED_LIMIT = 50_000;

/** A prediction with its market's state. */
export interface PredictionRow {
  id: string;
  market_ticker: string;
  model: string;
  predicted_at: Date;
  probability: string;
  market_price: Decimal;
  outcome: Decimal;
  brier_score: Decimal;
  title: string | null;
  status: string | null;
  result: string | null;
  last_price: Decimal;
  settlement_value: Decimal;
}

/** Filters of {@linkcode loadPredictions}. */
export interface PredictionQuery {
  model?: string;
  market?: string;
  /** Keyset cursor: the last id of the previous page (newest first). */
  before?: string;
  limit: number;
}

/** The predictions page's data. */
export interface PredictionsPage {
  models: { model: string; predictions: number; resolved: number }[];
  items: PredictionRow[];
  next: string | null;
  /** Scores of the model's resolved predictions, and of the market price as a baseline forecast. */
  scores: { model: ForecastScores; marketPrice: ForecastScores; resolved: number } | null;
}

/** Loads a page of predictions (newest first) and the scores of the selection. */
export async function loadPredictions(sql: Sql, query: PredictionQuery): Promise<PredictionsPage> {
  const filters = [
    query.model ? sql`p.model = ${query.model}` : undefined,
    query.market ? sql`p.market_ticker = ${query.market}` : undefined,
  ].filter((f) => f !== undefined);
  const where = (extra: ReturnType<Sql> | undefined) => {
    const all = extra ? [...filters, extra] : filters;
    return all.length ? sql`WHERE ${all.reduce((a, b) => sql`${a} AND ${b}`)}` : sql``;
  };
  const [models, rows, resolved] = await Promise.all([
    sql<{ model: string; predictions: number; resolved: number }[]>`
      SELECT p.model, count(*)::int AS predictions,
             count(*) FILTER (WHERE p.outcome IS NOT NULL OR m.result IN ('yes', 'no'))::int
               AS resolved
      FROM predictions p LEFT JOIN markets m ON m.ticker = p.market_ticker
      GROUP BY p.model ORDER BY p.model`,
    sql<PredictionRow[]>`
      SELECT p.id::text, p.market_ticker, p.model, p.predicted_at, p.probability, p.market_price,
             p.outcome, p.brier_score, m.title, m.status, m.result, m.last_price,
             m.settlement_value
      FROM predictions p LEFT JOIN markets m ON m.ticker = p.market_ticker
      ${where(query.before ? sql`p.id < ${query.before}` : undefined)}
      ORDER BY p.id DESC LIMIT ${query.limit + 1}`,
    sql<
      {
        probability: string;
        market_price: Decimal;
        outcome: Decimal;
        result: string | null;
        settlement_value: Decimal;
      }[]
    >`
      SELECT p.probability, p.market_price, p.outcome, m.result, m.settlement_value
      FROM predictions p LEFT JOIN markets m ON m.ticker = p.market_ticker
      ${where(sql`(p.outcome IS NOT NULL OR m.result IN ('yes', 'no', 'scalar'))`)}
      ORDER BY p.id DESC LIMIT ${SCORED_LIMIT}`,
  ]);
  const items = rows.slice(0, query.limit);
  const forecasts = [];
  const baseline = [];
  for (const r of resolved) {
    const outcome = r.outcome ?? marketOutcome(r.result, r.settlement_value);
    if (outcome === undefined) continue;
    forecasts.push({ probability: r.probability, outcome });
    if (r.market_price !== null) baseline.push({ probability: r.market_price, outcome });
  }
  return {
    models,
    items,
    next: rows.length > query.limit ? items[items.length - 1].id : null,
    scores: forecasts.length
      ? {
        model: scoreForecasts(forecasts),
        marketPrice: scoreForecasts(baseline),
        resolved: forecasts.length,
      }
      : null,
  };
}
