/**
 * The replay's REST side at `/trade-api/v2`: what a client calls at start (exchange status,
 * historical cutoff, series, events, multivariate events, markets, historical markets), answered
 * from the stored catalog as of the window start. A market exists once created; its `status` and
 * `result` are those its times imply at the window start (open → active, close → closed,
 * determination → determined, settlement → finalized); its quote and counters (bid, ask, last
 * price, volume, open interest) are those of its last stored ticker message before the window
 * start, when there is one; other fields are the stored payload.
 * Markets settled before the cutoff (the stored one, or 90 days before the window) are served
 * only under `/historical/markets`, as Kalshi does.
 * @module
 */
import { z } from "zod";
import type { Sql } from "../db/mod.ts";
import { isOrderbookPath, orderbookResponse } from "./rest_orderbook.ts";

/** The REST base path, as Kalshi's. */
export const REPLAY_REST_PATH = "/trade-api/v2";

const DAY_MS = 86_400_000;
const CUTOFF_LAG_MS = 90 * DAY_MS;

const STATUS_FILTER: Record<string, string[]> = {
  unopened: ["initialized"],
  open: ["active"],
  closed: ["closed", "determined"],
  settled: ["finalized"],
};

const list = z.string().max(20_000).transform((t) => t.split(",").filter(Boolean)).pipe(
  z.array(z.string().min(1).max(200)).max(1000),
);
const QuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
  series_ticker: z.string().min(1).max(200).optional(),
  event_ticker: z.string().min(1).max(200).optional(),
  tickers: list.optional(),
  event_tickers: list.optional(),
  status: z.enum(["unopened", "open", "closed", "settled"]).optional(),
  mve_filter: z.enum(["only", "exclude"]).optional(),
  with_nested_markets: z.enum(["true", "false"]).optional(),
  min_close_ts: z.coerce.number().int().min(0).max(8_640_000_000).optional(),
  max_close_ts: z.coerce.number().int().min(0).max(8_640_000_000).optional(),
});
type Query = z.infer<typeof QuerySchema>;

type Json = Record<string, unknown>;

/**
 * Answers `GET /trade-api/v2/…` for a window starting at `fromMs`; order books as of `now()`
 * (replay time; default the window start) — ./rest_orderbook.ts.
 */
export function createReplayRest(
  sql: Sql,
  options: { fromMs: number; now?: () => number },
): (req: Request) => Promise<Response> {
  const asOf = new Date(options.fromMs);
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.slice(REPLAY_REST_PATH.length).replace(/\/+$/, "");
    if (req.method !== "GET") return problem(405, "method_not_allowed", "the replay is read-only");
    // PostgreSQL text holds no NUL: such a parameter is the client's error, not a failed query.
    const nul = [...url.searchParams].find(([, v]) => v.includes("\0"));
    if (nul) return problem(400, "bad_request", `${nul[0]}: text without NUL characters`);
    if (isOrderbookPath(path)) {
      const atMs = options.now?.() ?? options.fromMs;
      return await orderbookResponse(sql, url, { path, atMs });
    }
    const parsed = QuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return problem(400, "bad_request", `${issue?.path.join(".")}: ${issue?.message}`);
    }
    const q = parsed.data;
    const cutoff = await cutoffAt(sql, asOf);
    switch (path) {
      case "/exchange/status":
        return Response.json({ exchange_active: true, trading_active: true });
      case "/historical/cutoff": {
        const text = cutoff.toISOString().replace(/\.000Z$/, "Z");
        return Response.json({ market_settled_ts: text, trades_created_ts: text });
      }
      case "/series":
        return Response.json({ series: await series(sql, q), cursor: "" });
      case "/events":
      case "/events/multivariate":
        return Response.json(
          await events(sql, q, { asOf, cutoff, multivariate: path === "/events/multivariate" }),
        );
      case "/markets":
      case "/historical/markets":
        return Response.json(
          await markets(sql, q, { asOf, cutoff, historical: path === "/historical/markets" }),
        );
      default:
        return problem(404, "not_found", `the replay does not serve ${path || "/"}`);
    }
  };
}

/** The historical cutoff as of `asOf`: the stored one when earlier, else 90 days before. */
async function cutoffAt(sql: Sql, asOf: Date): Promise<Date> {
  const [row] = await sql<{ settled: string | null }[]>`
    SELECT value ->> 'marketSettledTs' AS settled FROM ingest_state
     WHERE key = 'historical.cutoff' AND scope = ''`;
  const stored = row?.settled ? Date.parse(row.settled) : NaN;
  const fallback = asOf.getTime() - CUTOFF_LAG_MS;
  return new Date(Number.isFinite(stored) && stored <= asOf.getTime() ? stored : fallback);
}

async function series(sql: Sql, q: Query): Promise<Json[]> {
  const rows = await sql<{ raw: Json }[]>`
    SELECT raw FROM series
     WHERE (${q.series_ticker ?? null}::text IS NULL OR ticker = ${q.series_ticker ?? null})
     ORDER BY ticker`;
  return rows.map((r) => r.raw);
}

interface Scope {
  asOf: Date;
  cutoff: Date;
}

