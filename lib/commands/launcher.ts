/** The launcher's command line: `deno task start [--sim]`. */
import {
  type Command,
  defineCommand,
  intValue,
  ipAddressValue,
  listValue,
  portValue,
  type Setting,
  setting,
  switchValue,
  urlValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import { logLevel } from "./shared.ts";

/** `start`: the whole system, supervised. */
export const launcherCommand: Command<{
  databaseUrl: Setting<URL | undefined>;
  logLevel: Setting<LogLevel>;
  sim: Setting<boolean>;
  simPort: Setting<number>;
  simMarkets: Setting<number>;
  services: Setting<string[]>;
  metricsBasePort: Setting<number>;
  listenHost: Setting<string>;
  once: Setting<boolean>;
}> = defineCommand({
  name: "start",
  summary: "Runs the whole system: PostgreSQL (DATABASE_URL, or the embedded default in " +
    ".data/postgres), the migrator, then every service as a supervised child process with its " +
    "own permission flags (restart with backoff, signals forwarded, one merged JSON log). " +
    "--sim also starts the Kalshi simulator and points every service at it.",
  settings: {
    databaseUrl: setting({
      env: "DATABASE_URL",
      flag: "database-url",
      schema: urlValue(["postgres:", "postgresql:"]).optional(),
      help: "PostgreSQL URL; unset starts the embedded PostgreSQL",
      expected: "a postgres:// URL",
      secret: true,
    }),
    logLevel,
    sim: setting({
      env: "START_SIM",
      flag: "sim",
      type: "boolean",
      schema: switchValue(),
      help: "start the Kalshi simulator and point every service at it",
    }),
    simPort: setting({
      env: "SIM_PORT",
      flag: "sim-port",
      schema: portValue(),
      default: "8787",
      help: "port of the simulator (with --sim)",
    }),
    simMarkets: setting({
      env: "SIM_MARKETS",
      flag: "sim-markets",
      schema: intValue(1, 1_000_000),
      default: "200",
      help: "markets in the simulated world (with --sim)",
    }),
    services: setting({
      env: "START_SERVICES",
      flag: "services",
      schema: listValue(),
      default: "",
      help: "comma-separated services to run (default: every service that exists)",
    }),
    metricsBasePort: setting({
      env: "METRICS_BASE_PORT",
      flag: "metrics-base-port",
      schema: portValue(),
      default: "9400",
      help: "first /metrics port; each service gets the next one",
    }),
    listenHost: setting({
      env: "START_LISTEN_HOST",
      flag: "listen-host",
      schema: ipAddressValue(),
      default: "127.0.0.1",
      help: "address the portal and every service's /healthz and /metrics listen on: 127.0.0.1 " +
        "this machine only (a login node is shared), 0.0.0.0 every interface",
      expected: "an IP address such as 127.0.0.1 or 0.0.0.0",
    }),
    once: setting({
      env: "START_ONCE",
      flag: "once",
      type: "boolean",
      schema: switchValue(),
      help: "start, print the summary, and stop (a smoke check)",
    }),
  },
});
