/**
 * The DuckDB side of the archive: a day's CSV (from PostgreSQL's COPY) into a zstd Parquet file
 * with the pinned schema, and the fingerprint of Parquet files — the same row count and checksum
 * PostgreSQL computes (lib/archive/checksum.ts).
 * @module
 */
import { duckFingerprintQuery, duckString, quoteIdent } from "./checksum.ts";
import type { Fingerprint } from "./checksum.ts";
import type { DuckDb } from "./duckdb.ts";
import { type ArchiveTable, COUNT, duckType, PRICE } from "./schema.ts";

/** zstd level of the Parquet files (DuckDB's default level, a good size/speed balance). */
export const ZSTD_LEVEL = 3;

function csvColumns(table: ArchiveTable): string {
  const entries = table.columns.map((col) => {
    const kind = col.type.kind;
    // JSON, arrays and levels arrive as text and are converted below; the rest parse straight.
    const type = kind === "json" || kind === "text_array" || kind === "levels"
      ? "VARCHAR"
      : duckType(col.type);
    return `${duckString(col.name)}: ${duckString(type)}`;
  });
  return `{${entries.join(", ")}}`;
}

function selectList(table: ArchiveTable): string {
  return table.columns.map((col) => {
    const c = quoteIdent(col.name);
    if (col.type.kind === "json") return `${c}::JSON AS ${c}`;
    if (col.type.kind === "text_array") return `from_json(${c}, '["VARCHAR"]') AS ${c}`;
    if (col.type.kind === "levels") {
      // Exact decimal strings into DECIMAL fields; a value that does not fit becomes NULL here,
      // which the fingerprint check after writing refuses (the file is never published).
      const [price, size] = [duckType(PRICE), duckType(COUNT)];
      return `from_json(${c}, '[{"price":"${price}","size":"${size}"}]') AS ${c}`;
    }
    return c;
  }).join(", ");
}

/** The `read_csv(...)` call reading PostgreSQL's `COPY … (FORMAT csv)` output exactly. */
export function readCsvCall(table: ArchiveTable, csvPath: string): string {
  return `read_csv(${duckString(csvPath)}, header = false, auto_detect = false, delim = ',', ` +
    `quote = '"', escape = '"', allow_quoted_nulls = false, columns = ${csvColumns(table)})`;
}

/** Writes the rows of `csvPath` to `outPath` as zstd Parquet, sorted by the table's order. */
export async function writeParquet(
  duck: DuckDb,
  table: ArchiveTable,
  csvPath: string,
  outPath: string,
): Promise<void> {
  const order = table.orderBy.map(quoteIdent).join(", ");
  await duck.run(
    `COPY (SELECT ${selectList(table)} FROM ${readCsvCall(table, csvPath)} ORDER BY ${order}) ` +
      `TO ${duckString(outPath)} (FORMAT parquet, COMPRESSION zstd, ` +
      `COMPRESSION_LEVEL ${ZSTD_LEVEL})`,
  );
}

/** The `read_parquet([...])` call over `files` (explicit paths: temporary names work too). */
export function readParquetCall(files: readonly string[]): string {
  return `read_parquet([${files.map(duckString).join(", ")}])`;
}

/** Row count and checksum of the rows in `files`, computed by DuckDB. */
export async function parquetFingerprint(
  duck: DuckDb,
  table: ArchiveTable,
  files: readonly string[],
): Promise<Fingerprint> {
  const [row] = await duck.rows(duckFingerprintQuery(table, readParquetCall(files)));
  return { rows: String(row.rows), checksum: String(row.checksum) };
}
