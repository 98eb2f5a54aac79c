/**
 * `GET /api/markets/{ticker}/candles?period=1|60|1440&from=&to=&format=json|csv&fields=`: candles
 * of a range (`from` inclusive, `to` exclusive, on the candle's end time). Without a period, the
 * market page's default. JSON carries at most 5,000 candles (the latest), with the columns named
 * in `fields` (default all), each an object or, with `shape=rows`, an array in the order of the
 * answer's `columns`; CSV streams any range from a cursor. Either counts as a download
 * (capped per client and overall, 429 beyond) and gives its connection back the moment the
 * client goes away.
 */
import {
  candleColumnsOf,
  candlesCsv,
  loadCandlesJson,
  marketExists,
} from "../../../../data/candles.ts";
import { candleCoverage, choosePeriod } from "../../../../data/market.ts";
import type { PortalContext, PortalDeps, PortalHandler } from "../../../../deps.ts";
import {
  csvResponse,
  type ExportSlot,
  jsonExport,
  takeExportSlot,
} from "../../../../export_slot.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { candleParams } from "../../../../route_params.ts";

function unknownMarket(c: PortalContext, deps: PortalDeps, ticker: string): Response {
  return errorResponse(c, deps, {
    status: 404,
    title: "Unknown market",
    message: `No market ${ticker} is stored.`,
  });
}

async function candlesCsvAnswer(
  c: PortalContext,
  deps: PortalDeps,
  slot: ExportSlot,
  ticker: string,
  p: ReturnType<typeof candleParams>,
): Promise<Response> {
  const signal = c.req.raw.signal;
  let streaming = false;
  try {
    const period = p.period ?? choosePeriod(await candleCoverage(deps.sql, ticker));
    if (!(await marketExists(deps.sql, ticker))) return unknownMarket(c, deps, ticker);
    if (signal.aborted) return new Response(null, { status: 499 });
    const range = { period, from: p.from, to: p.to };
    const response = await csvResponse(
      c,
      deps,
      slot,
      `${ticker}_candles_${period}m.csv`,
      (options) => candlesCsv(deps.sql, ticker, range, options),
    );
    streaming = true;
    return response;
  } finally {
    if (!streaming) slot.release();
  }
}

/** GET `/api/markets/{ticker}/candles`. */
export function candlesApi(deps: PortalDeps): PortalHandler {
  return (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const p = candleParams(new URL(c.req.url));
    const slot = takeExportSlot(c, deps);
    if (slot instanceof Response) return slot;
    if (p.format === "csv") return candlesCsvAnswer(c, deps, slot, ticker, p);
    return jsonExport(c, slot, async (signal) => {
      const period = p.period ?? choosePeriod(await candleCoverage(deps.sql, ticker));
      const result = await loadCandlesJson(deps.sql, ticker, {
        period,
        from: p.from,
        to: p.to,
        fields: p.fields,
        shape: p.shape,
        signal,
      });
      // Existence is only in doubt when nothing matched (saves a query on the common path).
      if (result.count === 0 && !(await marketExists(deps.sql, ticker))) {
        return unknownMarket(c, deps, ticker);
      }
      // The candle array is JSON text from PostgreSQL; only the small envelope is serialised here.
      const head = JSON.stringify({
        ticker,
        period,
        from: p.from ?? null,
        to: p.to ?? null,
        truncated: result.truncated,
        ...(p.shape === "rows" ? { columns: candleColumnsOf(p.fields) } : {}),
      });
      return new Response(`${head.slice(0, -1)},"candles":${result.json}}`, {
        headers: { "Content-Type": "application/json" },
      });
    });
  };
}
