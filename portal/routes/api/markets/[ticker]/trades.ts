/**
 * `GET /api/markets/{ticker}/trades?format=json|csv&from=&to=&before=&before_id=&limit=`: a
 * market's trades (time, prices, size, taker side, source). JSON lists `limit` (default 100, at
 * most 1000) newest first, `next_url` continuing before the last; CSV streams the whole range
 * oldest first from a cursor (no row cap). Either counts as a download (capped per client and
 * overall, 429 beyond) and gives its connection back the moment the client goes away.
 */
import { marketExists } from "../../../../data/candles.ts";
import { loadTrades, tradesCsv } from "../../../../data/trades.ts";
import type { PortalContext, PortalDeps, PortalHandler } from "../../../../deps.ts";
import { csvResponse, jsonExport, takeExportSlot } from "../../../../export_slot.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { tradeParams } from "../../../../route_params.ts";

/** The URL of the page after `next` (the same range and limit). */
export function olderTradesUrl(url: URL, next: { time: string; id: string }): string {
  const params = new URLSearchParams(url.searchParams);
  params.set("before", next.time);
  params.set("before_id", next.id);
  return `${url.pathname}?${params}`;
}

function unknownMarket(c: PortalContext, deps: PortalDeps, ticker: string): Response {
  return errorResponse(c, deps, {
    status: 404,
    title: "Unknown market",
    message: `No market ${ticker} is stored.`,
  });
}

/** GET `/api/markets/{ticker}/trades`. */
export function tradesApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const url = new URL(c.req.url);
    const p = tradeParams(url, { page: false });
    const slot = takeExportSlot(c, deps);
    if (slot instanceof Response) return slot;
    let streaming = false;
    try {
      if (!(await marketExists(deps.sql, ticker))) return unknownMarket(c, deps, ticker);
      if (p.format === "csv") {
        if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
        const response = await csvResponse(
          c,
          deps,
          slot,
          `${ticker}_trades.csv`,
          (options) => tradesCsv(deps.sql, ticker, p, options),
        );
        streaming = true;
        return response;
      }
      return await jsonExport(c, slot, async (signal) => {
        const page = await loadTrades(deps.sql, ticker, { ...p, signal });
        return c.json({
          ticker,
          from: p.from ?? null,
          to: p.to ?? null,
          trades: page.trades,
          next_url: page.next ? olderTradesUrl(url, page.next) : null,
        });
      });
    } finally {
      if (!streaming) slot.release();
    }
  };
}
