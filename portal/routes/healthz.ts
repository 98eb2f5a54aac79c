/** `GET /healthz`: App Service's health check; 200 when the database answers, else 503. */
import type { PortalDeps, PortalHandler } from "../deps.ts";

/** GET `/healthz` (exempt from the Front Door lock and from login). */
export function healthz(deps: PortalDeps, timeoutMs = 3000): PortalHandler {
  return async (c) => {
    const headers = { "Cache-Control": "no-store" };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        deps.sql`SELECT 1`,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return c.json({ status: "ok" }, 200, headers);
    } catch (error) {
      deps.logger.warn("health check failed", { error: (error as Error).message });
      return c.json({ status: "unavailable", detail: "database unreachable" }, 503, headers);
    } finally {
      clearTimeout(timer);
    }
  };
}
