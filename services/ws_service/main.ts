/** `deno task ws`: live capture of Kalshi's WebSocket into PostgreSQL (wiring only). */
import { wsServiceCommand } from "@kalshi-data/lib/commands";
import { ConfigError, configFromCommandLine } from "@kalshi-data/lib/config";
import { createPool } from "@kalshi-data/lib/db";
import {
  createRestClient,
  createServerClock,
  credentialsFromSettings,
} from "@kalshi-data/lib/kalshi";
import { createLogger } from "@kalshi-data/lib/log";
import { runService } from "@kalshi-data/lib/runtime";
import { scopeFromConfig } from "@kalshi-data/lib/scope";
import { runWsCapture } from "./capture.ts";
import { unsignedAllowed } from "./credentials.ts";

const { config } = configFromCommandLine(wsServiceCommand);
const logger = createLogger("ws_service", { level: config.logLevel });

let credentials;
try {
  credentials = await credentialsFromSettings(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`ws_service: ${error.message}`);
  Deno.exit(2);
}
if (credentials === null && !unsignedAllowed(config.kalshiWsUrl, config.allowUnsigned)) {
  console.error(
    "ws_service: Kalshi's WebSocket requires a signed handshake: set KALSHI_API_KEY_ID and " +
      `KALSHI_PRIVATE_KEY_PATH (KALSHI_WS_URL is ${config.kalshiWsUrl.href}, not a simulator on ` +
      "this machine; for a simulator elsewhere set KALSHI_WS_ALLOW_UNSIGNED=true).",
  );
  Deno.exit(2);
}

// Only markets first met through a lifecycle message are fetched: a small share of the budget.
// KALSHI_CLOCK=server: "now" follows the Date header of the REST server's responses.
const serverClock = config.kalshiClock === "server" ? createServerClock() : null;
const restClient = createRestClient({
  ...(serverClock ? { fetch: serverClock.fetch } : {}),
  baseUrl: config.kalshiRestUrl,
  credentials,
  readsPerSecond: config.kalshiReadsPerSecond,
  onRetry: (info) => logger.warn("kalshi request retried", { ...info }),
});
// One request sets the server clock before the watch set is read.
if (serverClock) {
  await restClient.getExchangeStatus().catch((error) =>
    logger.warn("KALSHI_CLOCK=server: no Date header yet, the system clock stands in", {
      error: error instanceof Error ? error.message : String(error),
    })
  );
}
const sql = createPool(config.databaseUrl.href, { max: 4, applicationName: "ws_service" });
const outcome = await runService({
  name: "ws_service",
  logger,
  port: config.metricsPort,
  hostname: config.metricsHost,
  shutdownMs: config.shutdownMs,
}, async ({ signal, metrics, readiness }) => {
  await runWsCapture({
    sql,
    logger,
    metrics,
    signal,
    wsUrl: config.kalshiWsUrl,
    credentials,
    restClient,
    ...(serverClock ? { clock: serverClock } : {}),
    scope: scopeFromConfig(config),
    spoolDir: config.spoolDir,
    spoolFsync: config.spoolFsync === "on",
    instance: config.instance,
    refreshMs: config.refreshMs,
    tickerStaleMs: config.tickerStaleMs,
    // The order-book channel needs a signed connection: an unsigned simulator run has none.
    orderbookScope: credentials === null ? { kind: "none" } : config.orderbookScope,
    orderbookCheckpointMs: config.orderbookCheckpointSeconds * 1000,
    readiness,
    readyMaxSilenceMs: config.readyMaxSilenceSeconds * 1000,
    readyMaxSpoolGrowingMs: config.readyMaxSpoolGrowingSeconds * 1000,
    maxBatchRows: config.maxBatchRows,
    flushIntervalMs: config.flushIntervalMs,
    maxBufferRows: config.maxBufferRows,
    // Leave part of the shutdown deadline for spooling what could not be written.
    flushBudgetMs: Math.max(50, Math.floor(config.shutdownMs * 0.6)),
  });
});
await sql.end({ timeout: 2 }).catch(() => {});
Deno.exit(outcome.code);
