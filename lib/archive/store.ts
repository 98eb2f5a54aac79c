/**
 * `archive_days` (migration 0007): the database's record of each exported day — what was
 * written, when it last verified, what differed, whether retention dropped it. The export and
 * verify write it; retention and `deno task status` read it.
 * @module
 */
import type { Queryable } from "../db/mod.ts";
import type { Fingerprint } from "./checksum.ts";
import type { ManifestFile } from "./manifest.ts";

/** One exported (table, day). */
export interface ArchivedDay {
  /** The archived table's name. */
  table: string;
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Rows written, as decimal text (a bigint). */
  rows: string;
  /** The rows' checksum (lib/archive/checksum.ts), as decimal text. */
  checksum: string;
  /** The day's data files with size and SHA-256, as its manifest lists them. */
  files: ManifestFile[];
  /** When the day was last written. */
  exportedAt: Date;
  /** When archive and database last matched; null when they never have. */
  verifiedAt: Date | null;
  /** The difference the last verification found; null when it matched (or none ran). */
  verifyError: string | null;
  /** When retention dropped the day's rows from the database; null while they are kept. */
  droppedAt: Date | null;
}

interface Row {
  table_name: string;
  day: string;
  row_count: string;
  checksum: string;
  files: ManifestFile[];
  exported_at: Date;
  verified_at: Date | null;
  verify_error: string | null;
  dropped_at: Date | null;
}

function fromRow(r: Row): ArchivedDay {
  return {
    table: r.table_name,
    day: r.day,
    rows: r.row_count,
    checksum: r.checksum,
    files: r.files,
    exportedAt: r.exported_at,
    verifiedAt: r.verified_at,
    verifyError: r.verify_error,
    droppedAt: r.dropped_at,
  };
}

/** The records of `table` for days in [from, to] (inclusive; open ends allowed), by day. */
export async function readArchivedDays(
  sql: Queryable,
  table: string,
  range: { from?: string; to?: string } = {},
): Promise<Map<string, ArchivedDay>> {
  const rows = await sql<Row[]>`
    SELECT table_name, day::text AS day, row_count::text, checksum::text, files, exported_at,
           verified_at, verify_error, dropped_at
    FROM archive_days
    WHERE table_name = ${table}
      AND day >= coalesce(${range.from ?? null}::date, '-infinity'::date)
      AND day <= coalesce(${range.to ?? null}::date, 'infinity'::date)
    ORDER BY day`;
  return new Map(rows.map((r) => [r.day, fromRow(r)]));
}

/** Records a day just written (and verified on write): replaces any earlier record. */
export async function recordExport(
  sql: Queryable,
  entry: { table: string; day: string; fingerprint: Fingerprint; files: ManifestFile[]; at: Date },
): Promise<void> {
  // Plain copies: postgres.js's JSON type wants objects with an index signature.
  const files = entry.files.map((file) => ({ ...file }));
  await sql`
    INSERT INTO archive_days (table_name, day, row_count, checksum, files, exported_at,
                              verified_at, verify_error, dropped_at)
    VALUES (${entry.table}, ${entry.day}::date, ${entry.fingerprint.rows}::bigint,
            ${entry.fingerprint.checksum}::numeric, ${sql.json(files)}, ${entry.at},
            ${entry.at}, NULL, NULL)
    ON CONFLICT (table_name, day) DO UPDATE SET
      row_count = excluded.row_count, checksum = excluded.checksum, files = excluded.files,
      exported_at = excluded.exported_at, verified_at = excluded.verified_at,
      verify_error = NULL, dropped_at = NULL`;
}

/** Forgets a day whose rows are all gone from the database (its archive folder was removed). */
export async function forgetExport(sql: Queryable, table: string, day: string): Promise<void> {
  await sql`DELETE FROM archive_days WHERE table_name = ${table} AND day = ${day}::date`;
}

/** Records a verification's outcome: `error` null when archive and database matched. */
export async function recordVerification(
  sql: Queryable,
  entry: { table: string; day: string; at: Date; error: string | null },
): Promise<void> {
  await sql`
    UPDATE archive_days
    SET verified_at = CASE WHEN ${entry.error}::text IS NULL THEN ${entry.at} ELSE verified_at END,
        verify_error = ${entry.error}::text
    WHERE table_name = ${entry.table} AND day = ${entry.day}::date`;
}

/** Summary for `deno task status`: newest verified day and days whose last check failed. */
export interface ArchiveSummary {
  /** Newest day of a daily table whose archive verified and has no open difference. */
  lastVerifiedDay: string | null;
  /** Which table that day belongs to (the least advanced daily table is the one reported). */
  tables: { table: string; lastVerifiedDay: string | null; failing: number }[];
  /** When the last export wrote anything. */
  lastExportAt: Date | null;
}

/** Reads the status summary (one grouped query over the small archive_days table). */
export async function readArchiveSummary(
  sql: Queryable,
  dailyTables: readonly string[],
): Promise<ArchiveSummary> {
  const rows = await sql<
    { table_name: string; last_verified: string | null; failing: number; last_export: Date }[]
  >`
    SELECT table_name,
           max(day) FILTER (WHERE verified_at IS NOT NULL AND verify_error IS NULL)::text
             AS last_verified,
           count(*) FILTER (WHERE verify_error IS NOT NULL)::int AS failing,
           max(exported_at) AS last_export
    FROM archive_days
    WHERE table_name = ANY(${dailyTables as string[]}::text[])
    GROUP BY table_name`;
  const tables = dailyTables.map((table) => {
    const r = rows.find((x) => x.table_name === table);
    return { table, lastVerifiedDay: r?.last_verified ?? null, failing: r?.failing ?? 0 };
  });
  const exported = tables.filter((t) => t.lastVerifiedDay !== null);
  const lastVerifiedDay = exported.length === 0
    ? null
    : exported.map((t) => t.lastVerifiedDay!).sort()[0];
  const lastExports = rows.map((r) => r.last_export.getTime());
  return {
    lastVerifiedDay,
    tables,
    lastExportAt: lastExports.length ? new Date(Math.max(...lastExports)) : null,
  };
}
