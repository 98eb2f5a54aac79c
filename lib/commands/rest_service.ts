/** rest_service's command line: discovery and backfill scheduling. */
import { z } from "zod";
import {
  type Command,
  defineCommand,
  intValue,
  type Setting,
  setting,
  switchValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import { kalshiClock, kalshiSettings } from "../kalshi/mod.ts";
import { scopeSettings } from "../scope/mod.ts";
import {
  amqpUrl,
  databaseUrl,
  logLevel,
  metricsHost,
  metricsPort,
  POSTGRES_LIBRARY_ENV,
  shutdownMs,
} from "./shared.ts";

function seconds(min: number, max: number) {
  const expected = `whole seconds from ${min} to ${max}`;
  return {
    schema: z.string().regex(/^\d+$/, { message: expected }).transform(Number).pipe(
      z.number().int().min(min).max(max),
    ),
    expected,
  };
}

/** `rest_service`: discovers series/events/markets and schedules their backfill. */
export const restServiceCommand: Command<
  typeof kalshiSettings & typeof scopeSettings & {
    databaseUrl: Setting<URL>;
    kalshiClock: Setting<"system" | "server">;
    amqpUrl: Setting<URL | undefined>;
    logLevel: Setting<LogLevel>;
    metricsPort: Setting<number | undefined>;
    metricsHost: Setting<string>;
    shutdownMs: Setting<number>;
    once: Setting<boolean>;
    syncIntervalSeconds: Setting<number>;
    fullSyncIntervalSeconds: Setting<number>;
    openRefreshSeconds: Setting<number>;
    auditIntervalSeconds: Setting<number>;
    readyMaxPassAgeSeconds: Setting<number>;
    retentionTicksDays: Setting<number | undefined>;
    archiveDir: Setting<string | undefined>;
  }
> = defineCommand({
  name: "rest_service",
  summary: "Discovers every Kalshi series, event and market in scope (a full sync first, then " +
    "incremental syncs using the API's timestamp filters), upserts them into PostgreSQL, " +
    "schedules candle (1/60/1440 min) and trade backfill jobs for every market, audits " +
    "coverage, and notifies workers over RabbitMQ when AMQP_URL is set. Runs until stopped; " +
    "--once does one discovery + scheduling pass and exits.",
  settings: {
    databaseUrl,
    ...kalshiSettings,
    kalshiClock,
    ...scopeSettings,
    amqpUrl,
    logLevel,
    metricsPort,
    metricsHost,
    shutdownMs,
    once: setting({
      env: "REST_ONCE",
      flag: "once",
      type: "boolean",
      schema: switchValue(),
      help: "one discovery + scheduling pass, then exit 0 (cron, SLURM steps)",
    }),
    syncIntervalSeconds: setting({
      env: "REST_SYNC_INTERVAL_SECONDS",
      flag: "sync-interval",
      ...seconds(5, 86_400),
      default: "60",
      help: "seconds between incremental syncs",
    }),
    fullSyncIntervalSeconds: setting({
      env: "REST_FULL_SYNC_INTERVAL_SECONDS",
      flag: "full-sync-interval",
      ...seconds(3600, 30 * 86_400),
      default: "86400",
      help: "seconds between full re-walks (a safety net; also refreshes every price)",
    }),
    openRefreshSeconds: setting({
      env: "REST_OPEN_REFRESH_SECONDS",
      flag: "open-refresh-interval",
      ...seconds(60, 86_400),
      default: "900",
      help: "seconds between re-reads of every open market (prices) during incremental syncs",
    }),
    auditIntervalSeconds: setting({
      env: "REST_AUDIT_INTERVAL_SECONDS",
      flag: "audit-interval",
      ...seconds(60, 7 * 86_400),
      default: "3600",
      help: "seconds between coverage audits",
    }),
    readyMaxPassAgeSeconds: setting({
      env: "REST_READY_MAX_PASS_AGE_SECONDS",
      flag: "ready-max-pass-age",
      ...seconds(60, 7 * 86_400),
      default: "1800",
      help: "/readyz answers 503 when the last successful discovery pass is older than this " +
        "(counted from the start until the first one)",
    }),
    retentionTicksDays: setting({
      env: "RETENTION_TICKS_DAYS",
      flag: "retention-ticks-days",
      schema: intValue(1, 36_500).optional(),
      help: "on the audit interval, drop the ticks of days older than this many days whose " +
        "Parquet archive (ARCHIVE_DIR) verifies (docs/archive.md); unset keeps every tick",
      expected: "days from 1 to 36500",
    }),
    archiveDir: setting({
      env: "ARCHIVE_DIR",
      flag: "archive-dir",
      schema: z.string().min(1).optional(),
      help: "the Parquet archive `deno task export` writes; read to re-check a day's files " +
        "before retention drops it (required with RETENTION_TICKS_DAYS)",
      expected: "a folder path",
      access: "read",
    }),
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
