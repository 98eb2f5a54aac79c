/**
 * `deno task start`: the embedded (or given) database, the migrator, then every service, supervised.
 * Arguments are checked (and --help answered) before anything is installed, started or connected;
 * on a stop signal the services stop first and the embedded PostgreSQL last.
 */
import { join } from "node:path";
import { ConfigError, configFromCommandLine } from "@kalshi-data/lib/config";
import { launcherCommand } from "@kalshi-data/lib/commands";
import { exitOnEmbeddedError, startEmbeddedPostgresProcess } from "@kalshi-data/lib/db/embedded";
import {
  chosenServices,
  installDependencies,
  PROJECT_ROOT,
  runSystem,
} from "@kalshi-data/lib/launch";
import { createLogger } from "@kalshi-data/lib/log";
import { runService } from "@kalshi-data/lib/runtime";

const { config } = configFromCommandLine(launcherCommand);
try {
  chosenServices(config.services);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`start: ${error.message}`);
  console.error("Run 'start --help' for the list of settings.");
  Deno.exit(2);
}
const logger = createLogger("launcher", { level: config.logLevel });
await installDependencies({
  onFirstInstall: () => logger.info("installing the npm packages deno.lock names (deno install)"),
}).catch((error: Error) => {
  console.error(`start: ${error.message}`);
  Deno.exit(1);
});
const outcome = await runService(
  { name: "launcher", logger, shutdownMs: 30_000 },
  async ({ signal }) => {
    const env = Deno.env.toObject();
    let embedded: { url: string; stop(): Promise<void> } | undefined;
    if (!config.databaseUrl) {
      // In a session of its own: a terminal's Ctrl-C reaches the services, not the database.
      embedded = await startEmbeddedPostgresProcess({
        dataDir: join(PROJECT_ROOT, ".data", "postgres"),
        logLevel: config.logLevel,
      }).catch(exitOnEmbeddedError("launcher"));
      env.DATABASE_URL = embedded.url;
    } else {
      env.DATABASE_URL = config.databaseUrl.href;
    }
    const stopOnce = new AbortController();
    signal.addEventListener("abort", () => stopOnce.abort(), { once: true });
    try {
      await runSystem({
        logger,
        signal: stopOnce.signal,
        env,
        services: config.services,
        sim: config.sim ? { port: config.simPort, markets: config.simMarkets } : undefined,
        metricsBasePort: config.metricsBasePort,
        listenHost: config.listenHost,
        onStarted: (summary) => {
          logger.info("system running", summary);
          if (config.once) stopOnce.abort();
        },
      });
    } finally {
      // Every child has exited: they flushed into a database that was still there.
      await embedded?.stop();
    }
  },
);
Deno.exit(outcome.code);
