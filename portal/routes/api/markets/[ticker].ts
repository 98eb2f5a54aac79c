/** `GET /api/markets/{ticker}`: the market page's data as JSON. */
import { loadMarket } from "../../../data/market.ts";
import type { PortalDeps, PortalHandler } from "../../../deps.ts";
import { parsePath, tickerSchema } from "../../../params.ts";
import { errorResponse } from "../../../render.tsx";
import { noParams } from "../../../route_params.ts";

/** GET `/api/markets/{ticker}`. */
export function marketApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    noParams(new URL(c.req.url));
    const detail = await loadMarket(deps.sql, ticker, { now: deps.now() });
    if (!detail) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown market",
        message: `No market ${ticker} is stored.`,
      });
    }
    return c.json(detail);
  };
}
