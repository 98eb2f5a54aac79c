import { assertEquals, assertThrows } from "../testing/assert.ts";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { planPermissions } from "../launch/mod.ts";
import { portalCommand, portalSettings } from "./portal.ts";

const HASH =
  "pbkdf2-sha256$600000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=";

Deno.test("portal settings default to port 8000, no auth and DATABASE_URL", () => {
  const config = loadConfig(portalCommand, {
    env: { DATABASE_URL: "postgres://svc@db.internal:5432/kalshi" },
  });
  const settings = portalSettings(config);
  assertEquals(settings, {
    databaseUrl: "postgres://svc@db.internal:5432/kalshi",
    port: 8000,
    auth: { mode: "none" },
  });
  assertEquals(config.trustProxy, true);
});

Deno.test("PORTAL_DATABASE_URL wins over DATABASE_URL and WEBSITES_PORT over PORT", () => {
  const config = loadConfig(portalCommand, {
    env: {
      DATABASE_URL: "postgres://svc@db:5432/kalshi",
      PORTAL_DATABASE_URL: "postgres://portal:pw@reader.example:5432/kalshi?sslmode=require",
      PORT: "8080",
      WEBSITES_PORT: "80",
    },
  });
  const settings = portalSettings(config);
  assertEquals(
    settings.databaseUrl,
    "postgres://portal:pw@reader.example:5432/kalshi?sslmode=require",
  );
  assertEquals(settings.port, 80);
  const plan = planPermissions(portalCommand, config);
  assertEquals(plan.net, [
    "reader.example:5432",
    "db:5432",
    "0.0.0.0:8080",
    "127.0.0.1:8080",
    "0.0.0.0:80",
    "127.0.0.1:80",
  ]);
  assertEquals(plan.extra, ["--allow-read=portal/static"]);
});

Deno.test("password mode needs both the hash and the session secret", () => {
  const base = { DATABASE_URL: "postgres://svc@db/kalshi", PORTAL_AUTH: "password" };
  const noHash = assertThrows(
    () => portalSettings(loadConfig(portalCommand, { env: base })),
    ConfigError,
  );
  assertEquals(noHash.variable, "PORTAL_PASSWORD_HASH");
  const noSecret = assertThrows(
    () =>
      portalSettings(loadConfig(portalCommand, { env: { ...base, PORTAL_PASSWORD_HASH: HASH } })),
    ConfigError,
  );
  assertEquals(noSecret.variable, "PORTAL_SESSION_SECRET");
  const settings = portalSettings(loadConfig(portalCommand, {
    env: { ...base, PORTAL_PASSWORD_HASH: HASH, PORTAL_SESSION_SECRET: "x".repeat(32) },
  }));
  assertEquals(settings.auth.mode, "password");
});

Deno.test("malformed portal settings name the variable and hide secrets", () => {
  const env = { DATABASE_URL: "postgres://svc@db/kalshi" };
  const badHash = assertThrows(
    () => loadConfig(portalCommand, { env: { ...env, PORTAL_PASSWORD_HASH: "hunter2" } }),
    ConfigError,
  );
  assertEquals(badHash.variable, "PORTAL_PASSWORD_HASH");
  assertEquals(badHash.received, "<hidden, 7 characters>");
  assertEquals(
    assertThrows(
      () => loadConfig(portalCommand, { env: { ...env, PORTAL_AUTH: "oauth" } }),
      ConfigError,
    )
      .variable,
    "PORTAL_AUTH (--auth)",
  );
  assertEquals(
    assertThrows(
      () => loadConfig(portalCommand, { env: { ...env, FRONT_DOOR_ID: "x y" } }),
      ConfigError,
    )
      .variable,
    "FRONT_DOOR_ID (--front-door-id)",
  );
  assertEquals(
    assertThrows(() => loadConfig(portalCommand, { env: { ...env, PORT: "99999" } }), ConfigError)
      .variable,
    "PORT (--port)",
  );
});
