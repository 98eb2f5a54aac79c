/**
 * `GET /api/markets/{ticker}/ticks?from=&to=&format=csv|json&limit=`: the ticks of a range
 * (default the last 24 hours). CSV (the default) streams any range from a cursor; JSON returns at
 * most `limit`. A range is always given, so only the partitions it covers are read. Either counts
 * as a download (capped per client and overall, 429 beyond) and gives its connection back the
 * moment the client goes away.
 */
import { loadTicks, marketExists, ticksCsv } from "../../../../data/candles.ts";
import type { PortalDeps, PortalHandler } from "../../../../deps.ts";
import { csvResponse, jsonExport, takeExportSlot } from "../../../../export_slot.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { tickParams } from "../../../../route_params.ts";

/** GET `/api/markets/{ticker}/ticks`. */
export function ticksApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const p = tickParams(new URL(c.req.url), deps.now());
    const slot = takeExportSlot(c, deps);
    if (slot instanceof Response) return slot;
    let streaming = false;
    try {
      if (!(await marketExists(deps.sql, ticker))) {
        return errorResponse(c, deps, {
          status: 404,
          title: "Unknown market",
          message: `No market ${ticker} is stored.`,
        });
      }
      if (p.format === "csv") {
        if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
        const response = await csvResponse(
          c,
          deps,
          slot,
          `${ticker}_ticks.csv`,
          (options) => ticksCsv(deps.sql, ticker, p, options),
        );
        streaming = true;
        return response;
      }
      return await jsonExport(c, slot, async (signal) => {
        const { ticks, truncated } = await loadTicks(deps.sql, ticker, { ...p, signal });
        return c.json({ ticker, from: p.from, to: p.to, truncated, ticks });
      });
    } finally {
      if (!streaming) slot.release();
    }
  };
}
