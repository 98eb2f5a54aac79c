/** `deno task start`: the embedded (or given) database, the migrator, then every service, supervised. */
import { join } from "node:path";
import { configFromCommandLine } from "../../lib/config/mod.ts";
import { launcherCommand } from "../../lib/commands/launcher.ts";
import { startEmbeddedPostgres } from "../../lib/db/embedded.ts";
import { PROJECT_ROOT } from "../../lib/launch/launch.ts";
import { runSystem } from "../../lib/launch/system.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { runService } from "../../lib/runtime/mod.ts";

const { config } = configFromCommandLine(launcherCommand);
const logger = createLogger("launcher", { level: config.logLevel });
const outcome = await runService(
  { name: "launcher", logger, shutdownMs: 30_000 },
  async ({ signal }) => {
    const env = Deno.env.toObject();
    let embedded: { url: string; stop(): Promise<void> } | undefined;
    if (!config.databaseUrl) {
      embedded = await startEmbeddedPostgres({
        dataDir: join(PROJECT_ROOT, ".data", "postgres"),
        logger,
      });
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
        onStarted: (summary) => {
          logger.info("system running", summary);
          if (config.once) stopOnce.abort();
        },
      });
    } finally {
      await embedded?.stop();
    }
  },
);
Deno.exit(outcome.code);
