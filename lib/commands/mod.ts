/**
 * Command definitions (settings, flags and `--help`) of every runnable, without their code, so the
 * launch step can read a command's settings and derive its permissions without importing it.
 * @module
 */

export { exportCommand, queryCommand } from "./archive.ts";
export { kalshiCliCommand } from "./kalshi_cli.ts";
export { launcherCommand } from "./launcher.ts";
export { migratorCommand } from "./migrator.ts";
export { type PortalAuth, portalCommand, portalLimits, portalSettings } from "./portal.ts";
export { type PredictorSpec, ragServiceCommand } from "./rag_service.ts";
export { replayCommand } from "./replay.ts";
export { restServiceCommand } from "./rest_service.ts";
export { databaseUrl, logLevel, metricsHost, metricsPort, POSTGRES_LIBRARY_ENV } from "./shared.ts";
export { statusCommand } from "./status.ts";
export { workerServiceCommand } from "./worker_service.ts";
export { wsServiceCommand } from "./ws_service.ts";
export { type PortalConfig } from "./portal.ts";
export { type PortalLimits } from "./portal.ts";
