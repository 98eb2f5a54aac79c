/**
 * An example of your own rag_service predictor: `RAG_PREDICTORS=offline,module:docs/examples/
 * rag_predictor.ts`. The service imports this file (with read access to it alone, so keep it
 * self-contained: no imports) and calls `predict` once per market and as-of time with the
 * retrieved context; the answer is validated (probability from 0 to 1, a rationale of at most
 * 2,000 characters) and stored in `predictions` under model `module:<path>`, then scored like the
 * built-in predictors. `http:URL` posts the same JSON to an endpoint and expects the same answer.
 * @module
 */

/** What `predict` receives: everything known at `asOf`, nothing later. */
export interface PredictorInput {
  /** The forecast time (ISO 8601). */
  asOf: string;
  /** The market: ticker, its document text (titles, rules, strike), schedule. */
  market: { ticker: string; text: string; openTime: string | null; closeTime: string | null };
  /** Yes price at as_of in dollars ("0.6400"), or null when none was recorded by then. */
  marketPrice: { dollars: string; at: string; source: string } | null;
  /** Its latest candles up to as_of, oldest first (prices in dollars). */
  candles: {
    endPeriodTs: string;
    periodMinutes: number;
    yesBidClose: string | null;
    yesAskClose: string | null;
    priceClose: string | null;
    volume: string | null;
  }[];
  /** Its lifecycle messages up to as_of. */
  lifecycle: { eventType: string | null; at: string }[];
  /** Similar markets settled before as_of, most similar first; outcome "1" yes, "0" no. */
  neighbors: {
    ticker: string;
    title: string | null;
    similarity: number;
    outcome: string;
    finalPrice: string | null;
    resolvedAt: string;
  }[];
  /** Your documents (RAG_DOCUMENTS_DIR) known at as_of, most similar first. */
  documents: {
    id: string;
    title: string | null;
    knownAt: string;
    similarity: number;
    text: string;
  }[];
}

/** What `predict` returns (or resolves to). */
export interface PredictorAnswer {
  /** P(yes), from 0 to 1. */
  probability: number;
  /** Why, in a sentence or two. */
  rationale: string;
}

/**
 * Half the market price, half the neighbours' yes rate (with a +1/+2 prior); the coin flip's 0.5
 * stands in for a missing price.
 */
export function predict(input: PredictorInput): PredictorAnswer {
  const yes = input.neighbors.filter((n) => Number(n.outcome) >= 0.5).length;
  const rate = (yes + 1) / (input.neighbors.length + 2);
  const price = input.marketPrice ? Number(input.marketPrice.dollars) : 0.5;
  const probability = Math.min(0.99, Math.max(0.01, (price + rate) / 2));
  return {
    probability,
    rationale: `price ${input.marketPrice?.dollars ?? "unknown"}, ${yes} of ` +
      `${input.neighbors.length} similar settled markets resolved yes`,
  };
}
