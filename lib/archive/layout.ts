/**
 * Where the archive's files live: `ARCHIVE_DIR/<table>/date=YYYY-MM-DD/part-00000.parquet` (the
 * Hive layout Spark, Trino, DuckDB and pyarrow read) with `_manifest.json` beside it. A file is
 * written under a name starting with `.` and ending in `.tmp-<run>` — which `**\/*.parquet`
 * globs do not match and Spark, Trino and pyarrow skip — and renamed into place once verified,
 * so a reader never sees part of a day. Transfer files and DuckDB's spill live in
 * `ARCHIVE_DIR/.staging`, which holds no `*.parquet`.
 * @module
 */
import { join } from "node:path";

/** The one data file of a day (a day is one file; DuckDB writes it in row groups). */
export const PART_NAME = "part-00000.parquet";
/** The manifest of a day. */
export const MANIFEST_NAME = "_manifest.json";

/** The folder of `table`'s day. */
export function dayDir(archiveDir: string, table: string, day: string): string {
  return join(archiveDir, table, `date=${day}`);
}

/** The temporary name of `final` (a file name) while run `runId` writes it. */
export function temporaryName(final: string, runId: string): string {
  return `.${final}.tmp-${runId}`;
}

/** Whether a file name is a temporary name of some run. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith(".") && /\.tmp-[A-Za-z0-9_-]+$/.test(name);
}

/** The folder of transfer files and DuckDB's spill. */
export function stagingDir(archiveDir: string): string {
  return join(archiveDir, ".staging");
}

async function removeIfExists(path: string, recursive = false): Promise<boolean> {
  try {
    await Deno.remove(path, { recursive });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function* readDirIfExists(path: string): AsyncGenerator<Deno.DirEntry> {
  try {
    for await (const entry of Deno.readDir(path)) yield entry;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Removes what an interrupted run left: temporary files in the day folders of `tables` and the
 * staging folder. Call it only while holding the export lock (no other run is writing).
 */
export async function sweepInterrupted(
  archiveDir: string,
  tables: readonly string[],
): Promise<number> {
  let removed = 0;
  if (await removeIfExists(stagingDir(archiveDir), true)) removed++;
  for (const table of tables) {
    for await (const day of readDirIfExists(join(archiveDir, table))) {
      if (!day.isDirectory || !day.name.startsWith("date=")) continue;
      for await (const file of readDirIfExists(join(archiveDir, table, day.name))) {
        if (file.isFile && isTemporaryName(file.name)) {
          await removeIfExists(join(archiveDir, table, day.name, file.name));
          removed++;
        }
      }
    }
  }
  return removed;
}

/** Writes `text` to `path` through a temporary name and a rename (never half a file). */
export async function writeFileAtomically(path: string, text: string, runId: string) {
  const dir = join(path, "..");
  const temp = join(dir, temporaryName(path.slice(dir.length + 1), runId));
  await Deno.writeTextFile(temp, text);
  await Deno.rename(temp, path);
}

/** Removes a day folder of the archive (when the database no longer holds the day). */
export function removeDayDir(archiveDir: string, table: string, day: string): Promise<boolean> {
  return removeIfExists(dayDir(archiveDir, table, day), true);
}
