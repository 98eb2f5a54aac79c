/** The portal's command line: `deno task portal` (read-only web UI and JSON API). */
import { z } from "zod";
import {
  choiceValue,
  ConfigError,
  defineCommand,
  intValue,
  portValue,
  setting,
  switchValue,
  urlValue,
} from "../config/mod.ts";
import { databaseUrl, logLevel, POSTGRES_LIBRARY_ENV, shutdownMs } from "./shared.ts";

/** `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>` as printed by `portal/hash_password.ts`. */
export const PASSWORD_HASH_PATTERN = /^pbkdf2-sha256\$\d{5,8}\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/;

/** `portal`: serves the read-only web portal. */
export const portalCommand = defineCommand({
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
      help: "honour X-Forwarded-For/-Proto/-Host (App Service and Front Door set them); turn " +
        "off when clients reach the portal directly",
    }),
    poolMax: setting({
      env: "PORTAL_POOL_MAX",
      schema: intValue(1, 100),
      default: "10",
      help: "database connections the portal may open",
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
export type PortalConfig = {
  [K in keyof typeof portalCommand.settings]: z.output<
    (typeof portalCommand.settings)[K]["schema"]
  >;
};

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
