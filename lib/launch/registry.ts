/** Every runnable command: its settings and the module that runs it (paths from the project root). */
import type { Command } from "../config/mod.ts";
import { migratorCommand } from "../commands/migrator.ts";

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
};
