/** The backfill workers' command line: `deno task launch worker_service [--until-empty] ...`. */
import {
  choiceValue,
  type Command,
  defineCommand,
  intValue,
  type Setting,
  setting,
  switchValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import {
  kalshiApiKeyId,
  kalshiPrivateKeyPath,
  kalshiReadBurstSeconds,
  kalshiReadsPerSecond,
  kalshiRestUrl,
} from "../kalshi/mod.ts";
import {
  amqpUrl,
  databaseUrl,
  logLevel,
  metricsHost,
  metricsPort,
  POSTGRES_LIBRARY_ENV,
  shutdownMs,
} from "./shared.ts";

/** `worker_service`: runs candlestick and trade backfill jobs from `backfill_jobs`. */
export const workerServiceCommand: Command<{
  databaseUrl: Setting<URL>;
  amqpUrl: Setting<URL | undefined>;
  logLevel: Setting<LogLevel>;
  metricsPort: Setting<number | undefined>;
  metricsHost: Setting<string>;
  shutdownMs: Setting<number>;
  kalshiRestUrl: Setting<URL>;
  kalshiApiKeyId: Setting<string | undefined>;
  kalshiPrivateKeyPath: Setting<string | undefined>;
  kalshiReadsPerSecond: Setting<number>;
  kalshiReadBurstSeconds: Setting<number>;
  concurrency: Setting<number>;
  batchSize: Setting<number>;
  leaseMs: Setting<number>;
  pollMs: Setting<number>;
  progressMs: Setting<number>;
  retryBaseMs: Setting<number>;
  trades: Setting<"on" | "off">;
  untilEmpty: Setting<boolean>;
  failOnDead: Setting<boolean>;
  readyMaxDueAgeSeconds: Setting<number>;
  readyDeadWindowMinutes: Setting<number>;
}> = defineCommand({
  name: "worker_service",
  summary: "Runs backfill jobs from the backfill_jobs table: candlesticks (batched where jobs " +
    "share a window, historical tier behind the cutoff) and trades, each committed with its " +
    "watermark. Wakes on RabbitMQ notifications when AMQP_URL is set, polls the table otherwise.",
  settings: {
    databaseUrl,
    amqpUrl,
    logLevel,
    metricsPort,
    metricsHost,
    shutdownMs,
    kalshiRestUrl,
    kalshiApiKeyId,
    kalshiPrivateKeyPath,
    kalshiReadsPerSecond,
    kalshiReadBurstSeconds,
    concurrency: setting({
      env: "WORKER_CONCURRENCY",
      flag: "concurrency",
      schema: intValue(1, 256),
      default: "4",
      help: "concurrent workers in this process (they share one Kalshi rate limit)",
    }),
    batchSize: setting({
      env: "WORKER_BATCH_SIZE",
      flag: "batch-size",
      schema: intValue(1, 1000),
      default: "100",
      help: "jobs a worker claims at once (jobs sharing a window are fetched together)",
    }),
    leaseMs: setting({
      env: "WORKER_LEASE_MS",
      flag: "lease-ms",
      schema: intValue(1000, 3_600_000),
      default: "120000",
      help: "lease on a claimed job; extended while it runs, reclaimed by others when it expires",
    }),
    pollMs: setting({
      env: "WORKER_POLL_MS",
      flag: "poll-ms",
      schema: intValue(50, 600_000),
      default: "5000",
      help: "how often an idle worker looks at the job table (notifications wake it sooner)",
    }),
    progressMs: setting({
      env: "WORKER_PROGRESS_MS",
      flag: "progress-ms",
      schema: intValue(0, 3_600_000),
      default: "10000",
      help: "cadence of the progress log line (0: none)",
    }),
    retryBaseMs: setting({
      env: "WORKER_RETRY_BASE_MS",
      flag: "retry-base-ms",
      schema: intValue(0, 3_600_000),
      default: "5000",
      help: "delay before a failed job's first retry; doubles per attempt (capped at 15 min)",
    }),
    trades: setting({
      env: "WORKER_TRADES",
      flag: "trades",
      schema: choiceValue(["on", "off"]),
      default: "on",
      help: "run trade-history jobs too (off: candles only; trade jobs stay pending)",
    }),
    untilEmpty: setting({
      env: "WORKER_UNTIL_EMPTY",
      flag: "until-empty",
      type: "boolean",
      schema: switchValue(),
      help: "exit 0 once no job is pending or leased, printing how many are dead",
    }),
    failOnDead: setting({
      env: "WORKER_FAIL_ON_DEAD",
      flag: "fail-on-dead",
      type: "boolean",
      schema: switchValue(),
      help: "with --until-empty: exit 1 when dead jobs remain",
    }),
    readyMaxDueAgeSeconds: setting({
      env: "WORKER_READY_MAX_DUE_AGE_SECONDS",
      flag: "ready-max-due-age",
      schema: intValue(60, 30 * 86_400),
      default: "3600",
      help: "/readyz answers 503 when the oldest due job has waited longer than this many seconds",
    }),
    readyDeadWindowMinutes: setting({
      env: "WORKER_READY_DEAD_WINDOW_MINUTES",
      flag: "ready-dead-window",
      schema: intValue(1, 7 * 1440),
      default: "60",
      help: "/readyz answers 503 while a job died within this many minutes",
    }),
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
