/** Every runnable command: its settings and the module that runs it (paths from the project root). */
import type { Command } from "../config/mod.ts";
import { kalshiCliCommand } from "../commands/kalshi_cli.ts";
import { migratorCommand } from "../commands/migrator.ts";
import { simCommand } from "../kalshi/sim/command.ts";

/** A command the launch step can run. */
export interface Runnable {
  /** Its settings, which decide its permissions. */
  command: Command;
  /** Entry module, relative to the project root. */
  entry: string;
}

/** The commands by name (the names `deno task` and the SLURM scripts use). */
export const RUNNABLES: Record<string, Runnable> = {
  migrator: { command: migratorCommand, entry: "services/migrator/main.ts" },
  sim: { command: simCommand, entry: "lib/kalshi/sim/main.ts" },
  kalshi: { command: kalshiCliCommand, entry: "services/kalshi_cli/main.ts" },
};
