/** The portal process: read settings, open the read-only pool, load assets, serve until stopped. */
import { configFromCommandLine } from "@kalshi-data/lib/config";
import { portalCommand, portalLimits, portalSettings } from "@kalshi-data/lib/commands";
import { maskDatabaseUrl } from "@kalshi-data/lib/db";
import { createLogger } from "@kalshi-data/lib/log";
import { runService } from "@kalshi-data/lib/runtime";
import { createPortalApp } from "./app.ts";
import { loadAssets } from "./assets.ts";
import { createReaderPool } from "./db.ts";
import { ExportLimiter, ExportWatchdog } from "./exports.ts";
import { LoginThrottle } from "./login_throttle.ts";
import { responseCache } from "./response_cache.ts";

const { config } = configFromCommandLine(portalCommand);
let settings, limits;
try {
  settings = portalSettings(config);
  limits = portalLimits(config);
} catch (error) {
  console.error(`portal: ${(error as Error).message}`);
  Deno.exit(2);
}
const logger = createLogger("portal", { level: config.logLevel });
const assets = await loadAssets().catch((error: Error) => {
  logger.error("assets missing", { error: error.message });
  Deno.exit(1);
});
const sql = createReaderPool(settings.databaseUrl, {
  max: config.poolMax,
  timeouts: limits.database,
});
const app = createPortalApp(sql, {
  assets,
  auth: settings.auth,
  frontDoorId: config.frontDoorId,
  trustProxy: config.trustProxy,
  trustedProxies: limits.trustedProxies,
  throttle: new LoginThrottle(limits.login),
  exports: {
    limiter: new ExportLimiter({
      perClient: limits.exports.perClient,
      total: limits.exports.total,
    }),
    watchdog: new ExportWatchdog({ stallMs: limits.exports.stallMs, maxMs: limits.exports.maxMs }),
  },
  logger,
  // Answers are reused for 5 s (pages say max-age=15 anyway); at most 64 MB of bodies.
  responseCache: responseCache({ ttlMs: 5_000, maxBytes: 64 * 1024 * 1024 }),
});

const outcome = await runService(
  { name: "portal", logger, shutdownMs: config.shutdownMs },
  async ({ signal }) => {
    const server = Deno.serve({
      port: settings.port,
      hostname: config.hostname,
      signal,
      onListen: (addr) =>
        logger.info("listening", {
          url: `http://${addr.hostname}:${addr.port}/`,
          database: maskDatabaseUrl(settings.databaseUrl),
          auth: settings.auth.mode,
          front_door_lock: config.frontDoorId !== undefined,
          trusted_proxies: config.trustedProxies.mode === "hops"
            ? config.trustedProxies.hops
            : config.trustedProxies.mode,
        }),
    }, (request, info) => app.fetch(request, { remoteAddr: info.remoteAddr }));
    await server.finished;
    await sql.end({ timeout: 5 });
  },
);
Deno.exit(outcome.code);
