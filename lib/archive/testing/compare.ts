/**
 * Test support: every row of an archived table, value by value, from PostgreSQL and from the
 * Parquet files (read by DuckDB through the Hive layout), as sorted lists of canonical value
 * texts — equal lists mean equal values, not just equal counts.
 * @module
 */
import { join } from "node:path";
import type { Sql } from "../../db/mod.ts";
import { duckCanonical, duckString, pgCanonical, quoteIdent } from "../checksum.ts";
import type { DuckDb } from "../duckdb.ts";
import { type ArchiveTable, pgRelation } from "../schema.ts";
import { hasParquet } from "../views.ts";

/** Rows of `table` in PostgreSQL (daily tables: within [from, to) when given). */
export async function databaseRows(
  sql: Sql,
  table: ArchiveTable,
  span?: { from: Date; to: Date },
): Promise<string[]> {
  const cols = table.columns.map((c) => `coalesce(${pgCanonical(c)}, '<NULL>')`).join(", ");
  const where = span && table.dayColumn
    ? `WHERE ${quoteIdent(table.dayColumn)} >= $1 AND ${quoteIdent(table.dayColumn)} < $2`
    : "";
  const rows = await sql.unsafe<{ r: string }[]>(
    `SELECT json_build_array(${cols})::text AS r FROM ${pgRelation(table)} ${where}`,
    span ? [span.from, span.to] : [],
  );
  return rows.map((r) => r.r).map(normalise).sort();
}

/** Rows of `table` in the archive (every day, or only `day`), read as readers would. */
export async function archiveRows(
  duck: DuckDb,
  archiveDir: string,
  table: ArchiveTable,
  day?: string,
): Promise<string[]> {
  if (!(await hasParquet(join(archiveDir, table.name)))) return [];
  const glob = join(archiveDir, table.name, day ? `date=${day}` : "**", "*.parquet");
  const cols = table.columns.map((c) => `coalesce(${duckCanonical(c)}, '<NULL>')`).join(", ");
  const rows = await duck.rows(
    `SELECT json_array(${cols})::VARCHAR AS r ` +
      `FROM read_parquet(${duckString(glob)}, hive_partitioning = true)`,
  );
  return rows.map((r) => String(r.r)).map(normalise).sort();
}

/** Both engines' JSON arrays of strings, re-serialised identically. */
function normalise(text: string): string {
  return JSON.stringify(JSON.parse(text));
}
