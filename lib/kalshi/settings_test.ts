import { ConfigError, defineCommand, loadConfig } from "../config/mod.ts";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { credentialsFromSettings, kalshiSettings } from "./settings.ts";

const command = defineCommand({ name: "t", summary: "test", settings: kalshiSettings });

Deno.test("the shared Kalshi settings default to production and 20 reads per second", () => {
  const config = loadConfig(command, { env: {} });
  assertEquals(config.kalshiRestUrl.href, "https://external-api.kalshi.com/trade-api/v2");
  assertEquals(config.kalshiWsUrl.href, "wss://external-api-ws.kalshi.com/trade-api/ws/v2");
  assertEquals(config.kalshiReadsPerSecond, 20);
  assertEquals(config.kalshiReadBurstSeconds, 1);
});

Deno.test("a read burst beyond Kalshi's 3 s bucket is a ConfigError naming KALSHI_READ_BURST_SECONDS", () => {
  assertEquals(
    loadConfig(command, { env: { KALSHI_READ_BURST_SECONDS: "0.5" } }).kalshiReadBurstSeconds,
    0.5,
  );
  for (const value of ["4", "0", "-1", "x"]) {
    try {
      loadConfig(command, { env: { KALSHI_READ_BURST_SECONDS: value } });
      throw new Error(`accepted ${value}`);
    } catch (error) {
      assertOk(
        error instanceof ConfigError && error.variable.startsWith("KALSHI_READ_BURST_SECONDS"),
        String(error),
      );
    }
  }
});

Deno.test("a WebSocket URL with an http scheme is a ConfigError naming KALSHI_WS_URL", () => {
  try {
    loadConfig(command, { env: { KALSHI_WS_URL: "https://x/trade-api/ws/v2" } });
    throw new Error("accepted");
  } catch (error) {
    assertOk(error instanceof ConfigError && error.variable.startsWith("KALSHI_WS_URL"));
  }
});

Deno.test("credentials are null without key settings and a ConfigError with only one of them", async () => {
  assertEquals(await credentialsFromSettings({}), null);
  const onlyId = await assertRejects(credentialsFromSettings({ kalshiApiKeyId: "k" }), ConfigError);
  assertOk(onlyId.variable.startsWith("KALSHI_PRIVATE_KEY_PATH"));
  const onlyPath = await assertRejects(
    credentialsFromSettings({ kalshiPrivateKeyPath: "/k.pem" }),
    ConfigError,
  );
  assertOk(onlyPath.variable.startsWith("KALSHI_API_KEY_ID"));
  const unreadable = await assertRejects(
    credentialsFromSettings({ kalshiApiKeyId: "k", kalshiPrivateKeyPath: "/nonexistent/k.pem" }),
    ConfigError,
  );
  assertEquals(unreadable.received, "/nonexistent/k.pem");
});
