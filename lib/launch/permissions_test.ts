import { z } from "zod";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { defineCommand, parseCommandLine, portValue, setting, urlValue } from "../config/mod.ts";
import { migratorCommand, ragServiceCommand } from "../commands/mod.ts";
import { permissionFlags, planPermissions } from "./permissions.ts";
import { planLaunch } from "./launch.ts";

const command = defineCommand({
  name: "demo",
  summary: "demo",
  settings: {
    rest: setting({
      env: "KALSHI_REST_URL",
      schema: urlValue(["https:", "http:"]),
      access: "net",
      help: "",
    }),
    ws: setting({
      env: "KALSHI_WS_URL",
      schema: urlValue(["wss:", "ws:"]),
      access: "net",
      help: "",
    }),
    db: setting({ env: "DATABASE_URL", schema: urlValue(["postgres:"]), access: "net", help: "" }),
    amqp: setting({
      env: "AMQP_URL",
      schema: urlValue(["amqp:"]).optional(),
      access: "net",
      help: "",
    }),
    key: setting({
      env: "KALSHI_PRIVATE_KEY_PATH",
      schema: z.string().optional(),
      access: "read",
      help: "",
    }),
    spool: setting({
      env: "WS_SPOOL_DIR",
      schema: z.string(),
      default: ".spool",
      access: "write",
      help: "",
    }),
    port: setting({
      env: "METRICS_PORT",
      schema: portValue().optional(),
      access: "listen",
      help: "",
    }),
  },
  extraEnv: ["PGAPPNAME"],
});

Deno.test("permissions follow configuration: only the configured hosts, paths and variables", () => {
  const parsed = parseCommandLine(command, {
    env: {
      KALSHI_REST_URL: "https://external-api.kalshi.com/trade-api/v2",
      KALSHI_WS_URL: "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
      DATABASE_URL: "postgres://u:secret@db.internal:6432/kalshi",
      KALSHI_PRIVATE_KEY_PATH: "/etc/kalshi/key.pem",
      METRICS_PORT: "9400",
    },
  });
  if (parsed.help) throw new Error("unexpected help");
  const flags = permissionFlags(planPermissions(command, parsed.config));
  assertEquals(flags, [
    "--allow-net=external-api.kalshi.com,external-api-ws.kalshi.com,db.internal:6432,0.0.0.0:9400,127.0.0.1:9400",
    "--allow-read=/etc/kalshi/key.pem,.spool",
    "--allow-write=.spool",
    "--allow-env=KALSHI_REST_URL,KALSHI_WS_URL,DATABASE_URL,AMQP_URL,KALSHI_PRIVATE_KEY_PATH,WS_SPOOL_DIR,METRICS_PORT,PGAPPNAME",
  ]);
  assertOk(!flags.some((f) => f === "-A" || f === "--allow-all" || f.includes("secret")));
});

Deno.test("the launch plan runs the entry with derived flags and passes only the command's variables", () => {
  const plan = planLaunch({ command: migratorCommand, entry: "services/migrator/main.ts" }, {
    args: ["--status"],
    env: { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/x", HOME: "/root", AWS_SECRET: "s" },
  });
  if ("help" in plan) throw new Error("unexpected help");
  assertEquals(plan.args[0], "run");
  assertOk(plan.args.includes("--allow-net=127.0.0.1:5432"));
  assertOk(plan.args.includes("--allow-read=migrations"));
  assertOk(plan.args.at(-2)!.endsWith("services/migrator/main.ts"));
  assertEquals(plan.args.at(-1), "--status");
  assertEquals(plan.env, { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/x" });
  assertOk(!plan.args.some((a) => a === "-A" || a === "--allow-all" || a === "--allow-run"));
});

Deno.test("a bad setting stops the launch before anything runs", () => {
  let thrown: unknown;
  try {
    planLaunch({ command: migratorCommand, entry: "services/migrator/main.ts" }, {
      args: [],
      env: { DATABASE_URL: "http://wrong" },
    });
  } catch (error) {
    thrown = error;
  }
  assertOk(thrown instanceof Error && thrown.message.includes("DATABASE_URL"));
});

Deno.test("a setting's derived grants: read for each module path, net for each endpoint host", () => {
  const parsed = parseCommandLine(ragServiceCommand, {
    args: ["--predictors", "offline,module:models/a.ts,http:https://api.example.org:8443/p"],
    env: { DATABASE_URL: "postgres://u@db.internal:5432/k" },
  });
  if (parsed.help) throw new Error("unexpected help");
  const flags = permissionFlags(planPermissions(ragServiceCommand, parsed.config));
  assertEquals(flags.slice(0, 2), [
    "--allow-net=db.internal:5432,api.example.org:8443",
    "--allow-read=models/a.ts",
  ]);
  const offline = parseCommandLine(ragServiceCommand, {
    env: { DATABASE_URL: "postgres://u@db.internal:5432/k" },
  });
  if (offline.help) throw new Error("unexpected help");
  const plain = permissionFlags(planPermissions(ragServiceCommand, offline.config));
  assertEquals(plain[0], "--allow-net=db.internal:5432");
  assertOk(!plain.some((f) => f.startsWith("--allow-read")), plain.join(" "));
});
