/** The portal's command line: `deno task portal` (read-only web UI and JSON API). */
import { z } from "zod";
import {
  choiceValue,
  type Command,
  ConfigError,
  type ConfigOf,
  defineCommand,
  intValue,
  portValue,
  type Setting,
  setting,
  switchValue,
  urlValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import { parseTrustedProxies, TRUSTED_PROXIES_EXPECTED, type TrustedProxies } from "../net/mod.ts";
import { databaseUrl, logLevel, POSTGRES_LIBRARY_ENV, shutdownMs } from "./shared.ts";

/** `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>` as printed by `portal/hash_password.ts`. */
export const PASSWORD_HASH_PATTERN = /^pbkdf2-sha256\$\d{5,8}\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

/** The trusted-proxies setting: `none`, a hop count or CIDRs (see lib/net/trusted_proxies.ts). */
function trustedProxiesValue(): z.ZodType<TrustedProxies> {
  return z.string().transform((text, ctx) => {
    try {
      return parseTrustedProxies(text);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `${TRUSTED_PROXIES_EXPECTED} (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  });
}

/** `portal`: serves the read-only web portal. */
export const portalCommand: Command<{
  portalDatabaseUrl: Setting<URL | undefined>;
  databaseUrl: Setting<URL | undefined>;
  port: Setting<number>;
  websitesPort: Setting<number | undefined>;
  hostname: Setting<string>;
  frontDoorId: Setting<string | undefined>;
  auth: Setting<"none" | "password" | "appservice">;
  passwordHash: Setting<string | undefined>;
  sessionSecret: Setting<string | undefined>;
  sessionHours: Setting<number>;
  trustProxy: Setting<boolean>;
  trustedProxies: Setting<TrustedProxies>;
  poolMax: Setting<number>;
  statementTimeoutMs: Setting<number>;
  idleInTransactionTimeoutMs: Setting<number>;
  exportsPerClient: Setting<number>;
  exportsMax: Setting<number>;
  exportStallSeconds: Setting<number>;
  exportMaxSeconds: Setting<number>;
  loginAttempts: Setting<number>;
  loginWindowSeconds: Setting<number>;
  loginConcurrentHashes: Setting<number>;
  logLevel: Setting<LogLevel>;
  shutdownMs: Setting<number>;
}> = defineCommand({
  name: "portal",
  summary: "Serves the read-only web portal and its JSON API. Connects as the SELECT-only role " +
    "kalshi_reader: PORTAL_DATABASE_URL should log in as a member of it; with only DATABASE_URL " +
    "every connection switches to it (SET ROLE) and is read-only, so the portal cannot write.",
  settings: {
    portalDatabaseUrl: setting({
      env: "PORTAL_DATABASE_URL",
      flag: "portal-database-url",
      schema: urlValue(["postgres:", "postgresql:"]).optional(),
      help: "PostgreSQL URL of a login role that is a member of kalshi_reader (preferred in " +
        "production); wins over DATABASE_URL",
      expected: "a postgres:// URL",
      secret: true,
      access: "net",
    }),
    databaseUrl: setting({ ...databaseUrl, schema: databaseUrl.schema.optional() }),
    port: setting({
      env: "PORT",
      flag: "port",
      schema: portValue(),
      default: "8000",
      help: "port to listen on (Azure App Service sets PORT)",
      access: "listen",
    }),
    websitesPort: setting({
      env: "WEBSITES_PORT",
      schema: portValue().optional(),
      help: "Azure App Service's custom-container port; wins over PORT when set",
      access: "listen",
    }),
    hostname: setting({
      env: "PORTAL_HOSTNAME",
      flag: "hostname",
      schema: z.string().min(1),
      default: "0.0.0.0",
      help: "address to listen on: 0.0.0.0 every interface (App Service needs it), 127.0.0.1 " +
        "this machine only (under `deno task start`: START_LISTEN_HOST, default 127.0.0.1)",
      access: "host",
    }),
    frontDoorId: setting({
      env: "FRONT_DOOR_ID",
      flag: "front-door-id",
      schema: z.string().regex(/^[A-Za-z0-9-]{8,64}$/).optional(),
      help: "Azure Front Door ID: when set, requests without a matching X-Azure-FDID header " +
        "get 403 (/healthz exempt)",
      expected: "a Front Door ID (a GUID)",
    }),
    auth: setting({
      env: "PORTAL_AUTH",
      flag: "auth",
      schema: choiceValue(["none", "password", "appservice"]),
      default: "none",
      help: "access control: none, password (shared password login), or appservice (trust " +
        "Azure App Service Authentication's X-MS-CLIENT-PRINCIPAL headers)",
    }),
    passwordHash: setting({
      env: "PORTAL_PASSWORD_HASH",
      schema: z.string().regex(PASSWORD_HASH_PATTERN).optional(),
      help: "slow hash of the shared password (print one with `deno task portal:hash-password`)",
      expected: "pbkdf2-sha256$<iterations>$<salt>$<hash>",
      secret: true,
    }),
    sessionSecret: setting({
      env: "PORTAL_SESSION_SECRET",
      schema: z.string().min(32).optional(),
      help: "key signing session cookies (at least 32 characters of random text)",
      expected: "at least 32 characters",
      secret: true,
    }),
    sessionHours: setting({
      env: "PORTAL_SESSION_HOURS",
      schema: intValue(1, 720),
      default: "12",
      help: "lifetime of a login session in hours",
    }),
    trustProxy: setting({
      env: "PORTAL_TRUST_PROXY",
      type: "boolean",
      schema: switchValue(),
      default: "true",
      help: "honour X-Forwarded-Proto/-Host (App Service and Front Door set them); turn off " +
        "when clients reach the portal directly (the client address from X-Forwarded-For " +
        "follows PORTAL_TRUSTED_PROXIES)",
    }),
    trustedProxies: setting({
      env: "PORTAL_TRUSTED_PROXIES",
      flag: "trusted-proxies",
      schema: trustedProxiesValue(),
      default: "none",
      help: "which X-Forwarded-For entries to believe for the client address (login and export " +
        "limits count per client): none (the socket peer), a hop count (every request passes " +
        "that many proxies; App Service 1, Front Door + App Service 2), or the proxies' CIDRs",
      // No `expected`: the schema's message says what is expected and which part is wrong.
    }),
    poolMax: setting({
      env: "PORTAL_POOL_MAX",
      schema: intValue(1, 100),
      default: "10",
      help: "database connections the portal may open",
    }),
    statementTimeoutMs: setting({
      env: "PORTAL_STATEMENT_TIMEOUT_MS",
      schema: intValue(100, 600_000),
      default: "30000",
      help: "statement_timeout of every portal connection: longest one query (or one chunk of " +
        "a download) may run",
    }),
    idleInTransactionTimeoutMs: setting({
      env: "PORTAL_IDLE_IN_TRANSACTION_TIMEOUT_MS",
      schema: intValue(1000, 3_600_000),
      default: "60000",
      help: "idle_in_transaction_session_timeout of every portal connection: the server ends a " +
        "session whose transaction waits longer (the backstop behind PORTAL_EXPORT_STALL_SECONDS)",
    }),
    exportsPerClient: setting({
      env: "PORTAL_EXPORTS_PER_CLIENT",
      schema: intValue(1, 100),
      default: "3",
      help: "candle and tick downloads (CSV or JSON) one client may run at once; more get 429",
    }),
    exportsMax: setting({
      env: "PORTAL_EXPORTS_MAX",
      schema: intValue(1, 99),
      default: "5",
      help: "candle and tick downloads running at once from all clients; more get 429 (below " +
        "PORTAL_POOL_MAX, so pages always find a connection)",
    }),
    exportStallSeconds: setting({
      env: "PORTAL_EXPORT_STALL_SECONDS",
      schema: intValue(1, 3600),
      default: "30",
      help: "a CSV download whose client takes no data for this long is ended and its " +
        "connection released (below PORTAL_IDLE_IN_TRANSACTION_TIMEOUT_MS)",
    }),
    exportMaxSeconds: setting({
      env: "PORTAL_EXPORT_MAX_SECONDS",
      schema: intValue(10, 86_400),
      default: "1800",
      help: "longest a CSV download may run; longer ones are ended (ask for a shorter range)",
    }),
    loginAttempts: setting({
      env: "PORTAL_LOGIN_ATTEMPTS",
      schema: intValue(1, 1000),
      default: "5",
      help: "password logins one client may try per PORTAL_LOGIN_WINDOW_SECONDS (a successful " +
        "login clears its count); more get 429",
    }),
    loginWindowSeconds: setting({
      env: "PORTAL_LOGIN_WINDOW_SECONDS",
      schema: intValue(1, 86_400),
      default: "900",
      help: "the sliding window of PORTAL_LOGIN_ATTEMPTS",
    }),
    loginConcurrentHashes: setting({
      env: "PORTAL_LOGIN_CONCURRENT_HASHES",
      schema: intValue(1, 64),
      default: "2",
      help: "password hashes computed at once from all clients; a login beyond it gets 429 " +
        "with Retry-After (nobody is locked out)",
    }),
    logLevel,
    shutdownMs,
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  extraFlags: ["--allow-read=portal/static"],
  database: true,
  databaseAlternatives: ["PORTAL_DATABASE_URL"],
});

/** The portal's parsed settings. */
export type PortalConfig = ConfigOf<typeof portalCommand>;

/** Access control resolved from the settings. */
export type PortalAuth =
  | { mode: "none" }
  | { mode: "password"; passwordHash: string; sessionSecret: string; sessionHours: number }
  | { mode: "appservice" };

/** Checks the settings that depend on each other; throws {@linkcode ConfigError}. */
export function portalSettings(config: PortalConfig): {
  databaseUrl: string;
  port: number;
  auth: PortalAuth;
} {
  const url = config.portalDatabaseUrl ?? config.databaseUrl;
  if (!url) {
    throw new ConfigError("PORTAL_DATABASE_URL or DATABASE_URL", undefined, "a postgres:// URL");
  }
  let auth: PortalAuth = { mode: config.auth === "appservice" ? "appservice" : "none" };
  if (config.auth === "password") {
    if (!config.passwordHash) {
      throw new ConfigError(
        "PORTAL_PASSWORD_HASH",
        undefined,
        "a password hash when PORTAL_AUTH=password",
      );
    }
    if (!config.sessionSecret) {
      throw new ConfigError(
        "PORTAL_SESSION_SECRET",
        undefined,
        "at least 32 characters when PORTAL_AUTH=password",
      );
    }
    auth = {
      mode: "password",
      passwordHash: config.passwordHash,
      sessionSecret: config.sessionSecret,
      sessionHours: config.sessionHours,
    };
  }
  return { databaseUrl: url.toString(), port: config.websitesPort ?? config.port, auth };
}

/** The portal's bounds: database timeouts, download caps, login limits and proxy trust. */
export interface PortalLimits {
  /** Which X-Forwarded-For entries name the client. */
  trustedProxies: TrustedProxies;
  /** Server-side timeouts of every reader connection. */
  database: { statementTimeoutMs: number; idleInTransactionTimeoutMs: number };
  /** Concurrent candle/tick downloads and how long a CSV one may stall or run. */
  exports: { perClient: number; total: number; stallMs: number; maxMs: number };
  /** Password logins per client and window, and concurrent hashes overall. */
  login: { perClient: number; windowSeconds: number; concurrentHashes: number };
}

/** Resolves the portal's bounds and checks those that depend on each other (ConfigError). */
export function portalLimits(config: PortalConfig): PortalLimits {
  if (config.exportsMax >= config.poolMax) {
    throw new ConfigError(
      "PORTAL_EXPORTS_MAX",
      String(config.exportsMax),
      `fewer than PORTAL_POOL_MAX (${config.poolMax}) so pages always find a connection; ` +
        `lower it or raise PORTAL_POOL_MAX`,
    );
  }
  if (config.exportStallSeconds * 1000 >= config.idleInTransactionTimeoutMs) {
    throw new ConfigError(
      "PORTAL_EXPORT_STALL_SECONDS",
      String(config.exportStallSeconds),
      `less than PORTAL_IDLE_IN_TRANSACTION_TIMEOUT_MS (${config.idleInTransactionTimeoutMs} ` +
        `ms), or the server ends stalled downloads before the portal does`,
    );
  }
  if (!config.trustProxy && config.trustedProxies.mode !== "none") {
    throw new ConfigError(
      "PORTAL_TRUSTED_PROXIES (--trusted-proxies)",
      "set",
      "none while PORTAL_TRUST_PROXY=false (forwarded headers are off); set one of the two",
    );
  }
  return {
    trustedProxies: config.trustedProxies,
    database: {
      statementTimeoutMs: config.statementTimeoutMs,
      idleInTransactionTimeoutMs: config.idleInTransactionTimeoutMs,
    },
    exports: {
      perClient: config.exportsPerClient,
      total: config.exportsMax,
      stallMs: config.exportStallSeconds * 1000,
      maxMs: config.exportMaxSeconds * 1000,
    },
    login: {
      perClient: config.loginAttempts,
      windowSeconds: config.loginWindowSeconds,
      concurrentHashes: config.loginConcurrentHashes,
    },
  };
}
