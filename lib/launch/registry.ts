/** Every runnable command: its settings and the module that runs it (paths from the project root). */
import type { Command } from "../config/mod.ts";
import {
  exportCommand,
  kalshiCliCommand,
  migratorCommand,
  portalCommand,
  queryCommand,
  ragServiceCommand,
  replayCommand,
  restServiceCommand,
  statusCommand,
  workerServiceCommand,
  wsServiceCommand,
} from "../commands/mod.ts";
import { simCommand } from "../kalshi/sim/mod.ts";

/** A command the launch step can run. */
export interface Runnable {
  /** Its settings, which decide its permissions. */
  command: Command;
  /** Entry module, relative to the project root. */
  entry: string;
  /** A one-shot step run before the command, once its settings are valid (default: none). */
  prepare?: PrepareStep;
}

/** A one-shot step a command needs first, e.g. the portal's asset build. */
export interface PrepareStep {
  /** Entry module, relative to the project root. */
  entry: string;
  /** Its arguments. */
  args: readonly string[];
  /** Its permission flags (fixed: the step reads no settings). */
  flags: readonly string[];
}

/** The commands by name (the names `deno task` and the SLURM scripts use). */
export const RUNNABLES: Record<string, Runnable> = {
  migrator: { command: migratorCommand, entry: "services/migrator/main.ts" },
  sim: { command: simCommand, entry: "lib/kalshi/sim/main.ts" },
  kalshi: { command: kalshiCliCommand, entry: "services/kalshi_cli/main.ts" },
  rag_service: { command: ragServiceCommand, entry: "services/rag_service/main.ts" },
  rest_service: { command: restServiceCommand, entry: "services/rest_service/main.ts" },
  worker_service: { command: workerServiceCommand, entry: "services/worker_service/main.ts" },
  ws_service: { command: wsServiceCommand, entry: "services/ws_service/main.ts" },
  portal: {
    command: portalCommand,
    entry: "portal/main.ts",
    // The bundled islands and stylesheet (portal/static/build is not in git): built when stale.
    prepare: {
      entry: "portal/build.ts",
      args: ["--if-stale"],
      flags: ["--allow-read", "--allow-write=portal/static/build", "--allow-run"],
    },
  },
  status: { command: statusCommand, entry: "services/status/main.ts" },
  export: { command: exportCommand, entry: "services/export/main.ts" },
  query: { command: queryCommand, entry: "services/query/main.ts" },
  replay: { command: replayCommand, entry: "lib/replay/main.ts" },
};
