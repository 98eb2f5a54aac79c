/**
 * Exports one (table, day): PostgreSQL's rows and fingerprint from one snapshot → CSV in the
 * staging folder → DuckDB writes the Parquet file under a temporary name → DuckDB's fingerprint
 * of that file must equal PostgreSQL's → rename into place → manifest → `archive_days`. A run
 * killed at any point leaves either the previous day or the new one visible, never a mix.
 * @module
 */
import { join } from "node:path";
import type { Sql } from "../db/mod.ts";
import type { Fingerprint } from "./checksum.ts";
import { dayEnd, dayStart } from "./days.ts";
import type { DuckDb } from "./duckdb.ts";
import {
  dayDir,
  MANIFEST_NAME,
  PART_NAME,
  removeDayDir,
  stagingDir,
  temporaryName,
  writeFileAtomically,
} from "./layout.ts";
import { CHECKSUM_DEFINITION, type Manifest, sha256File } from "./manifest.ts";
import { parquetFingerprint, writeParquet } from "./parquet.ts";
import { type ArchiveTable, duckType } from "./schema.ts";
import { copyDay } from "./source.ts";
import { forgetExport, recordExport } from "./store.ts";

/** What the export of a day needs. */
export interface ExportDayDeps {
  sql: Sql;
  duck: DuckDb;
  /** The archive folder. */
  archiveDir: string;
  /** This run's id (temporary names). */
  runId: string;
  /** The current time. */
  now: () => Date;
}

/** The Parquet file disagreed with the database after writing: nothing was published. */
export class ArchiveWriteMismatchError extends Error {
  /** Creates the error. */
  constructor(table: string, day: string, database: Fingerprint, parquet: Fingerprint) {
    super(
      `${table} ${day}: the Parquet file written holds ${parquet.rows} rows (checksum ` +
        `${parquet.checksum}) but the database snapshot ${database.rows} (checksum ` +
        `${database.checksum}); the file was not published. This is a bug in the export's ` +
        `type mapping: report it with the table and day`,
    );
    this.name = "ArchiveWriteMismatchError";
  }
}

/** The outcome of one day. */
export interface DayResult {
  /** The table's name. */
  table: string;
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** `written`, or `empty` when the database holds no row of the day (its archive is removed). */
  outcome: "written" | "empty";
  /** Row count and checksum of what was written (equal in the database and the Parquet file). */
  fingerprint: Fingerprint;
  /** Bytes of the Parquet file. */
  bytes: number;
}

async function copyToCsv(deps: ExportDayDeps, table: ArchiveTable, day: string, csv: string) {
  // Snapshot tables ignore the span: their "day" is the day the snapshot is taken.
  const span = { start: dayStart(day), end: dayEnd(day) };
  const file = await Deno.open(csv, { write: true, create: true, truncate: true });
  try {
    const { fingerprint } = await copyDay(deps.sql, table, day, span, file);
    return fingerprint;
  } finally {
    file.close();
  }
}

/** Exports `table`'s `day` (see the module doc). */
export async function exportDay(
  deps: ExportDayDeps,
  table: ArchiveTable,
  day: string,
): Promise<DayResult> {
  const staging = stagingDir(deps.archiveDir);
  await Deno.mkdir(staging, { recursive: true });
  const csv = join(staging, `${table.name}-${day}-${deps.runId}.csv`);
  try {
    const fingerprint = await copyToCsv(deps, table, day, csv);
    if (table.kind === "daily" && fingerprint.rows === "0") {
      await removeDayDir(deps.archiveDir, table.name, day);
      await forgetExport(deps.sql, table.name, day);
      return { table: table.name, day, outcome: "empty", fingerprint, bytes: 0 };
    }
    const dir = dayDir(deps.archiveDir, table.name, day);
    await Deno.mkdir(dir, { recursive: true });
    const temp = join(dir, temporaryName(PART_NAME, deps.runId));
    await writeParquet(deps.duck, table, csv, temp);
    const written = await parquetFingerprint(deps.duck, table, [temp]);
    if (written.rows !== fingerprint.rows || written.checksum !== fingerprint.checksum) {
      await Deno.remove(temp);
      throw new ArchiveWriteMismatchError(table.name, day, fingerprint, written);
    }
    const file = { name: PART_NAME, ...(await sha256File(temp)) };
    await Deno.rename(temp, join(dir, PART_NAME));
    const at = deps.now();
    const manifest: Manifest = {
      table: table.name,
      day,
      kind: table.kind,
      rows: fingerprint.rows,
      checksum: fingerprint.checksum,
      checksumDefinition: CHECKSUM_DEFINITION,
      columns: table.columns.map((c) => ({ name: c.name, type: duckType(c.type) })),
      files: [file],
      exportedAt: at.toISOString(),
    };
    await writeFileAtomically(
      join(dir, MANIFEST_NAME),
      JSON.stringify(manifest, null, 2) + "\n",
      deps.runId,
    );
    await recordExport(deps.sql, { table: table.name, day, fingerprint, files: [file], at });
    return { table: table.name, day, outcome: "written", fingerprint, bytes: file.bytes };
  } finally {
    await Deno.remove(csv).catch(() => {});
  }
}
