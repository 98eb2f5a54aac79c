/**
 * `GET /healthz`: App Service's health check; 200 when the database answers, else 503.
 * `GET /readyz`: the same question in the services' readiness shape (`ready`, `checks`, `reasons`).
 * @module
 */
import type { PortalDeps, PortalHandler } from "../deps.ts";

/** Whether the database answers `SELECT 1` within `timeoutMs`; the error message when not. */
async function databaseAnswers(deps: PortalDeps, timeoutMs: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      deps.sql`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return null;
  } catch (error) {
    const message = (error as Error).message;
    deps.logger.warn("health check failed", { error: message });
    return message;
  } finally {
    clearTimeout(timer);
  }
}

/** GET `/healthz` (exempt from the Front Door lock and from login). */
export function healthz(deps: PortalDeps, timeoutMs = 3000): PortalHandler {
  return async (c) => {
    const headers = { "Cache-Control": "no-store" };
    const failure = await databaseAnswers(deps, timeoutMs);
    return failure === null
      ? c.json({ status: "ok" }, 200, headers)
      : c.json({ status: "unavailable", detail: "database unreachable" }, 503, headers);
  };
}

/** GET `/readyz` (exempt like /healthz): 503 with a JSON reason when the database is unreachable. */
export function readyz(deps: PortalDeps, timeoutMs = 3000): PortalHandler {
  return async (c) => {
    const headers = { "Cache-Control": "no-store" };
    const failure = await databaseAnswers(deps, timeoutMs);
    const check = failure === null
      ? { name: "database", ok: true }
      : { name: "database", ok: false, reason: "database unreachable" };
    const body = {
      service: "portal",
      ready: check.ok,
      checks: [check],
      reasons: check.ok ? [] : [`database: ${check.reason}`],
    };
    return c.json(body, check.ok ? 200 : 503, headers);
  };
}
