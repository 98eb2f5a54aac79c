import { assertEquals, assertThrows } from "../testing/assert.ts";
import { z } from "zod";
import {
  ConfigError,
  defineCommand,
  helpText,
  loadConfig,
  parseCommandLine,
  setting,
} from "./config.ts";
import { intValue, listValue, switchValue, urlValue } from "./values.ts";

const command = defineCommand({
  name: "demo_service",
  summary: "A command used by these tests.",
  settings: {
    restUrl: setting({
      env: "KALSHI_REST_URL",
      flag: "rest-url",
      schema: urlValue(["http:", "https:"]),
      default: "https://external-api.kalshi.com/trade-api/v2",
      help: "Kalshi REST base URL",
      access: "net",
    }),
    databaseUrl: setting({
      env: "DATABASE_URL",
      schema: urlValue(["postgres:", "postgresql:"]),
      help: "PostgreSQL connection URL",
      secret: true,
    }),
    concurrency: setting({
      env: "WORKER_CONCURRENCY",
      flag: "concurrency",
      schema: intValue(1, 64),
      default: "4",
      help: "workers per process",
    }),
    series: setting({ env: "SCOPE_SERIES", schema: listValue(), default: "", help: "series" }),
    once: setting({
      env: "ONCE",
      flag: "once",
      type: "boolean",
      schema: switchValue(),
      help: "run once",
    }),
    apiKey: setting({ env: "KALSHI_API_KEY_ID", schema: z.string().optional(), help: "key id" }),
  },
});

const env = { DATABASE_URL: "postgres://user:pw@db.example:5432/kalshi" };

Deno.test("loadConfig reads defaults, environment and flags, flags winning", () => {
  const config = loadConfig(command, {
    args: ["--concurrency", "8", "--once"],
    env: { ...env, WORKER_CONCURRENCY: "2", SCOPE_SERIES: "KXA, KXB" },
  });
  assertEquals(config.restUrl.host, "external-api.kalshi.com");
  assertEquals(config.concurrency, 8);
  assertEquals(config.once, true);
  assertEquals(config.series, ["KXA", "KXB"]);
  assertEquals(config.apiKey, undefined);
});

Deno.test("a missing required variable names the variable and says it was not set", () => {
  const error = assertThrows(() => loadConfig(command, { env: {} }), ConfigError);
  assertEquals(error.variable, "DATABASE_URL");
  assertEquals(error.received, undefined);
  assertEquals(error.message.includes("not set"), true);
});

Deno.test("a malformed URL is refused with the value received and what was expected", () => {
  const error = assertThrows(
    () => loadConfig(command, { args: ["--rest-url", "not a url"], env }),
    ConfigError,
  );
  assertEquals(error.variable, "KALSHI_REST_URL (--rest-url)");
  assertEquals(error.received, "not a url");
  assertEquals(error.expected, "a URL (http: or https:)");
});

Deno.test("a URL with the wrong scheme is refused", () => {
  const error = assertThrows(
    () => loadConfig(command, { env: { DATABASE_URL: "mysql://x/y" } }),
    ConfigError,
  );
  assertEquals(error.expected.includes("postgres:"), true);
});

Deno.test("an out-of-range number is refused with its range", () => {
  const error = assertThrows(
    () => loadConfig(command, { env: { ...env, WORKER_CONCURRENCY: "500" } }),
    ConfigError,
  );
  assertEquals(error.received, "500");
  assertEquals(error.expected, "an integer from 1 to 64");
});

Deno.test("a secret value is never echoed in an error", () => {
  const error = assertThrows(
    () => loadConfig(command, { env: { DATABASE_URL: "hunter2-secret" } }),
    ConfigError,
  );
  assertEquals(error.message.includes("hunter2"), false);
  assertEquals(error.received, "<hidden, 14 characters>");
});

Deno.test("an unknown flag is a usage error that points to --help", () => {
  const error = assertThrows(() => loadConfig(command, { args: ["--nope"], env }), ConfigError);
  assertEquals(error.message.includes("--help"), true);
});

Deno.test("--help returns the help text listing every variable and default", () => {
  const parsed = parseCommandLine(command, { args: ["--help"], env: {} });
  assertEquals(parsed.help, true);
  const text = helpText(command);
  for (const name of ["KALSHI_REST_URL", "DATABASE_URL", "WORKER_CONCURRENCY", "--concurrency"]) {
    assertEquals(text.includes(name), true, name);
  }
});
