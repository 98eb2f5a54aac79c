/** `deno task rest`: discovery + backfill scheduling (wiring only; logic in ./service.ts). */
import { restServiceCommand } from "@kalshi-data/lib/commands";
import { configFromCommandLine } from "@kalshi-data/lib/config";
import { createPool } from "@kalshi-data/lib/db";
import {
  createRestClient,
  createServerClock,
  credentialsFromSettings,
} from "@kalshi-data/lib/kalshi";
import { createLogger } from "@kalshi-data/lib/log";
import { createJobsPublisher } from "@kalshi-data/lib/queue";
import { runService } from "@kalshi-data/lib/runtime";
import { scopeFromConfig } from "@kalshi-data/lib/scope";
import { runRestService } from "./service.ts";
import { applyRetention } from "@kalshi-data/lib/archive";

/** Retention on the audit interval, when RETENTION_TICKS_DAYS and ARCHIVE_DIR are set. */
function retentionOf(settings: typeof config, pool: typeof sql) {
  const { retentionTicksDays: keepDays, archiveDir } = settings;
  if (keepDays === undefined || archiveDir === undefined) return undefined;
  return () => applyRetention({ sql: pool, archiveDir, now: () => new Date() }, { keepDays });
}

const { config } = configFromCommandLine(restServiceCommand);
const logger = createLogger("rest_service", { level: config.logLevel });
if (config.retentionTicksDays !== undefined && config.archiveDir === undefined) {
  console.error(
    "rest_service: RETENTION_TICKS_DAYS needs ARCHIVE_DIR (--archive-dir): retention drops only " +
      "days whose archive files it can re-check. Set both, or neither.",
  );
  Deno.exit(2);
}
const credentials = await credentialsFromSettings(config);
const sql = createPool(config.databaseUrl.href, { max: 4, applicationName: "rest_service" });
// KALSHI_CLOCK=server: "now" follows the Date header of every response (e.g. a replay's).
const serverClock = config.kalshiClock === "server" ? createServerClock() : null;
const client = createRestClient({
  ...(serverClock ? { fetch: serverClock.fetch } : {}),
  baseUrl: config.kalshiRestUrl,
  credentials,
  readsPerSecond: config.kalshiReadsPerSecond,
  readBurstSeconds: config.kalshiReadBurstSeconds,
  onRetry: (info) => logger.warn("kalshi request retried", { ...info }),
});
const publisher = createJobsPublisher(config.amqpUrl, { logger });
const scope = scopeFromConfig(config);
logger.info("starting", { scope, once: config.once, rest_url: config.kalshiRestUrl.href });

const outcome = await runService(
  {
    name: "rest_service",
    logger,
    port: config.metricsPort,
    hostname: config.metricsHost,
    shutdownMs: config.shutdownMs,
  },
  async ({ signal, metrics, readiness }) => {
    try {
      await runRestService(
        {
          sql,
          client,
          scope,
          logger,
          now: serverClock ? serverClock.now : Date.now,
          signal,
          publisher,
          metrics,
          readiness,
          retention: retentionOf(config, sql),
        },
        {
          once: config.once,
          syncIntervalMs: config.syncIntervalSeconds * 1000,
          fullSyncIntervalMs: config.fullSyncIntervalSeconds * 1000,
          openRefreshMs: config.openRefreshSeconds * 1000,
          auditIntervalMs: config.auditIntervalSeconds * 1000,
          readyMaxPassAgeMs: config.readyMaxPassAgeSeconds * 1000,
        },
      );
    } finally {
      await publisher.close();
      await sql.end({ timeout: 5 });
    }
  },
);
Deno.exit(outcome.code);
