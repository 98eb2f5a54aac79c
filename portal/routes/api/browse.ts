/** `GET /api/browse`: the browse page as JSON, with `exact` naming a ticker the search equals. */
import { browse, exactTicker } from "../../data/browse.ts";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { browseParams } from "../../route_params.ts";
import { nextPageUrl } from "../browse.tsx";

/** GET `/api/browse`. */
export function browseApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const query = browseParams(url);
    const [page, exact] = await Promise.all([
      browse(deps.sql, query),
      query.q ? exactTicker(deps.sql, query.q) : undefined,
    ]);
    return c.json({
      ...page,
      exact: exact ?? null,
      next_url: page.next ? nextPageUrl("/api/browse", url, page.next) : null,
    });
  };
}
