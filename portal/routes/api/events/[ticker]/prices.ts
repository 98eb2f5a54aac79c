/**
 * `GET /api/events/{ticker}/prices?period=1|60|1440&from=&to=`: every market of the event as a
 * price line, `{"markets":[{"ticker":…,"points":[[unix_seconds,"price"],…]},…]}` — the event's
 * whole life by default, lines thinned when long, no market dropped (see data/event_prices.ts).
 * The statement is cancelled when the client goes away.
 */
import { loadEventPrices } from "../../../../data/event_prices.ts";
import type { PortalDeps, PortalHandler } from "../../../../deps.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { eventPriceParams } from "../../../../route_params.ts";

/** GET `/api/events/{ticker}/prices`. */
export function eventPricesApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const p = eventPriceParams(new URL(c.req.url));
    const signal = c.req.raw.signal;
    let json: string | undefined;
    try {
      json = await loadEventPrices(deps.sql, ticker, { ...p, signal });
    } catch (error) {
      if (signal.aborted) return new Response(null, { status: 499 });
      throw error;
    }
    if (json === undefined) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown event",
        message: `No event ${ticker} is stored.`,
      });
    }
    return new Response(json, { headers: { "Content-Type": "application/json" } });
  };
}
