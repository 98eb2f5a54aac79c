/**
 * `GET /api/opportunities?threshold=0.05&sort=&order=&after=&after_key=&limit=`: active mutually
 * exclusive events whose YES asks or midpoints sum away from 1 by more than the threshold (see
 * data/opportunities.ts), sorted and keyset-paged; `next_url` is the next page.
 */
import { loadOpportunities } from "../../data/opportunities.ts";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { opportunityParams } from "../../route_params.ts";
import { opportunitiesNextUrl } from "../opportunities.tsx";

/** GET `/api/opportunities`. */
export function opportunitiesApi(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const query = opportunityParams(url);
    const page = await loadOpportunities(deps.sql, query);
    return c.json({
      threshold: query.threshold,
      sort: query.sort,
      order: query.order,
      items: page.items.map(({ sort_key: _, ...item }) => item),
      next_url: page.next ? opportunitiesNextUrl("/api/opportunities", url, page.next) : null,
    });
  };
}
