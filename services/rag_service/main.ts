/** `deno task rag [--once | --eval [--json]]`: retrieval-augmented forecasts (wiring only). */
import { ragServiceCommand } from "@kalshi-data/lib/commands";
import { ConfigError, configFromCommandLine } from "@kalshi-data/lib/config";
import { createPool } from "@kalshi-data/lib/db";
import { createLogger } from "@kalshi-data/lib/log";
import { runService } from "@kalshi-data/lib/runtime";
import { evaluate, formatReport } from "./evaluate.ts";
import { runOnce } from "./run.ts";
import {
  documentsFromConfig,
  embedderFromConfig,
  intervalAsOf,
  predictorsFromConfig,
} from "./setup.ts";
import { postgresRunner } from "./sql_runner.ts";

const { config } = configFromCommandLine(ragServiceCommand);
const logger = createLogger("rag_service", { level: config.logLevel });
// The pool connects lazily: a configuration error below exits before any connection.
const sql = createPool(config.databaseUrl.href, { max: 4, applicationName: "rag_service" });
const db = postgresRunner(sql);
let deps;
try {
  const embedder = embedderFromConfig(config);
  const predictors = await predictorsFromConfig(config, db, embedder);
  deps = { sql, db, embedder, predictors, logger, documents: await documentsFromConfig(config) };
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`rag_service: ${error.message}`);
  Deno.exit(2);
}
const common = { k: config.neighbors, backend: config.vectorBackend, efSearch: config.efSearch };

const outcome = await runService({
  name: "rag_service",
  logger,
  port: config.once || config.eval ? undefined : config.metricsPort,
  hostname: config.metricsHost,
  shutdownMs: config.shutdownMs,
}, async ({ signal, metrics }) => {
  // Work cut short by the stop signal is not a failure: the next start redoes it idempotently.
  const unlessStopping = (error: unknown) => {
    if (!signal.aborted) throw error;
  };
  if (config.eval) {
    const report = await evaluate(deps, {
      ...common,
      horizonsHours: config.evalHorizons ?? [config.evalHorizonHours],
      fitBefore: config.evalFrom,
      limit: config.evalLimit,
      bootstrap: { seed: config.evalBootstrapSeed, resamples: config.evalBootstrapResamples },
      signal,
    }).catch(unlessStopping);
    if (report) console.log(config.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return;
  }
  const single = config.once || config.asOf !== undefined;
  const written = metrics.counter("rag_predictions_written_total", "predictions written");
  const failed = metrics.counter("rag_passes_failed_total", "passes that ended in an error");
  while (!signal.aborted) {
    const asOf = config.asOf ?? intervalAsOf(new Date(), config.intervalSeconds);
    try {
      const summary = await runOnce(deps, {
        ...common,
        asOf,
        maxMarkets: config.maxMarkets,
        signal,
      });
      written.inc({}, summary.written);
    } catch (error) {
      // One-shot runs report a failure; the interval loop logs it and tries again next time.
      if (single) unlessStopping(error);
      else if (!signal.aborted) {
        failed.inc();
        logger.error("pass failed", { as_of: asOf.toISOString(), error: (error as Error).message });
      }
    }
    // (An abort listener added after the abort would never fire: the wait would last an interval.)
    if (single || signal.aborted) return;
    const next = intervalAsOf(new Date(), config.intervalSeconds).getTime() +
      config.intervalSeconds * 1000;
    logger.info("waiting for the next pass", { next_as_of: new Date(next).toISOString() });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(1000, next - Date.now()));
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
});
await sql.end({ timeout: 5 });
Deno.exit(outcome.code);
