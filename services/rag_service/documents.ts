/**
 * Market documents: each market with its event's and series' text (titles, rules, strike,
 * category) as one text to embed. Only descriptive fields set when the market is listed go in —
 * never status, result or prices, which change later and would leak the future into retrieval.
 * @module
 */
import type { SqlRunner } from "./sql_runner.ts";

/** The columns a document is made from. */
export interface DocumentRow extends Record<string, unknown> {
  ticker: string;
  event_ticker: string;
  series_ticker: string | null;
  title: string | null;
  subtitle: string | null;
  yes_sub_title: string | null;
  no_sub_title: string | null;
  rules_primary: string | null;
  strike_type: string | null;
  floor_strike: string | null;
  cap_strike: string | null;
  functional_strike: string | null;
  event_title: string | null;
  event_sub_title: string | null;
  event_category: string | null;
  series_title: string | null;
  series_category: string | null;
  series_tags: string[] | null;
  available_at: Date | string | null;
}

/** One market's document. */
export interface MarketDocument {
  /** The market ticker (the document id stored in `embeddings.subject_key`). */
  ticker: string;
  /** Text embedded. */
  text: string;
  /** SHA-256 (hex) of `text`: unchanged documents are not embedded again. */
  sha256: string;
  /** When the market was listed (created, else opened, else first seen). */
  availableAt: Date | null;
}

const RULES_LIMIT = 1500;

function line(label: string, ...parts: (string | null | undefined)[]): string | undefined {
  const text = parts.filter((p) => p !== null && p !== undefined && p.trim() !== "").join(" — ");
  return text ? `${label}: ${text}` : undefined;
}

/** The document text of one market row (stable: same row, same text). */
export function documentText(row: DocumentRow): string {
  const strike = [
    row.strike_type,
    row.floor_strike !== null ? `floor ${row.floor_strike}` : null,
    row.cap_strike !== null ? `cap ${row.cap_strike}` : null,
    row.functional_strike,
  ].filter((p) => p !== null && p !== undefined && p !== "").join(" ");
  const category = [row.series_category ?? row.event_category, ...(row.series_tags ?? [])]
    .filter(Boolean).join(", ");
  const rules = row.rules_primary && row.rules_primary.length > RULES_LIMIT
    ? row.rules_primary.slice(0, RULES_LIMIT) + "…"
    : row.rules_primary;
  return [
    line("Series", row.series_title),
    line("Category", category),
    line("Event", row.event_title, row.event_sub_title),
    line("Market", row.title, row.subtitle),
    line("Yes means", row.yes_sub_title),
    line("No means", row.no_sub_title),
    line("Strike", strike),
    line("Rules", rules),
  ].filter((l) => l !== undefined).join("\n");
}

/** SHA-256 of a text as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The columns and joins of a document (markets `m`, events `e`, series `s`). */
const DOCUMENT_SELECT = `
  SELECT m.ticker, m.event_ticker, coalesce(m.series_ticker, e.series_ticker) AS series_ticker,
         m.title, m.subtitle, m.yes_sub_title, m.no_sub_title, m.rules_primary, m.strike_type,
         m.floor_strike::text AS floor_strike, m.cap_strike::text AS cap_strike,
         m.functional_strike, e.title AS event_title, e.sub_title AS event_sub_title,
         e.category AS event_category, s.title AS series_title, s.category AS series_category,
         s.tags AS series_tags,
         coalesce(m.created_time, m.open_time, m.first_seen_at) AS available_at
  FROM markets m
  LEFT JOIN events e ON e.event_ticker = m.event_ticker
  LEFT JOIN series s ON s.ticker = coalesce(m.series_ticker, e.series_ticker)`;

/** Documents in ticker order; `$1` is the keyset cursor (ticker), `$2` the page size. */
export const DOCUMENTS_SQL = `${DOCUMENT_SELECT}
  WHERE m.ticker > $1
  ORDER BY m.ticker
  LIMIT $2`;

/** One market's document row plus its schedule; `$1` is the ticker. */
export const DOCUMENT_BY_TICKER_SQL = `${
  DOCUMENT_SELECT.replace("SELECT", "SELECT m.open_time, m.close_time,")
}
  WHERE m.ticker = $1`;

/** Builds the document of a row. */
export async function toDocument(row: DocumentRow): Promise<MarketDocument> {
  const text = documentText(row);
  const at = row.available_at;
  return {
    ticker: row.ticker,
    text,
    sha256: await sha256Hex(text),
    availableAt: at === null ? null : at instanceof Date ? at : new Date(at),
  };
}

/** Pages through every market's document in ticker order. */
export async function* loadDocuments(
  db: SqlRunner,
  options: { pageSize?: number } = {},
): AsyncGenerator<MarketDocument[]> {
  const pageSize = options.pageSize ?? 1000;
  let after = "";
  while (true) {
    const rows = await db.query<DocumentRow>(DOCUMENTS_SQL, [after, pageSize]);
    if (rows.length === 0) return;
    yield await Promise.all(rows.map(toDocument));
    after = rows[rows.length - 1].ticker;
    if (rows.length < pageSize) return;
  }
}
