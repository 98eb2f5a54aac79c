/** Entry point of the Kalshi simulator: read settings, serve, stop on SIGTERM/SIGINT. */
import { configFromCommandLine } from "../../config/mod.ts";
import { createLogger } from "../../log/mod.ts";
import { runService } from "../../runtime/mod.ts";
import { simCommand } from "./command.ts";
import { serveSimulator } from "./simulator.ts";

const { config } = configFromCommandLine(simCommand);
const logger = createLogger("sim", { level: config.logLevel });
const outcome = await runService({ name: "sim", logger }, async ({ signal }) => {
  const started = performance.now();
  const served = serveSimulator({
    port: config.port,
    hostname: config.hostname,
    seed: config.seed,
    markets: config.markets,
    startMs: config.startTime,
    speed: config.speed,
    paused: config.pauseClock,
    historyDays: config.historyDays,
    futureDays: config.futureDays,
    cutoffLagDays: config.cutoffLagDays,
    comboShare: config.comboShare,
    rateLimit: config.rateLimit,
    faults: config.faults,
    auth: config.authPublicKey
      ? {
        publicKeyPem: await Deno.readTextFile(config.authPublicKey),
        requireForRest: config.authRequireRest,
      }
      : undefined,
    groundTruth: { dir: config.groundTruthDir, memory: config.groundTruthMemory },
  });
  logger.info("listening", {
    rest_url: served.restUrl,
    ws_url: served.wsUrl,
    markets: served.sim.world.marketCount,
    events: served.sim.world.eventCount,
    series: served.sim.world.series.length,
    seed: config.seed,
    start_ms: Math.round(performance.now() - started),
  });
  await new Promise<void>((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
  await served.close();
});
Deno.exit(outcome.code);
