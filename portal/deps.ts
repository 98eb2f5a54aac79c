/** What every route receives: the read-only pool, the clock, assets and the auth state. */
import type { Context, Env } from "hono";
import type { Sql } from "../lib/db/pool.ts";
import type { Logger } from "../lib/log/mod.ts";
import type { PortalAuth } from "../lib/commands/portal.ts";
import type { Assets } from "./assets.ts";
import type { LoginThrottle, RevokedSessions, Session } from "./auth.ts";

/** Dependencies of the routes, built once by `createPortalApp`. */
export interface PortalDeps {
  /** A pool connected as the SELECT-only role. */
  sql: Sql;
  /** The current time (tests inject a fixed clock). */
  now: () => Date;
  assets: Assets;
  logger: Logger;
  auth: PortalAuth;
  /** Whether X-Forwarded-* headers are honoured. */
  trustProxy: boolean;
  throttle: LoginThrottle;
  revoked: RevokedSessions;
}

/** Per-request values the auth gate sets. */
export interface PortalEnv extends Env {
  Variables: {
    session?: Session;
    /** CSRF token of the logout form. */
    logoutToken?: string;
    /** Signed-in user (App Service authentication). */
    user?: string;
  };
  Bindings: { remoteAddr?: { hostname?: string } } | undefined;
}

/** A request context of the portal. */
export type PortalContext = Context<PortalEnv>;

/** A route handler. */
export type PortalHandler = (c: PortalContext) => Response | Promise<Response>;
