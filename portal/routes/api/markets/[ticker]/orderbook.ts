/**
 * `GET /api/markets/{ticker}/orderbook?at=`: the stored order book at an instant (default now),
 * in Kalshi's REST shape `{"orderbook_fp":{"yes_dollars":[…],"no_dollars":[…]}}`, ascending.
 */
import { bookAt, orderbookJson } from "@kalshi-data/lib/orderbook";
import type { PortalDeps, PortalHandler } from "../../../../deps.ts";
import { parsePath, tickerSchema } from "../../../../params.ts";
import { errorResponse } from "../../../../render.tsx";
import { orderbookParams } from "../../../../route_params.ts";

/** GET `/api/markets/{ticker}/orderbook`. */
export function orderbookApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const { at } = orderbookParams(new URL(c.req.url), deps.now());
    const result = await bookAt(deps.sql, ticker, at);
    if (result.status !== "ok") {
      return errorResponse(c, deps, {
        status: 404,
        title: "No order book",
        message: result.status === "unknown_market"
          ? `No order book of market ${ticker} is stored.`
          : `No order book of ${ticker} is stored at or before ${at.toISOString()}.`,
      });
    }
    return c.json(orderbookJson(result.book));
  };
}
