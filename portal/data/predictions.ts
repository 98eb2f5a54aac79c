/**
 * Predictions beside market prices and outcomes, and their scores computed with the shared
 * scoring module (lib/predictions), so the portal and the predictions service agree. The model
 * and the market price at prediction time are scored on the same predictions (those with a
 * recorded price; the others are listed), with 95% bootstrap intervals and their paired
 * difference.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import {
  type ComparedLine,
  compareForecasters,
  type Comparison,
  type ForecastScores,
  marketOutcome,
  type Question,
} from "@kalshi-data/lib/predictions";
import type { Decimal } from "./types.ts";

/** Most resolved predictions scored per request. */
export const SCORED_LIMIT = 50_000;

/** The intervals' bootstrap: fixed seed (same page, same intervals), resamples bounded per request. */
export const PORTAL_BOOTSTRAP = { seed: 1, resamples: 400 };
/** Forecaster names in {@linkcode PredictionScores.comparison}. */
export const MODEL = "model";
/** The market price at prediction time as a forecast (the reference). */
export const MARKET_PRICE = "market price";
/** Most unpriced predictions listed. */
export const UNPRICED_LISTED = 100;

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

/** Scores of the selection's resolved predictions, model and market price on the same ones. */
export interface PredictionScores {
  /** The model on the predictions with a recorded price. */
  model: ForecastScores;
  /** The market price at prediction time on the same predictions. */
  marketPrice: ForecastScores;
  /** Resolved predictions (with or without a price). */
  resolved: number;
  /** Intervals and the paired difference model − market price (at most 100 unanswered listed). */
  comparison: Comparison;
  /** Resolved predictions without a recorded price, all of them. */
  unpricedTotal: number;
  /** Resolved predictions without a recorded price (not scored), newest first, at most 100. */
  unpriced: { id: string; market_ticker: string; predicted_at: Date }[];
}

/** The predictions page's data. */
export interface PredictionsPage {
  models: { model: string; predictions: number; resolved: number }[];
  items: PredictionRow[];
  next: string | null;
  /** Null when no prediction of the selection has resolved. */
  scores: PredictionScores | null;
}

/** A resolved prediction as the scores need it. */
interface ResolvedRow {
  id: string;
  market_ticker: string;
  predicted_at: Date;
  probability: string;
  market_price: Decimal;
  outcome: Decimal;
  result: string | null;
  settlement_value: Decimal;
}

function scoresOf(resolved: ResolvedRow[]): PredictionScores | null {
  const questions: Question[] = [];
  const rows = new Map<string, ResolvedRow>();
  for (const r of resolved) {
    const outcome = r.outcome ?? marketOutcome(r.result, r.settlement_value);
    if (outcome === undefined) continue;
    rows.set(r.id, r);
    const forecasts = { [MODEL]: r.probability, [MARKET_PRICE]: r.market_price ?? undefined };
    questions.push({ id: r.id, outcome, forecasts });
  }
  if (questions.length === 0) return null;
  const comparison = compareForecasters(questions, {
    forecasters: [MODEL, MARKET_PRICE],
    reference: MARKET_PRICE,
    ...PORTAL_BOOTSTRAP,
  });
  const scores = (l: ComparedLine): ForecastScores => ({
    count: l.n,
    brier: l.brier,
    logLoss: l.logLoss,
    baseRate: l.baseRate,
    calibration: l.calibration,
  });
  return {
    model: scores(comparison.lines[0]),
    marketPrice: scores(comparison.lines[1]),
    resolved: questions.length,
    // The full list stays bounded on the page and in the API: the first 100, and the count.
    comparison: { ...comparison, unanswered: comparison.unanswered.slice(0, UNPRICED_LISTED) },
    unpricedTotal: comparison.unanswered.length,
    unpriced: comparison.unanswered.slice(0, UNPRICED_LISTED).map((u) => {
      const r = rows.get(u.id)!;
      return { id: r.id, market_ticker: r.market_ticker, predicted_at: r.predicted_at };
    }),
  };
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
    sql<ResolvedRow[]>`
      SELECT p.id::text, p.market_ticker, p.predicted_at, p.probability, p.market_price,
             p.outcome, m.result, m.settlement_value
      FROM predictions p LEFT JOIN markets m ON m.ticker = p.market_ticker
      ${where(sql`(p.outcome IS NOT NULL OR m.result IN ('yes', 'no', 'scalar'))`)}
      ORDER BY p.id DESC LIMIT ${SCORED_LIMIT}`,
  ]);
  const items = rows.slice(0, query.limit);
  return {
    models,
    items,
    next: rows.length > query.limit ? items[items.length - 1].id : null,
    scores: scoresOf(resolved),
  };
}
