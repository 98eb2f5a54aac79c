import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import { ConfigError, loadConfig } from "../config/mod.ts";
import { portalCommand, portalLimits } from "./portal.ts";

const base = { DATABASE_URL: "postgres://svc@db/kalshi" };
const limitsOf = (env: Record<string, string>) =>
  portalLimits(loadConfig(portalCommand, { env: { ...base, ...env } }));

Deno.test("portal limits default to safe bounds and no trusted proxy", () => {
  assertEquals(limitsOf({}), {
    trustedProxies: { mode: "none" },
    database: { statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000 },
    exports: { perClient: 3, total: 5, stallMs: 30_000, maxMs: 1_800_000 },
    login: { perClient: 5, windowSeconds: 900, concurrentHashes: 2 },
  });
  assertEquals(limitsOf({ PORTAL_TRUSTED_PROXIES: "2" }).trustedProxies, { mode: "hops", hops: 2 });
  assertEquals(limitsOf({ PORTAL_TRUSTED_PROXIES: "10.0.0.0/8" }).trustedProxies.mode, "cidrs");
});

Deno.test("limits that contradict each other are refused with what to do", () => {
  const exports = assertThrows(
    () => limitsOf({ PORTAL_EXPORTS_MAX: "10", PORTAL_POOL_MAX: "10" }),
    ConfigError,
  );
  assertEquals(exports.variable, "PORTAL_EXPORTS_MAX");
  assertOk(exports.message.includes("fewer than PORTAL_POOL_MAX (10)"), exports.message);
  const stall = assertThrows(
    () => limitsOf({ PORTAL_EXPORT_STALL_SECONDS: "60" }),
    ConfigError,
  );
  assertEquals(stall.variable, "PORTAL_EXPORT_STALL_SECONDS");
  const proxies = assertThrows(
    () => limitsOf({ PORTAL_TRUST_PROXY: "false", PORTAL_TRUSTED_PROXIES: "1" }),
    ConfigError,
  );
  assertOk(proxies.message.includes("PORTAL_TRUST_PROXY=false"), proxies.message);
});

Deno.test("a malformed PORTAL_TRUSTED_PROXIES names the variable and the bad part", () => {
  const error = assertThrows(
    () => loadConfig(portalCommand, { env: { ...base, PORTAL_TRUSTED_PROXIES: "10.0.0.0/8,fd" } }),
    ConfigError,
  );
  assertEquals(error.variable, "PORTAL_TRUSTED_PROXIES (--trusted-proxies)");
  assertOk(error.message.includes("a hop count from 1 to 16"), error.message);
  assertOk(error.message.includes('"fd" is not an address or CIDR range'), error.message);
});
