/** What every route receives: the read-only pool, the clock, assets and the auth state. */
import type { Context, Env } from "hono";
import type { Sql } from "@kalshi-data/lib/db";
import type { Logger } from "@kalshi-data/lib/log";
import type { PortalAuth } from "@kalshi-data/lib/commands";
import type { Assets } from "./assets.ts";
import type { RevokedSessions, Session } from "./auth.ts";
import type { ExportLimiter, ExportWatchdog } from "./exports.ts";
import type { LoginThrottle } from "./login_throttle.ts";

/** Dependencies of the routes, built once by `createPortalApp`. */
export interface PortalDeps {
  /** A pool connected as the SELECT-only role. */
  sql: Sql;
  /** The current time (tests inject a fixed clock). */
  now: () => Date;
  assets: Assets;
  logger: Logger;
  auth: PortalAuth;
  /** Whether X-Forwarded-Proto/-Host are honoured. */
  trustProxy: boolean;
  throttle: LoginThrottle;
  /** Checks a password against the stored hash (auth.ts's verifyPassword; tests may wrap it). */
  verifyPassword: (password: string, hash: string) => Promise<boolean>;
  revoked: RevokedSessions;
  /** Caps on concurrent candle/tick downloads and the watchdog of streaming ones. */
  exports: { limiter: ExportLimiter; watchdog: ExportWatchdog };
}

/** Per-request values the middleware sets. */
export interface PortalEnv extends Env {
  Variables: {
    /** The client's address (socket peer, or via the trusted proxies). */
    client: string;
    /** The key per-client limits count under (an IPv6 /64 as one). */
    clientKey: string;
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
