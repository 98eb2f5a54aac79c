/**
 * The replay's order-book endpoints, as of replay time: `GET /markets/{ticker}/orderbook?depth=N`
 * and `GET /markets/orderbooks?tickers=A,B`, each book rebuilt from the stored snapshots and
 * deltas (lib/orderbook `bookAt`) in Kalshi's `orderbook_fp` shape (`[dollars, contracts]` pairs,
 * ascending, best bid last). A catalogued market with no stored book answers an empty book.
 * @module
 */
import { z } from "zod";
import type { Sql } from "../db/mod.ts";
import { bookAt, OrderBook, orderbookJson } from "../orderbook/mod.ts";

/** Most tickers one `/markets/orderbooks` request names, as Kalshi. */
const ORDERBOOKS_MAX = 100;

const DepthSchema = z.object({ depth: z.coerce.number().int().min(0).max(100).default(0) });
const TickersSchema = z.array(z.string().min(1).max(200)).min(1, "tickers is required")
  .max(ORDERBOOKS_MAX, `at most ${ORDERBOOKS_MAX} tickers`);

const BOOK_PATH = /^\/markets\/([^/]+)\/orderbook$/;
const PathTickerSchema = z.string({ message: "a percent-encoded UTF-8 ticker" })
  .max(200, "at most 200 characters").refine(
    (t) => !t.includes("\0"),
    "text without NUL characters",
  );

/** Whether `path` (under `/trade-api/v2`) is an order-book endpoint. */
export function isOrderbookPath(path: string): boolean {
  return path === "/markets/orderbooks" || BOOK_PATH.test(path);
}

/** Answers an order-book endpoint for the books as of `atMs`. */
export async function orderbookResponse(
  sql: Sql,
  url: URL,
  options: { path: string; atMs: number },
): Promise<Response> {
  const at = new Date(options.atMs);
  if (options.path === "/markets/orderbooks") {
    const tickers = TickersSchema.safeParse([
      ...new Set(url.searchParams.getAll("tickers").flatMap((v) => v.split(",")).filter(Boolean)),
    ]);
    if (!tickers.success) return problem(400, "bad_request", issueText(tickers.error));
    const orderbooks = [];
    for (const ticker of tickers.data) {
      const book = await bookOf(sql, ticker, at);
      if (book !== null) orderbooks.push({ ticker, ...orderbookJson(book) });
    }
    return Response.json({ orderbooks });
  }
  const depth = DepthSchema.safeParse({ depth: url.searchParams.get("depth") ?? undefined });
  if (!depth.success) return problem(400, "bad_request", `depth: ${issueText(depth.error)}`);
  let decoded: string | null = null;
  try {
    decoded = decodeURIComponent(BOOK_PATH.exec(options.path)![1]);
  } catch { /* a malformed percent escape */ }
  const path = PathTickerSchema.safeParse(decoded);
  if (!path.success) return problem(400, "bad_request", `ticker: ${issueText(path.error)}`);
  const ticker = path.data;
  const book = await bookOf(sql, ticker, at);
  if (book === null) return problem(404, "not_found", `market ${ticker} not found`);
  const json = orderbookJson(book);
  const cut = <T>(levels: T[]) => depth.data.depth > 0 ? levels.slice(-depth.data.depth) : levels;
  const fp = json.orderbook_fp;
  return Response.json({
    orderbook_fp: { yes_dollars: cut(fp.yes_dollars), no_dollars: cut(fp.no_dollars) },
  });
}

/** The book of `ticker` at `at`; empty for a market created by then with no stored book. */
async function bookOf(sql: Sql, ticker: string, at: Date): Promise<OrderBook | null> {
  const rebuilt = await bookAt(sql, ticker, at);
  if (rebuilt.status === "ok") return rebuilt.book;
  const [known] = await sql<{ one: number }[]>`
    SELECT 1 AS one FROM markets
     WHERE ticker = ${ticker} AND (created_time IS NULL OR created_time <= ${at})`;
  return known === undefined ? null : new OrderBook();
}

function issueText(error: z.ZodError): string {
  return error.issues[0]?.message ?? "invalid";
}

function problem(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
