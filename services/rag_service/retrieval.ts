/**
 * Retrieval with an as_of: for a target market, its document, the k most similar markets settled
 * before as_of (outcome, final price), its own recent candles and lifecycle so far, and its price
 * at as_of. Every query is bounded by as_of, so nothing dated later is ever used (no look-ahead);
 * the target's current status, result and prices (which may be later than as_of) are never read.
 * @module
 */
import { dollarsToPriceUnits, priceUnitsToDollars } from "@kalshi-data/lib/kalshi";
import { marketOutcome } from "@kalshi-data/lib/predictions";
import { DOCUMENT_BY_TICKER_SQL, type DocumentRow, toDocument } from "./documents.ts";
import { HAS_OUTCOME_SQL, type NeighborSearch, RESOLVED_AT_SQL } from "./neighbor_search.ts";
import type { SqlRunner } from "./sql_runner.ts";
import type { RetrievedDocument, UserCorpus } from "./user_documents.ts";
import { decodeVector, type EmbeddingProvider } from "./vectors.ts";

/** A settled market similar to the target. */
export interface RetrievedNeighbor {
  ticker: string;
  title: string | null;
  similarity: number;
  /** "1" yes, "0" no, or a scalar's settlement value (decimal string). */
  outcome: string;
  /** Last quoted/traded yes price before resolution (dollars), if known. */
  finalPrice: string | null;
  resolvedAt: Date;
}

/** One candle of the target (prices in dollars as stored). */
export interface ContextCandle {
  endPeriodTs: Date;
  periodMinutes: number;
  yesBidClose: string | null;
  yesAskClose: string | null;
  priceClose: string | null;
  volume: string | null;
}

/** The market's yes price at as_of: integer units of 1/10000 dollar and the decimal text. */
export interface PriceAtAsOf {
  units: number;
  dollars: string;
  at: Date;
  source: "candle" | "tick";
}

/** Everything a predictor may look at. */
export interface RetrievalContext {
  asOf: Date;
  target: {
    ticker: string;
    text: string;
    openTime: Date | null;
    closeTime: Date | null;
  };
  neighbors: RetrievedNeighbor[];
  candles: ContextCandle[];
  lifecycle: { eventType: string | null; at: Date }[];
  marketPrice: PriceAtAsOf | null;
  /** Your documents (RAG_DOCUMENTS_DIR) known at as_of, most similar first. */
  documents: RetrievedDocument[];
}

/** What retrieval needs. */
export interface RetrievalDeps {
  db: SqlRunner;
  search: NeighborSearch;
  embedder: EmbeddingProvider;
  /** Your documents, prepared for `embedder`; none when absent. */
  documents?: UserCorpus;
}

/** Options of {@linkcode retrieveContext}. */
export interface RetrievalOptions {
  /** Neighbours; default 20. */
  k?: number;
  /** Most recent candles; default 24. */
  candles?: number;
  /** Most lifecycle messages; default 20. */
  lifecycle?: number;
  /** Most of your documents; default 5. */
  documents?: number;
}

/** The target market was not found. */
export class UnknownMarketError extends Error {
  /** Ticker asked for. */
  readonly ticker: string;
  /** Creates the error. */
  constructor(ticker: string) {
    super(`market ${ticker} is not in the database`);
    this.name = "UnknownMarketError";
    this.ticker = ticker;
  }
}

const asDate = (v: Date | string): Date => v instanceof Date ? v : new Date(v);
const asDateOrNull = (v: Date | string | null): Date | null => v === null ? null : asDate(v);

function mid(bid: string | null, ask: string | null, last: string | null): number | null {
  if (bid !== null && ask !== null) {
    const b = dollarsToPriceUnits(bid);
    const a = dollarsToPriceUnits(ask);
    if (a >= b && a > 0) return Math.round((a + b) / 2);
  }
  return last !== null ? dollarsToPriceUnits(last) : null;
}

/** The yes price at `asOf`: the latest candle or tick at or before it (mid quote, else last trade). */
export async function priceAt(
  db: SqlRunner,
  ticker: string,
  asOf: Date,
): Promise<PriceAtAsOf | null> {
  const at = asOf.toISOString();
  const [candle] = await db.query<
    { at: Date | string; bid: string | null; ask: string | null; last: string | null }
  >(
    `SELECT end_period_ts AS at, yes_bid_close::text AS bid, yes_ask_close::text AS ask,
            price_close::text AS last
     FROM candles WHERE market_ticker = $1 AND end_period_ts <= $2::timestamptz
     ORDER BY end_period_ts DESC, period_minutes LIMIT 1`,
    [ticker, at],
  );
  const [tick] = await db.query<
    { at: Date | string; bid: string | null; ask: string | null; last: string | null }
  >(
    `SELECT ts AS at, yes_bid::text AS bid, yes_ask::text AS ask, price::text AS last
     FROM ticks WHERE market_ticker = $1 AND ts <= $2::timestamptz ORDER BY ts DESC LIMIT 1`,
    [ticker, at],
  );
  const pick = (row: typeof candle | undefined, source: "candle" | "tick") => {
    if (!row) return null;
    const units = mid(row.bid, row.ask, row.last);
    return units === null
      ? null
      : { units, dollars: priceUnitsToDollars(units), at: asDate(row.at), source };
  };
  const c = pick(candle, "candle");
  const t = pick(tick, "tick");
  if (c && t) return t.at > c.at ? t : c;
  return c ?? t;
}

