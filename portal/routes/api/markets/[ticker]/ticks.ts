/**
 * `GET /api/markets/{ticker}/ticks?from=&to=&format=csv|json&limit=`: the ticks of a range
 * (default the last 24 hours). CSV (the default) streams any range; JSON returns at most `limit`.
 * A range is always given, so only the partitions it covers are read.
 */
import { loadTicks, marketExists, ticksCsv } from "../../../../data/candles.ts";
import type { PortalDeps, PortalHandler } from "../../../../deps.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { tickParams } from "../../../../route_params.ts";

/** GET `/api/markets/{ticker}/ticks`. */
export function ticksApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const p = tickParams(new URL(c.req.url), deps.now());
    if (!(await marketExists(deps.sql, ticker))) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown market",
        message: `No market ${ticker} is stored.`,
      });
    }
    if (p.format === "csv") {
      return new Response(ticksCsv(deps.sql, ticker, p), {
        headers: {
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="${ticker}_ticks.csv"`,
        },
      });
    }
    const { ticks, truncated } = await loadTicks(deps.sql, ticker, p);
    return c.json({ ticker, from: p.from, to: p.to, truncated, ticks });
  };
}
