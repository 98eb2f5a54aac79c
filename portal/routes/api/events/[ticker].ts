/** `GET /api/events/{ticker}`: an event and its markets as JSON. */
import { loadEvent } from "../../../data/event.ts";
import type { PortalDeps, PortalHandler } from "../../../deps.ts";
import { parsePath, tickerSchema } from "../../../params.ts";
import { errorResponse } from "../../../render.tsx";
import { noParams } from "../../../route_params.ts";

/** GET `/api/events/{ticker}`. */
export function eventApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    noParams(new URL(c.req.url));
    const detail = await loadEvent(deps.sql, ticker);
    if (!detail) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown event",
        message: `No event ${ticker} is stored.`,
      });
    }
    return c.json(detail);
  };
}