/** The query vector of a market: its stored embedding, else its document embedded now. */
async function queryVector(
  deps: RetrievalDeps,
  ticker: string,
  text: string,
): Promise<Float32Array> {
  const [row] = await deps.db.query<{ vector: Uint8Array }>(
    `SELECT vector FROM embeddings
     WHERE subject_kind = 'market' AND subject_key = $1 AND model = $2 AND dimensions = $3::int`,
    [ticker, deps.embedder.model, deps.embedder.dimensions],
  );
  if (row) return decodeVector(row.vector, deps.embedder.dimensions);
  const [vector] = await deps.embedder.embed([text]);
  return vector;
}

/** Retrieves the context of `ticker` as of `asOf`. */
export async function retrieveContext(
  deps: RetrievalDeps,
  ticker: string,
  asOf: Date,
  options: RetrievalOptions = {},
): Promise<RetrievalContext> {
  const { db } = deps;
  const at = asOf.toISOString();
  const [row] = await db.query<
    DocumentRow & { open_time: Date | string | null; close_time: Date | string | null }
  >(DOCUMENT_BY_TICKER_SQL, [ticker]);
  if (!row) throw new UnknownMarketError(ticker);
  const doc = await toDocument(row);
  const vector = await queryVector(deps, ticker, doc.text);
  const hits = await deps.search.nearestSettled(vector, {
    asOf,
    k: options.k ?? 20,
    exclude: ticker,
  });
  const similarity = new Map(hits.map((h) => [h.ticker, h.similarity]));
  const details = hits.length === 0 ? [] : await db.query<{
    ticker: string;
    title: string | null;
    result: string | null;
    settlement_value: string | null;
    resolved_at: Date | string;
    bid: string | null;
    ask: string | null;
    last: string | null;
    last_price: string | null;
  }>(
    `SELECT m.ticker, m.title, m.result, m.settlement_value::text AS settlement_value,
            ${RESOLVED_AT_SQL} AS resolved_at, c.bid, c.ask, c.last, m.last_price::text AS last_price
     FROM markets m
     LEFT JOIN LATERAL (
       SELECT yes_bid_close::text AS bid, yes_ask_close::text AS ask, price_close::text AS last
       FROM candles WHERE market_ticker = m.ticker
         AND end_period_ts <= least(${RESOLVED_AT_SQL}, $2::timestamptz)
       ORDER BY end_period_ts DESC, period_minutes LIMIT 1) c ON true
     WHERE m.ticker = ANY($1::text[]) AND ${HAS_OUTCOME_SQL}
       AND ${RESOLVED_AT_SQL} < $2::timestamptz`,
    [hits.map((h) => h.ticker), at],
  );
  const neighbors: RetrievedNeighbor[] = [];
  for (const d of details) {
    const outcome = marketOutcome(d.result, d.settlement_value);
    if (outcome === undefined) continue;
    const units = mid(d.bid, d.ask, d.last);
    neighbors.push({
      ticker: d.ticker,
      title: d.title,
      similarity: similarity.get(d.ticker) ?? 0,
      outcome,
      finalPrice: units !== null ? priceUnitsToDollars(units) : d.last_price,
      resolvedAt: asDate(d.resolved_at),
    });
  }
  neighbors.sort((a, b) => b.similarity - a.similarity || a.ticker.localeCompare(b.ticker));
  const candleRows = await db.query<{
    end_period_ts: Date | string;
    period_minutes: number;
    bid: string | null;
    ask: string | null;
    last: string | null;
    volume: string | null;
  }>(
    `SELECT end_period_ts, period_minutes, yes_bid_close::text AS bid, yes_ask_close::text AS ask,
            price_close::text AS last, volume::text AS volume
     FROM candles WHERE market_ticker = $1 AND end_period_ts <= $2::timestamptz
     ORDER BY end_period_ts DESC, period_minutes LIMIT $3`,
    [ticker, at, options.candles ?? 24],
  );
  const lifecycle = await db.query<{ event_type: string | null; at: Date | string }>(
    `SELECT event_type, coalesce(event_ts, received_at) AS at FROM market_lifecycle
     WHERE market_ticker = $1 AND coalesce(event_ts, received_at) <= $2::timestamptz
     ORDER BY coalesce(event_ts, received_at), id LIMIT $3`,
    [ticker, at, options.lifecycle ?? 20],
  );
  return {
    asOf,
    target: {
      ticker,
      text: doc.text,
      openTime: asDateOrNull(row.open_time),
      closeTime: asDateOrNull(row.close_time),
    },
    neighbors,
    candles: candleRows.reverse().map((c) => ({
      endPeriodTs: asDate(c.end_period_ts),
      periodMinutes: Number(c.period_minutes),
      yesBidClose: c.bid,
      yesAskClose: c.ask,
      priceClose: c.last,
      volume: c.volume,
    })),
    lifecycle: lifecycle.map((l) => ({ eventType: l.event_type, at: asDate(l.at) })),
    marketPrice: await priceAt(db, ticker, asOf),
    documents: deps.documents?.nearestKnown(vector, { asOf, k: options.documents ?? 5 }) ?? [],
  };
}
