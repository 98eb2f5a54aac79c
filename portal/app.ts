/**
 * Builds the portal: a Hono app over a read-only pool. Every dependency comes in as an argument,
 * so tests call `app.request()` against a seeded database and main.ts only wires.
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie } from "hono/cookie";
import type { Sql } from "@kalshi-data/lib/db";
import { createLogger, type Logger } from "@kalshi-data/lib/log";
import type { PortalAuth } from "@kalshi-data/lib/commands";
import type { TrustedProxies } from "@kalshi-data/lib/net";
import type { Assets } from "./assets.ts";
import {
  csrfToken,
  RevokedSessions,
  SESSION_COOKIE,
  verifyPassword,
  verifySession,
} from "./auth.ts";
import { ExportLimiter, ExportWatchdog } from "./exports.ts";
import { LoginThrottle } from "./login_throttle.ts";
import type { PortalDeps, PortalEnv } from "./deps.ts";
import type { ResponseCache } from "./response_cache.ts";
import { ParamError } from "./params.ts";
import { errorResponse, isApi } from "./render.tsx";
import { frontDoorLock, identifyClient, securityHeaders } from "./security.ts";
import { browseApi } from "./routes/api/browse.ts";
import { eventApi } from "./routes/api/events/[ticker].ts";
import { eventPricesApi } from "./routes/api/events/[ticker]/prices.ts";
import { marketApi } from "./routes/api/markets/[ticker].ts";
import { candlesApi } from "./routes/api/markets/[ticker]/candles.ts";
import { orderbookApi } from "./routes/api/markets/[ticker]/orderbook.ts";
import { ticksApi } from "./routes/api/markets/[ticker]/ticks.ts";
import { tradesApi } from "./routes/api/markets/[ticker]/trades.ts";
import { opportunitiesApi } from "./routes/api/opportunities.ts";
import { overviewApi } from "./routes/api/overview.ts";
import { predictionsApi } from "./routes/api/predictions.ts";
import { browsePage } from "./routes/browse.tsx";
import { eventPage } from "./routes/events/[ticker].tsx";
import { healthz, readyz } from "./routes/healthz.ts";
import { overviewLoader, overviewPage } from "./routes/index.tsx";
import { loginPage, loginSubmit, logoutSubmit } from "./routes/login.tsx";
import { marketPage } from "./routes/markets/[ticker].tsx";
import { tradesPage } from "./routes/markets/[ticker]/trades.tsx";
import { opportunitiesPage } from "./routes/opportunities.tsx";
import { predictionsPage } from "./routes/predictions.tsx";
import { staticAsset } from "./routes/static.ts";

/** Options of {@linkcode createPortalApp}. */
export interface PortalOptions {
  /** Built assets (see assets.ts). */
  assets: Assets;
  /** Access control; default none. */
  auth?: PortalAuth;
  /** Azure Front Door ID to require in X-Azure-FDID. */
  frontDoorId?: string;
  /** Honour X-Forwarded-Proto/-Host (default true: App Service and Front Door set them). */
  trustProxy?: boolean;
  /** Which X-Forwarded-For entries name the client; default none (the socket peer). */
  trustedProxies?: TrustedProxies;
  /** Clock; default the system clock. */
  now?: () => Date;
  logger?: Logger;
  /** Login throttle (tests pass small limits). */
  throttle?: LoginThrottle;
  /** Password check; default auth.ts's verifyPassword (tests wrap it to hold hashes open). */
  verifyPassword?: (password: string, hash: string) => Promise<boolean>;
  /**
   * Download caps and watchdog. Without a limiter downloads are not capped (main.ts passes the
   * configured caps; benchmarks and most tests want none); the default watchdog ends downloads
   * stalled 30 s or running 30 min.
   */
  exports?: { limiter?: ExportLimiter; watchdog?: ExportWatchdog };
  /** Largest request body accepted (413 beyond); default {@linkcode MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Seconds pages may be cached by browsers (and shared caches when auth is off); default 15. */
  pageMaxAge?: number;
  /**
   * In-process cache of page and JSON answers (see response_cache.ts); used only without access
   * control, and its TTL must not exceed `pageMaxAge`. Off when absent (tests see fresh data).
   */
  responseCache?: ResponseCache;
}

/** Default largest request body: the login and logout forms need well under 4 KB. */
export const MAX_BODY_BYTES = 16 * 1024;

function pageCaching(deps: PortalDeps, maxAge: number): MiddlewareHandler<PortalEnv> {
  const scope = deps.auth.mode === "none" ? "public" : "private";
  return async (c, next) => {
    await next();
    if (c.res.headers.has("Cache-Control")) return;
    const cacheable = c.res.status === 200 && (c.req.method === "GET" || c.req.method === "HEAD");
    c.res.headers.set("Cache-Control", cacheable ? `${scope}, max-age=${maxAge}` : "no-store");
    if (deps.auth.mode !== "none") c.res.headers.append("Vary", "Cookie");
  };
}

