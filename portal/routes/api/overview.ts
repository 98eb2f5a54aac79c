/** `GET /api/overview`: the overview as JSON. */
import type { Overview } from "../../data/overview.ts";
import type { PortalHandler } from "../../deps.ts";
import { noParams } from "../../route_params.ts";

/** GET `/api/overview`, sharing the page's loader (and its short cache). */
export function overviewApi(load: () => Promise<Overview>): PortalHandler {
  return async (c) => {
    noParams(new URL(c.req.url));
    return c.json(await load());
  };
}
