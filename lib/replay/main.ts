/** Entry point of `deno task replay`: read settings, serve the window, stop on SIGTERM/SIGINT. */
import { replayCommand } from "../commands/mod.ts";
import { configFromCommandLine } from "../config/mod.ts";
import { createPool } from "../db/mod.ts";
import { systemClock } from "../kalshi/mod.ts";
import { createLogger } from "../log/mod.ts";
import { runService } from "../runtime/mod.ts";
import { createDbSource, DB_READERS } from "./db_source.ts";
import { createReplayRest } from "./rest.ts";
import { serveReplay } from "./server.ts";
import type { ReplayWindow } from "./source.ts";

const { config } = configFromCommandLine(replayCommand);
const logger = createLogger("replay", { level: config.logLevel });
const window = replayWindow(config);
if (typeof window === "string") {
  console.error(`replay: ${window}`);
  Deno.exit(2);
}
// Each client holds one cursor per stored channel while it replays, and one more connection
// rebuilds its order books; four are left for the REST side.
const max = config.maxClients * (DB_READERS.length + 1) + 4;
const sql = createPool(config.databaseUrl.href, { max, applicationName: "replay" });
const outcome = await runService({ name: "replay", logger }, async ({ signal }) => {
  let replayNow = () => window.fromMs;
  const served = serveReplay({
    source: config.source === "archive"
      // Imported only here: it loads DuckDB's native addon.
      ? (await import("./archive_source.ts")).createArchiveSource({ archiveDir: config.archiveDir })
      : createDbSource(sql),
    rest: createReplayRest(sql, { fromMs: window.fromMs, now: () => replayNow() }),
    window,
    speed: config.speed,
    quietMs: config.quietMs,
    maxClients: config.maxClients,
    clock: systemClock,
    logger,
    port: config.port,
    hostname: config.hostname,
  });
  replayNow = served.now;
  logger.info("listening", {
    ws_url: served.wsUrl,
    rest_url: served.restUrl,
    from: new Date(window.fromMs).toISOString(),
    to: new Date(window.toMs).toISOString(),
    speed: config.speed,
    source: config.source,
  });
  await new Promise<void>((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
  await served.close();
});
await sql.end({ timeout: 2 }).catch(() => {});
Deno.exit(outcome.code);

/** The window the settings name, or what is wrong with them. */
function replayWindow(
  settings: { from?: number; to?: number; markets?: string[] },
): ReplayWindow | string {
  const { from, to, markets } = settings;
  if (from === undefined || to === undefined) {
    return "set the window: --from and --to (REPLAY_FROM, REPLAY_TO), RFC 3339 times such as " +
      "2026-11-25T12:00:00Z";
  }
  if (to <= from) {
    return `--to (${new Date(to).toISOString()}) must be after --from (${
      new Date(from).toISOString()
    })`;
  }
  return { fromMs: from, toMs: to, ...(markets?.length ? { markets } : {}) };
}
