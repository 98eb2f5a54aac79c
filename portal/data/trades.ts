/**
 * A market's trades: pages newest first with a keyset cursor on (created_time, trade_id) — the
 * time as exact text with microseconds, so no trade is skipped or repeated across pages — and CSV
 * downloads of any range, oldest first, streamed from a cursor (./export_stream.ts).
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";
import type { CsvDownloadOptions } from "./candles.ts";
import { openCsvExport } from "./export_stream.ts";
import { cancellableQuery } from "./transaction.ts";
import type { Decimal } from "./types.ts";

/** Trade columns, in CSV order. Prices dollars, count contracts. */
export const TRADE_COLUMNS = [
  "trade_id",
  "created_time",
  "yes_price",
  "no_price",
  "count",
  "taker_side",
  "source",
] as const;

/** One trade as listed (created_time as ISO 8601 UTC text with microseconds). */
export interface TradeRow {
  trade_id: string;
  created_time: string;
  yes_price: Decimal;
  no_price: Decimal;
  count: Decimal;
  taker_side: string | null;
  source: string;
}

/** A range and cursor of {@linkcode loadTrades}. */
export interface TradeQuery {
  from?: Date;
  to?: Date;
  /** Continue with trades older than this one. */
  before?: { time: string; id: string };
  limit: number;
  /** Cancels the statement when it aborts (the request's signal). */
  signal?: AbortSignal;
}

const CREATED_TEXT =
  `to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_time`;

/** One page of trades, newest first, and the cursor of the next (older) page. */
export async function loadTrades(
  sql: Sql,
  ticker: string,
  query: TradeQuery,
): Promise<{ trades: TradeRow[]; next: { time: string; id: string } | null }> {
  const rows = await cancellableQuery(sql, query.signal, (q) =>
    q<TradeRow[]>`
    SELECT trade_id, ${sql.unsafe(CREATED_TEXT)}, yes_price::text, no_price::text,
           count::text, taker_side, source
    FROM trades
    WHERE market_ticker = ${ticker}
      ${query.from ? sql`AND created_time >= ${query.from}` : sql``}
      ${query.to ? sql`AND created_time < ${query.to}` : sql``}
      ${
      query.before
        ? sql`AND (created_time, trade_id) < (${query.before.time}::timestamptz, ${query.before.id})`
        : sql``
    }
    ORDER BY created_time DESC, trade_id DESC LIMIT ${query.limit + 1}`);
  const trades = rows.slice(0, query.limit);
  const last = trades.at(-1);
  return {
    trades,
    next: rows.length > query.limit && last ? { time: last.created_time, id: last.trade_id } : null,
  };
}

/** Streams the trades of a range as CSV (header line first), oldest first, from a cursor. */
export function tradesCsv(
  sql: Sql,
  ticker: string,
  range: { from?: Date; to?: Date },
  options: CsvDownloadOptions,
): Promise<ReadableStream<Uint8Array>> {
  const select = sql`
    SELECT trade_id, ${sql.unsafe(CREATED_TEXT)}, yes_price, no_price, count, taker_side, source
    FROM trades
    WHERE market_ticker = ${ticker}
      ${range.from ? sql`AND created_time >= ${range.from}` : sql``}
      ${range.to ? sql`AND created_time < ${range.to}` : sql``}
    ORDER BY created_time, trade_id`;
  return openCsvExport(sql, select, { ...options, columns: TRADE_COLUMNS });
}
