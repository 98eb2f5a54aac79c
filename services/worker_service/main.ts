/** `deno task launch worker_service`: candlestick and trade backfill workers (wiring only). */
import { addBackfillReadiness, createWakeup, runWorkerPool } from "@kalshi-data/lib/backfill";
import { createPool, guardPostgresClosedSocketWrites } from "@kalshi-data/lib/db";
import { workerServiceCommand } from "@kalshi-data/lib/commands";
import { configFromCommandLine } from "@kalshi-data/lib/config";
import { createRestClient, credentialsFromSettings } from "@kalshi-data/lib/kalshi";
import { createLogger } from "@kalshi-data/lib/log";
import { startJobsConsumer } from "@kalshi-data/lib/queue";
import { runService } from "@kalshi-data/lib/runtime";

const { config } = configFromCommandLine(workerServiceCommand);
const logger = createLogger("worker_service", { level: config.logLevel });
guardPostgresClosedSocketWrites((error) =>
  logger.warn("postgres.js wrote to a closed connection; ignored", { error: error.message })
);
const credentials = await credentialsFromSettings(config);
const sql = createPool(config.databaseUrl.href, {
  max: config.concurrency + 2,
  applicationName: "worker_service",
});
const client = createRestClient({
  baseUrl: config.kalshiRestUrl,
  credentials,
  readsPerSecond: config.kalshiReadsPerSecond,
  readBurstSeconds: config.kalshiReadBurstSeconds,
  onRetry: (r) => logger.debug("kalshi retry", { ...r }),
});
const owner = `worker-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
let deadJobs = 0;

const outcome = await runService({
  name: "worker_service",
  logger,
  port: config.metricsPort,
  hostname: config.metricsHost,
  shutdownMs: config.shutdownMs,
}, async ({ signal, metrics, readiness }) => {
  addBackfillReadiness(readiness, sql, {
    now: Date.now,
    maxDueAgeMs: config.readyMaxDueAgeSeconds * 1000,
    deadWindowMs: config.readyDeadWindowMinutes * 60_000,
    metrics,
  });
  const wakeup = createWakeup();
  const consumerStop = new AbortController();
  const consumer = config.amqpUrl === undefined ? undefined : startJobsConsumer({
    url: config.amqpUrl,
    signal: AbortSignal.any([signal, consumerStop.signal]),
    logger,
    onReady: () => wakeup.notify(),
  });
  metrics.collect("backfill_broker_connected", "1 while consuming job notifications", () => [
    [{}, consumer?.connected ? 1 : 0],
  ]);
  const result = await runWorkerPool({
    sql,
    client,
    logger,
    signal,
    owner,
    metrics,
    wakeup,
    concurrency: config.concurrency,
    batchSize: config.batchSize,
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
    progressMs: config.progressMs,
    retryBaseMs: config.retryBaseMs,
    trades: config.trades === "on",
    untilEmpty: config.untilEmpty,
  });
  deadJobs = result.counts?.dead ?? 0;
  if (result.stoppedBy === "empty") {
    console.log(`worker_service: no job pending or leased; ${deadJobs} dead job(s)`);
  }
  consumerStop.abort();
  await consumer?.done;
});
await sql.end({ timeout: 5 }).catch(() => {});
Deno.exit(outcome.code !== 0 ? outcome.code : config.failOnDead && deadJobs > 0 ? 1 : 0);