function authGate(deps: PortalDeps): MiddlewareHandler<PortalEnv> {
  const auth = deps.auth;
  return async (c, next) => {
    const path = c.req.path;
    if (
      auth.mode === "none" || path === "/healthz" || path === "/readyz" ||
      path.startsWith("/static/")
    ) {
      return next();
    }
    if (auth.mode === "appservice") {
      const user = c.req.header("x-ms-client-principal-name") ??
        c.req.header("x-ms-client-principal-id");
      if (!user) {
        return errorResponse(c, deps, {
          status: 401,
          title: "Sign-in required",
          message: "This portal relies on Azure App Service Authentication, which did not " +
            "identify you. Sign in through /.auth/login.",
        });
      }
      c.set("user", user);
      return next();
    }
    if (path === "/login") return next();
    const session = await verifySession(auth.sessionSecret, getCookie(c, SESSION_COOKIE), {
      now: deps.now(),
      revoked: deps.revoked,
    });
    if (!session) {
      if (isApi(c)) {
        return errorResponse(c, deps, {
          status: 401,
          title: "Log in required",
          message: "Log in at /login first; the API uses the same session cookie.",
        });
      }
      const url = new URL(c.req.url);
      const next = encodeURIComponent(url.pathname + url.search);
      return c.redirect(`/login?next=${next}`, 303);
    }
    c.set("session", session);
    c.set("logoutToken", await csrfToken(auth.sessionSecret, session));
    return next();
  };
}

function portalDeps(sql: Sql, options: PortalOptions): PortalDeps {
  return {
    sql,
    now: options.now ?? (() => new Date()),
    assets: options.assets,
    logger: options.logger ?? createLogger("portal"),
    auth: options.auth ?? { mode: "none" },
    trustProxy: options.trustProxy ?? true,
    throttle: options.throttle ?? new LoginThrottle(),
    verifyPassword: options.verifyPassword ?? verifyPassword,
    revoked: new RevokedSessions(),
    exports: {
      limiter: options.exports?.limiter ??
        new ExportLimiter({ perClient: Infinity, total: Infinity }),
      watchdog: options.exports?.watchdog ??
        new ExportWatchdog({ stallMs: 30_000, maxMs: 30 * 60_000 }),
    },
  };
}

/** 413 for a request body over `maxBytes` (declared or streamed), before any handler reads it. */
function requestBodyLimit(deps: PortalDeps, maxBytes: number): MiddlewareHandler<PortalEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      errorResponse(c, deps, {
        status: 413,
        title: "Request too large",
        message: `Request bodies may hold at most ${maxBytes} bytes.`,
      }),
  });
}

/** Logs once that X-Forwarded-For arrives but no trust setting lets it name the client. */
function ignoredForwardWarning(deps: PortalDeps): () => void {
  let warned = false;
  return () => {
    if (warned) return;
    warned = true;
    deps.logger.warn("X-Forwarded-For ignored", {
      hint: "requests carry X-Forwarded-For but PORTAL_TRUSTED_PROXIES does not trust their " +
        "sender, so limits count per socket peer (behind a proxy: every client as one); set " +
        "PORTAL_TRUSTED_PROXIES to the hop count or the proxies' CIDRs",
    });
  };
}

/** Creates the portal app reading through `sql` (a pool connected as kalshi_reader). */
export function createPortalApp(sql: Sql, options: PortalOptions): Hono<PortalEnv> {
  const deps = portalDeps(sql, options);
  const app = new Hono<PortalEnv>();
  app.use(securityHeaders({ trustProxy: deps.trustProxy }));
  app.use(frontDoorLock(options.frontDoorId));
  app.use(requestBodyLimit(deps, options.maxBodyBytes ?? MAX_BODY_BYTES));
  app.use(identifyClient(options.trustedProxies ?? { mode: "none" }, ignoredForwardWarning(deps)));
  app.use(pageCaching(deps, options.pageMaxAge ?? 15));
  app.use(authGate(deps));
  if (options.responseCache && deps.auth.mode === "none") {
    app.use(options.responseCache.middleware);
  }

  const overview = overviewLoader(deps);
  app.get("/healthz", healthz(deps));
  app.get("/readyz", readyz(deps));
  app.get("/static/build/:file", staticAsset(deps));
  app.get("/", overviewPage(deps, overview));
  app.get("/browse", browsePage(deps));
  app.get("/events/:ticker", eventPage(deps));
  app.get("/markets/:ticker", marketPage(deps));
  app.get("/markets/:ticker/trades", tradesPage(deps));
  app.get("/opportunities", opportunitiesPage(deps));
  app.get("/predictions", predictionsPage(deps));
  app.get("/api/overview", overviewApi(overview));
  app.get("/api/browse", browseApi(deps));
  app.get("/api/events/:ticker", eventApi(deps));
  app.get("/api/events/:ticker/prices", eventPricesApi(deps));
  app.get("/api/markets/:ticker", marketApi(deps));
  app.get("/api/markets/:ticker/candles", candlesApi(deps));
  app.get("/api/markets/:ticker/ticks", ticksApi(deps));
  app.get("/api/markets/:ticker/orderbook", orderbookApi(deps));
  app.get("/api/markets/:ticker/trades", tradesApi(deps));
  app.get("/api/opportunities", opportunitiesApi(deps));
  app.get("/api/predictions", predictionsApi(deps));
  if (deps.auth.mode === "password") {
    app.get("/login", loginPage(deps));
    app.post("/login", loginSubmit(deps));
    app.post("/logout", logoutSubmit(deps));
  }

  app.notFound((c) =>
    errorResponse(c, deps, {
      status: 404,
      title: "Not found",
      message: `Nothing lives at ${c.req.path}.`,
    })
  );
  app.onError((error, c) => {
    if (error instanceof ParamError) {
      return errorResponse(c, deps, {
        status: 400,
        title: "Bad request",
        message: error.message,
        param: error.param,
      });
    }
    deps.logger.error("request failed", {
      method: c.req.method,
      path: c.req.path,
      error: (error as Error).message,
    });
    return errorResponse(c, deps, {
      status: 500,
      title: "Something went wrong",
      message: "The portal could not answer this request; the error was logged.",
    });
  });
  return app;
}
