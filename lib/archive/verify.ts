/**
 * `deno task export --verify`: for every archived day in the range, DuckDB recomputes the
 * fingerprint of the Parquet file and PostgreSQL that of the day's rows; both must equal the
 * recorded one (and the manifest on disk). Days holding rows that were never archived are
 * reported too. Each outcome is recorded in `archive_days` (retention trusts only days whose
 * last check passed).
 * @module
 */
import { join } from "node:path";
import type { Sql } from "../db/mod.ts";
import type { Fingerprint } from "./checksum.ts";
import { dayEnd, type DayRange, dayStart } from "./days.ts";
import type { DuckDb } from "./duckdb.ts";
import { dayDir } from "./layout.ts";
import { readManifest } from "./manifest.ts";
import { parquetFingerprint } from "./parquet.ts";
import { type Progress, ProgressMeter } from "./progress.ts";
import type { ArchiveTable } from "./schema.ts";
import { daysWithRows, readFingerprint } from "./source.ts";
import { type ArchivedDay, readArchivedDays, recordVerification } from "./store.ts";

/** One difference found. */
export interface Difference {
  table: string;
  day: string;
  /** What differs and what to do. */
  message: string;
}

/** What a verification found. */
export interface VerifyReport {
  /** Days checked. */
  checked: number;
  differences: Difference[];
}

/** What verification needs. */
export interface VerifyDeps {
  sql: Sql;
  duck: DuckDb;
  now: () => Date;
  onProgress?: (progress: Progress) => void;
}

const show = (f: Fingerprint) => `${f.rows} rows (checksum ${f.checksum})`;
const same = (a: Fingerprint, b: Fingerprint) => a.rows === b.rows && a.checksum === b.checksum;
const redo = (day: string) => `\`deno task export --from ${day} --to ${day}\``;

async function parquetSide(
  deps: VerifyDeps,
  archiveDir: string,
  table: ArchiveTable,
  record: ArchivedDay,
): Promise<string | null> {
  const dir = dayDir(archiveDir, table.name, record.day);
  const recorded = { rows: record.rows, checksum: record.checksum };
  let files: string[];
  try {
    files = record.files.map((f) => join(dir, f.name));
    for (const f of files) await Deno.stat(f);
  } catch {
    return `its Parquet file is missing in ${dir}; ${redo(record.day)} writes it again`;
  }
  const parquet = await parquetFingerprint(deps.duck, table, files);
  if (!same(parquet, recorded)) {
    return `the Parquet file holds ${show(parquet)}, the export recorded ${show(recorded)}: ` +
      `the file was altered or damaged; ${redo(record.day)} writes it again`;
  }
  const manifest = await readManifest(dir).catch((e: Error) => e);
  if (manifest instanceof Error) return manifest.message;
  if (!manifest || manifest.rows !== record.rows || manifest.checksum !== record.checksum) {
    return `its manifest (${dir}/_manifest.json) ${
      manifest ? "disagrees with" : "is missing for"
    }` +
      ` the recorded export; ${redo(record.day)} writes both again`;
  }
  return null;
}

async function databaseSide(
  deps: VerifyDeps,
  table: ArchiveTable,
  record: ArchivedDay,
): Promise<string | null> {
  // A snapshot describes the day it was taken (the tables moved on); a dropped day is gone.
  if (table.kind === "snapshot" || record.droppedAt) return null;
  const db = await readFingerprint(
    deps.sql,
    table,
    record.day,
    dayStart(record.day),
    dayEnd(record.day),
  );
  const recorded = { rows: record.rows, checksum: record.checksum };
  if (same(db, recorded)) return null;
  return `the database holds ${show(db)}, the archive ${show(recorded)}: rows were added, ` +
    `changed or removed after the export; ${redo(record.day)} rewrites the day`;
}

/** Verifies every archived (and every unarchived but populated) day of `tables` in `range`. */
export async function verifyArchive(
  deps: VerifyDeps,
  options: { archiveDir: string; tables: readonly ArchiveTable[]; range: DayRange },
): Promise<VerifyReport> {
  const differences: Difference[] = [];
  const work: { table: ArchiveTable; day: string; record?: ArchivedDay }[] = [];
  for (const table of options.tables) {
    const records = await readArchivedDays(deps.sql, table.name, options.range);
    const days = new Set(records.keys());
    if (table.kind === "daily") {
      for (const day of await daysWithRows(deps.sql, table, options.range)) days.add(day);
    }
    for (const day of [...days].sort()) work.push({ table, day, record: records.get(day) });
  }
  const meter = new ProgressMeter(work.length);
  for (const { table, day, record } of work) {
    deps.onProgress?.(meter.report(`${table.name} ${day}`));
    if (!record) {
      differences.push({ table: table.name, day, message: `not archived; ${redo(day)} writes it` });
      meter.step(0);
      continue;
    }
    const problems = [
      await parquetSide(deps, options.archiveDir, table, record),
      await databaseSide(deps, table, record),
    ].filter((p): p is string => p !== null);
    const error = problems.length ? problems.join("; ") : null;
    if (error) differences.push({ table: table.name, day, message: error });
    await recordVerification(deps.sql, { table: table.name, day, at: deps.now(), error });
    meter.step(Number(record.rows));
  }
  deps.onProgress?.(meter.report(""));
  return { checked: work.length, differences };
}
