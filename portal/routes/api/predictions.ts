/** `GET /api/predictions`: predictions and their scores as JSON. */
import { loadPredictions } from "../../data/predictions.ts";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { predictionParams } from "../../route_params.ts";
import { olderUrl } from "../predictions.tsx";

/** GET `/api/predictions`. */
export function predictionsApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const page = await loadPredictions(deps.sql, predictionParams(url));
    return c.json({
      ...page,
      next_url: page.next ? olderUrl("/api/predictions", url, page.next) : null,
    });
  };
}
