/**
 * `GET /api/markets/{ticker}/candles?period=1|60|1440&from=&to=&format=json|csv&fields=`: candles
 * of a range (`from` inclusive, `to` exclusive, on the candle's end time). Without a period, the
 * market page's default. JSON carries at most 5,000 candles (the latest), with the columns named
 * in `fields` (default all); CSV streams any range.
 */
import { candlesCsv, loadCandlesJson, marketExists } from "../../../../data/candles.ts";
import { candleCoverage, choosePeriod } from "../../../../data/market.ts";
import type { PortalDeps, PortalHandler } from "../../../../deps.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { candleParams } from "../../../../route_params.ts";

/** GET `/api/markets/{ticker}/candles`. */
export function candlesApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const p = candleParams(new URL(c.req.url));
    const unknown = () =>
      errorResponse(c, deps, {
        status: 404,
        title: "Unknown market",
        message: `No market ${ticker} is stored.`,
      });
    const period = p.period ?? choosePeriod(await candleCoverage(deps.sql, ticker));
    if (p.format === "csv") {
      if (!(await marketExists(deps.sql, ticker))) return unknown();
      const name = `${ticker}_candles_${period}m.csv`;
      return new Response(candlesCsv(deps.sql, ticker, { period, from: p.from, to: p.to }), {
        headers: {
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="${name}"`,
        },
      });
    }
    const result = await loadCandlesJson(deps.sql, ticker, {
      period,
      from: p.from,
      to: p.to,
      fields: p.fields,
    });
    // Existence is only in doubt when nothing matched (saves a query on the common path).
    if (result.count === 0 && !(await marketExists(deps.sql, ticker))) return unknown();
    // The candle array is JSON text from PostgreSQL; only the small envelope is serialised here.
    const head = JSON.stringify({
      ticker,
      period,
      from: p.from ?? null,
      to: p.to ?? null,
      truncated: result.truncated,
    });
    return new Response(`${head.slice(0, -1)},"candles":${result.json}}`, {
      headers: { "Content-Type": "application/json" },
    });
  };
}