/** Markets as of `asOf` (status and result from their times), `limit` + 1 rows after `cursor`. */
function marketRows(sql: Sql, q: Query, scope: Scope & { historical: boolean }) {
  const statuses = q.status ? STATUS_FILTER[q.status] : null;
  const mve = q.mve_filter ?? null;
  const minClose = q.min_close_ts === undefined ? null : new Date(q.min_close_ts * 1000);
  const maxClose = q.max_close_ts === undefined ? null : new Date(q.max_close_ts * 1000);
  return sql<{ ticker: string; event_ticker: string; raw: Json }[]>`
    WITH visible AS (
      SELECT ticker, event_ticker, series_ticker, is_multivariate, close_time, raw,
             CASE WHEN settlement_ts <= ${scope.asOf} THEN 'finalized'
                  WHEN determination_ts <= ${scope.asOf} THEN 'determined'
                  WHEN close_time <= ${scope.asOf} THEN 'closed'
                  WHEN open_time <= ${scope.asOf} THEN 'active'
                  ELSE 'initialized' END AS status,
             coalesce(settlement_ts <= ${scope.cutoff}, false) AS historical
        FROM markets
       WHERE created_time IS NULL OR created_time <= ${scope.asOf})
    SELECT ticker, event_ticker,
           raw || jsonb_build_object('status', status) || coalesce(quote.fields, '{}'::jsonb) ||
             CASE WHEN status IN ('determined', 'finalized') THEN '{}'::jsonb
                  ELSE '{"result": ""}'::jsonb END AS raw
      FROM visible
      -- The market's last ticker message before the window start sets its quote and counters.
      LEFT JOIN LATERAL (
        SELECT jsonb_strip_nulls(jsonb_build_object(
                 'yes_bid_dollars', t.yes_bid::text, 'yes_ask_dollars', t.yes_ask::text,
                 'no_bid_dollars', (1 - t.yes_ask)::text, 'no_ask_dollars', (1 - t.yes_bid)::text,
                 'last_price_dollars', t.price::text, 'volume_fp', t.volume::text,
                 'open_interest_fp', t.open_interest::text,
                 'yes_bid_size_fp', t.yes_bid_size::text,
                 'yes_ask_size_fp', t.yes_ask_size::text)) AS fields
          FROM ticks t
         WHERE t.market_ticker = visible.ticker AND t.ts <= ${scope.asOf}
         ORDER BY t.ts DESC LIMIT 1) quote ON true
     WHERE historical = ${scope.historical}
       AND (${q.cursor ?? null}::text IS NULL OR ticker > ${q.cursor ?? null})
       AND (${q.tickers ?? null}::text[] IS NULL OR ticker = ANY(${q.tickers ?? null}::text[]))
       AND (${q.event_ticker ?? null}::text IS NULL OR event_ticker = ${q.event_ticker ?? null})
       AND (${q.event_tickers ?? null}::text[] IS NULL
            OR event_ticker = ANY(${q.event_tickers ?? null}::text[]))
       AND (${q.series_ticker ?? null}::text IS NULL OR series_ticker = ${q.series_ticker ?? null})
       AND (${statuses}::text[] IS NULL OR status = ANY(${statuses}::text[]))
       AND (${mve}::text IS NULL OR is_multivariate = (${mve} = 'only'))
       AND (${minClose}::timestamptz IS NULL OR close_time >= ${minClose})
       AND (${maxClose}::timestamptz IS NULL OR close_time <= ${maxClose})
     ORDER BY ticker
     LIMIT ${q.limit + 1}`;
}

async function markets(sql: Sql, q: Query, scope: Scope & { historical: boolean }) {
  const rows = await marketRows(sql, q, scope);
  const page = rows.slice(0, q.limit);
  const cursor = rows.length > q.limit ? page[page.length - 1].ticker : "";
  return { markets: page.map((r) => r.raw), cursor };
}

async function events(sql: Sql, q: Query, scope: Scope & { multivariate: boolean }) {
  const rows = await sql<{ event_ticker: string; raw: Json }[]>`
    SELECT e.event_ticker, e.raw FROM events e
     WHERE e.is_multivariate = ${scope.multivariate}
       AND (${q.cursor ?? null}::text IS NULL OR e.event_ticker > ${q.cursor ?? null})
       AND (${q.series_ticker ?? null}::text IS NULL OR e.series_ticker = ${
    q.series_ticker ?? null
  })
       AND (${q.event_tickers ?? null}::text[] IS NULL
            OR e.event_ticker = ANY(${q.event_tickers ?? null}::text[]))
       AND EXISTS (SELECT 1 FROM markets m WHERE m.event_ticker = e.event_ticker
                     AND (m.created_time IS NULL OR m.created_time <= ${scope.asOf}))
     ORDER BY e.event_ticker
     LIMIT ${Math.min(q.limit, 200) + 1}`;
  const limit = Math.min(q.limit, 200);
  const page = rows.slice(0, limit);
  const cursor = rows.length > limit ? page[page.length - 1].event_ticker : "";
  if (q.with_nested_markets !== "true") return { events: page.map((r) => r.raw), cursor };
  const nested = new Map<string, Json[]>();
  for (const historical of [false, true]) {
    const found = await marketRows(sql, {
      limit: 100_000,
      event_tickers: page.map((e) => e.event_ticker),
    }, { ...scope, historical });
    for (const m of found) {
      nested.set(m.event_ticker, [...(nested.get(m.event_ticker) ?? []), m.raw]);
    }
  }
  return {
    events: page.map((r) => ({ ...r.raw, markets: nested.get(r.event_ticker) ?? [] })),
    cursor,
  };
}

function problem(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
