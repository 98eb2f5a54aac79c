import { metricsHost, metricsPort, portalCommand } from "../commands/mod.ts";
import { ConfigError, defineCommand, ipAddressValue, parseCommandLine } from "../config/mod.ts";
import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import { planPermissions } from "./permissions.ts";
import { chosenServices, listenSummary } from "./system.ts";

const service = defineCommand({
  name: "demo",
  summary: "demo",
  settings: { metricsPort, metricsHost },
});

function netGrant(env: Record<string, string>): string[] {
  const parsed = parseCommandLine(service, { env });
  if (parsed.help) throw new Error("unexpected help");
  return planPermissions(service, parsed.config).net;
}

Deno.test("a listen address is an IP address; anything else is refused naming the setting", () => {
  for (const ok of ["127.0.0.1", "0.0.0.0", "10.1.2.3", "::1", "::"]) {
    assertEquals(ipAddressValue().safeParse(ok).success, true, ok);
  }
  for (const bad of ["localhost", "everywhere", "256.1.1.1", "127.0.0.1:80", ""]) {
    assertEquals(ipAddressValue().safeParse(bad).success, false, bad);
  }
  const error = assertThrows(
    () => netGrant({ METRICS_PORT: "9400", METRICS_HOST: "nowhere" }),
    ConfigError,
  );
  assertEquals(error.variable, "METRICS_HOST (--metrics-host)");
  assertOk(error.message.includes("an IP address"), error.message);
});

Deno.test("the metrics port is granted on the address METRICS_HOST names (IPv6 in brackets)", () => {
  assertEquals(netGrant({ METRICS_PORT: "9400" }), ["0.0.0.0:9400", "127.0.0.1:9400"]);
  assertEquals(netGrant({ METRICS_PORT: "9400", METRICS_HOST: "10.1.2.3" }), [
    "0.0.0.0:9400",
    "127.0.0.1:9400",
    "10.1.2.3:9400",
  ]);
  assertEquals(netGrant({ METRICS_PORT: "9400", METRICS_HOST: "::1" }), [
    "0.0.0.0:9400",
    "127.0.0.1:9400",
    "[::1]:9400",
  ]);
  assertEquals(netGrant({ METRICS_HOST: "10.1.2.3" }), [], "no port, no grant");
  const portal = parseCommandLine(portalCommand, {
    env: { DATABASE_URL: "postgres://svc@db:5432/kalshi", PORTAL_HOSTNAME: "10.0.0.7" },
  });
  if (portal.help) throw new Error("unexpected help");
  assertOk(planPermissions(portalCommand, portal.config).net.includes("10.0.0.7:8000"));
});

Deno.test("start checks the service names before it starts anything", () => {
  assertOk(chosenServices([]).includes("rest_service"), "empty means every service");
  assertEquals(chosenServices(["ws_service"]), ["ws_service"]);
  const error = assertThrows(() => chosenServices(["ws_service", "nope"]), ConfigError);
  assertEquals(error.variable, "START_SERVICES (--services)");
  assertOk(error.message.includes("nope is not a service"), error.message);
});

Deno.test("the start summary says where the endpoints listen and how to change it", () => {
  const local = listenSummary("127.0.0.1");
  assertOk(local.includes("127.0.0.1 (this machine only)"), local);
  assertOk(local.includes("START_LISTEN_HOST (--listen-host)"), local);
  const open = listenSummary("0.0.0.0");
  assertOk(open.includes("every network interface"), open);
  assertOk(open.includes("START_LISTEN_HOST (--listen-host) 127.0.0.1"), open);
});
