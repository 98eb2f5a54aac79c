/** The migrator's command line: `deno task migrate [--status]`. */
import { type Command, defineCommand, type Setting, setting, switchValue } from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";
import { z } from "zod";
import { databaseUrl, logLevel, POSTGRES_LIBRARY_ENV } from "./shared.ts";

/** `migrator`: applies migrations/*.sql in order under an advisory lock. */
export const migratorCommand: Command<{
  databaseUrl: Setting<URL>;
  logLevel: Setting<LogLevel>;
  status: Setting<boolean>;
  migrationsDir: Setting<string>;
}> = defineCommand({
  name: "migrator",
  summary: "Applies pending SQL files from migrations/ in order, each in its own transaction, " +
    "under a PostgreSQL advisory lock. Re-running is a no-op; an edited applied file is refused.",
  settings: {
    databaseUrl,
    logLevel,
    status: setting({
      env: "MIGRATE_STATUS",
      flag: "status",
      type: "boolean",
      schema: switchValue(),
      help: "list applied and pending migrations, change nothing",
    }),
    migrationsDir: setting({
      env: "MIGRATIONS_DIR",
      flag: "migrations-dir",
      schema: z.string().min(1),
      default: "migrations",
      help: "folder of numbered .sql files",
      access: "read",
    }),
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
