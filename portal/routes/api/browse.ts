/**
 * `GET /api/browse`: the browse page as JSON, with `exact` naming a ticker the search equals and
 * `next_url` the next page (sorted markets carry `next_key`, the last row's sort key).
 */
import { browse, exactTicker } from "../../data/browse.ts";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { browseParams } from "../../route_params.ts";
import { nextPageUrl, pageCursor } from "../browse.tsx";

/** GET `/api/browse`. */
export function browseApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const query = browseParams(url, deps.now());
    const [page, exact] = await Promise.all([
      browse(deps.sql, query),
      query.q ? exactTicker(deps.sql, query.q) : undefined,
    ]);
    const cursor = pageCursor(page);
    return c.json({
      ...page,
      exact: exact ?? null,
      next_url: cursor ? nextPageUrl("/api/browse", url, cursor) : null,
    });
  };
}
