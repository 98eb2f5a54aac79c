/** `deno task migrate [--status]`: applies pending migrations, or lists them (wiring only). */
import { migratorCommand } from "@kalshi-data/lib/commands";
import { configFromCommandLine } from "@kalshi-data/lib/config";
import {
  createPool,
  ensureTickPartitions,
  migrate,
  MigrationError,
  migrationStatus,
} from "@kalshi-data/lib/db";
import { createLogger } from "@kalshi-data/lib/log";

const { config } = configFromCommandLine(migratorCommand);
const logger = createLogger("migrator", { level: config.logLevel });
const sql = createPool(config.databaseUrl.href, { max: 2, applicationName: "migrator" });
const dir = config.migrationsDir;

try {
  if (config.status) {
    const statuses = await migrationStatus(sql, { dir });
    for (const s of statuses) {
      const when = s.appliedAt ? s.appliedAt.toISOString() : "";
      console.log(`${s.state.padEnd(8)} ${s.name.padEnd(40)} ${when}`);
    }
    if (statuses.some((s) => s.state === "modified" || s.state === "missing")) Deno.exitCode = 1;
  } else {
    const result = await migrate(sql, {
      dir,
      onApplied: (name, durationMs) => logger.info("migration applied", { name, durationMs }),
    });
    // Every run also tops up the daily tick partitions (yesterday through a week ahead).
    const created = await ensureTickPartitions(sql, {
      from: new Date(Date.now() - 86_400_000),
      days: 9,
    });
    logger.info("schema up to date", {
      applied: result.applied,
      alreadyApplied: result.alreadyApplied.length,
      tickPartitionsCreated: created,
    });
  }
} catch (error) {
  if (error instanceof MigrationError) {
    logger.error(error.message, { file: error.file, kind: error.kind });
  } else {
    logger.error("migrator failed", { error });
  }
  Deno.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
