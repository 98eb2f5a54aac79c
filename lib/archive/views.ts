/**
 * The archive as DuckDB views: one view per table, named as in the database, over
 * `<table>/**\/*.parquet` with the Hive column `date` (a DATE). A table with no file yet is an
 * empty view of the same columns, so a query never fails for want of a day.
 * @module
 */
import { join } from "node:path";
import { duckString, quoteIdent } from "./checksum.ts";
import type { DuckDb } from "./duckdb.ts";
import { type ArchiveTable, duckType } from "./schema.ts";

/** Whether a table folder holds at least one published Parquet file. */
export async function hasParquet(dir: string): Promise<boolean> {
  try {
    for await (const day of Deno.readDir(dir)) {
      if (!day.isDirectory || !day.name.startsWith("date=")) continue;
      for await (const file of Deno.readDir(join(dir, day.name))) {
        if (file.isFile && file.name.endsWith(".parquet") && !file.name.startsWith(".")) {
          return true;
        }
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return false;
}

/** The SELECT behind `table`'s view (over its files, or empty when there are none). */
export function viewQuery(archiveDir: string, table: ArchiveTable, hasFiles: boolean): string {
  if (hasFiles) {
    const glob = join(archiveDir, table.name, "**", "*.parquet");
    return `SELECT * FROM read_parquet(${duckString(glob)}, hive_partitioning = true, ` +
      `hive_types = {'date': DATE})`;
  }
  const cols = table.columns.map((c) =>
    `CAST(NULL AS ${duckType(c.type)}) AS ${quoteIdent(c.name)}`
  );
  return `SELECT ${cols.join(", ")}, CAST(NULL AS DATE) AS "date" WHERE false`;
}

/** Creates a view per table of `tables` over the archive in `archiveDir`. */
export async function createArchiveViews(
  duck: DuckDb,
  archiveDir: string,
  tables: readonly ArchiveTable[],
): Promise<void> {
  for (const table of tables) {
    const files = await hasParquet(join(archiveDir, table.name));
    await duck.run(
      `CREATE OR REPLACE VIEW ${quoteIdent(table.name)} AS ${viewQuery(archiveDir, table, files)}`,
    );
  }
}
